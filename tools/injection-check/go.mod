// A test helper: runs the injection templates through Go's text/template, the engine
// istiod uses, so tests can check them without a running istiod.
module meshkeeper.dev/tools/injection-check

go 1.26.0
