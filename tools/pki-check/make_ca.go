package main

// make-ca builds a bring-your-own CA the way most users make one with openssl or
// Istio's tools/certs Makefiles, but with Go's crypto/x509 so nothing is shared with
// operator/pki: SEC1 ("EC PRIVATE KEY") P-256 keys, a root whose basicConstraints has no
// pathlen, an intermediate with pathlen 0, and subject/authority key identifiers.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func newKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

type caSpec struct {
	commonName string
	validity   time.Duration
	keyUsage   x509.KeyUsage
	// maxPathLen -1 leaves pathlen out of basicConstraints.
	maxPathLen int
}

func issue(spec caSpec, key *ecdsa.PrivateKey, parent *x509.Certificate, signer crypto.Signer) (*x509.Certificate, []byte, error) {
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().Add(-time.Minute)
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Istio"}, CommonName: spec.commonName},
		NotBefore:             now,
		NotAfter:              now.Add(spec.validity),
		KeyUsage:              spec.keyUsage,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            spec.maxPathLen,
		MaxPathLenZero:        spec.maxPathLen == 0,
	}
	if parent == nil {
		parent, signer = template, key
	}
	// Go fills the subject key id of a CA and the authority key id from the parent's.
	der, err := x509.CreateCertificate(rand.Reader, template, parent, key.Public(), signer)
	if err != nil {
		return nil, nil, err
	}
	certificate, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return certificate, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func makeCaCommand(args []string) (any, error) {
	if len(args) != 1 {
		return nil, usageError{"usage: pki-check make-ca DIR"}
	}
	rootKey, rootKeyPem, err := newKey()
	if err != nil {
		return nil, err
	}
	root, rootPem, err := issue(caSpec{
		commonName: "Root CA", validity: 10 * 365 * 24 * time.Hour,
		keyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, maxPathLen: -1,
	}, rootKey, nil, nil)
	if err != nil {
		return nil, err
	}
	caKey, caKeyPem, err := newKey()
	if err != nil {
		return nil, err
	}
	_, caPem, err := issue(caSpec{
		commonName: "Intermediate CA", validity: 2 * 365 * 24 * time.Hour,
		keyUsage:   x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		maxPathLen: 0,
	}, caKey, root, rootKey)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"root-key.pem":   rootKeyPem,
		"root-cert.pem":  rootPem,
		"ca-key.pem":     caKeyPem,
		"ca-cert.pem":    caPem,
		"cert-chain.pem": append(append([]byte{}, caPem...), rootPem...),
	}
	written := map[string]string{}
	for name, content := range files {
		path := filepath.Join(args[0], name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return nil, err
		}
		written[name] = path
	}
	return map[string]any{"files": written}, nil
}
