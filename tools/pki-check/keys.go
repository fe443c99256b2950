package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
)

// readPrivateKey parses the first private key block of a PEM file in whichever of the
// three formats a CA key comes in, and names the format it found.
func readPrivateKey(path string) (crypto.Signer, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case "PRIVATE KEY":
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, "", fmt.Errorf("%s: PKCS#8: %w", path, err)
			}
			signer, ok := key.(crypto.Signer)
			if !ok {
				return nil, "", fmt.Errorf("%s: a PKCS#8 key that cannot sign", path)
			}
			return signer, "PKCS#8", nil
		case "EC PRIVATE KEY":
			key, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, "", fmt.Errorf("%s: SEC1: %w", path, err)
			}
			return key, "SEC1", nil
		case "RSA PRIVATE KEY":
			key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, "", fmt.Errorf("%s: PKCS#1: %w", path, err)
			}
			return key, "PKCS#1", nil
		}
		// Other blocks (openssl's EC PARAMETERS, say) are not keys: look further.
	}
	return nil, "", fmt.Errorf("%s: no PEM private key", path)
}

func keyAlgorithm(key crypto.Signer) string {
	switch key.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA"
	case *rsa.PrivateKey:
		return "RSA"
	default:
		return fmt.Sprintf("%T", key)
	}
}

type publicKeyComparer interface{ Equal(crypto.PublicKey) bool }

func keyCommand(args []string) (any, error) {
	flags := flag.NewFlagSet("key", flag.ContinueOnError)
	certFile := flags.String("cert", "", "certificate whose public key the key must match")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 {
		return nil, usageError{"usage: pki-check key KEY.pem [-cert CERT.pem]"}
	}
	key, format, err := readPrivateKey(flags.Arg(0))
	if err != nil {
		return nil, err
	}
	result := map[string]any{
		"format":    format,
		"algorithm": keyAlgorithm(key),
		"bits":      publicKeyBits(key.Public()),
	}
	if *certFile != "" {
		certificates, err := readCertificates(*certFile)
		if err != nil {
			return nil, err
		}
		public, ok := key.Public().(publicKeyComparer)
		result["matchesCertificate"] = ok && public.Equal(certificates[0].PublicKey)
	}
	return result, nil
}
