// A test helper: Go's crypto/x509 (what istiod uses) as an independent judge of the mesh
// CA that operator/pki makes, and as an independent maker of a bring-your-own CA.
module meshkeeper.dev/tools/pki-check

go 1.26.0
