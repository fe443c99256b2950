package main

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"time"
)

// readCertificates parses every CERTIFICATE block of a PEM file; text between blocks is
// ignored, other block types are an error (a key in a certificate file is a mistake).
func readCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certificates []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: a %s block where certificates were expected", path, block.Type)
		}
		certificate, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certificates = append(certificates, certificate)
	}
	if len(certificates) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return certificates, nil
}

func poolOf(path string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if path == "" {
		return pool, nil
	}
	certificates, err := readCertificates(path)
	if err != nil {
		return nil, err
	}
	for _, certificate := range certificates {
		pool.AddCert(certificate)
	}
	return pool, nil
}

func verifyCommand(args []string) (any, error) {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	rootsFile := flags.String("roots", "", "PEM file of trusted roots")
	intermediatesFile := flags.String("intermediates", "", "PEM file of untrusted intermediates")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 || *rootsFile == "" {
		return nil, usageError{"usage: pki-check verify -roots ROOTS.pem [-intermediates CHAIN.pem] CERT.pem"}
	}
	roots, err := poolOf(*rootsFile)
	if err != nil {
		return nil, err
	}
	intermediates, err := poolOf(*intermediatesFile)
	if err != nil {
		return nil, err
	}
	certificates, err := readCertificates(flags.Arg(0))
	if err != nil {
		return nil, err
	}
	chains, err := certificates[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   time.Now(),
		// A CA certificate has no extended key usage to match; a workload leaf has both.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("%s does not verify: %w", flags.Arg(0), err)
	}
	subjects := make([][]string, len(chains))
	for i, chain := range chains {
		for _, link := range chain {
			subjects[i] = append(subjects[i], link.Subject.String())
		}
	}
	return map[string]any{"chains": subjects}, nil
}

var (
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
)

func isCritical(certificate *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, extension := range certificate.Extensions {
		if extension.Id.Equal(oid) {
			return extension.Critical
		}
	}
	return false
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func publicKeyBits(key any) int {
	switch typed := key.(type) {
	case *rsa.PublicKey:
		return typed.N.BitLen()
	case *ecdsa.PublicKey:
		return typed.Curve.Params().BitSize
	default:
		return 0
	}
}

// pathLength is the basicConstraints pathlen, or nil when the certificate sets none.
func pathLength(certificate *x509.Certificate) *int {
	if certificate.MaxPathLen < 0 || (certificate.MaxPathLen == 0 && !certificate.MaxPathLenZero) {
		return nil
	}
	return &certificate.MaxPathLen
}

func describe(certificate *x509.Certificate) map[string]any {
	var usages []string
	for _, usage := range keyUsageNames {
		if certificate.KeyUsage&usage.bit != 0 {
			usages = append(usages, usage.name)
		}
	}
	uris := []string{}
	for _, uri := range certificate.URIs {
		uris = append(uris, uri.String())
	}
	return map[string]any{
		"subject":             certificate.Subject.String(),
		"subjectOrganization": certificate.Subject.Organization,
		"subjectCommonName":   certificate.Subject.CommonName,
		"issuer":              certificate.Issuer.String(),
		"serialNumber":        fmt.Sprintf("%X", certificate.SerialNumber),
		"notBefore":           certificate.NotBefore.UTC().Format(time.RFC3339),
		"notAfter":            certificate.NotAfter.UTC().Format(time.RFC3339),
		"signatureAlgorithm":  certificate.SignatureAlgorithm.String(),
		"publicKeyAlgorithm":  certificate.PublicKeyAlgorithm.String(),
		"publicKeyBits":       publicKeyBits(certificate.PublicKey),
		"basicConstraints": map[string]any{
			"present":  certificate.BasicConstraintsValid,
			"critical": isCritical(certificate, oidBasicConstraints),
			"ca":       certificate.IsCA,
			"pathLen":  pathLength(certificate),
		},
		"keyUsage":       map[string]any{"critical": isCritical(certificate, oidKeyUsage), "usages": usages},
		"subjectKeyId":   hex.EncodeToString(certificate.SubjectKeyId),
		"authorityKeyId": hex.EncodeToString(certificate.AuthorityKeyId),
		"uris":           uris,
	}
}

func inspectCommand(args []string) (any, error) {
	if len(args) != 1 {
		return nil, usageError{"usage: pki-check inspect CERT.pem"}
	}
	certificates, err := readCertificates(args[0])
	if err != nil {
		return nil, err
	}
	return describe(certificates[0]), nil
}
