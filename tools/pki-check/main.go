// Command pki-check is Go's crypto/x509, the library istiod signs and verifies workload
// certificates with, as an independent judge of the mesh CA that operator/pki builds with
// a different stack (@peculiar/x509 on WebCrypto). If Go verifies a chain here, istiod
// accepts it.
//
//	pki-check verify -roots ROOTS.pem [-intermediates CHAIN.pem] CERT.pem
//	    full RFC 5280 path validation at the current time; prints the chains found
//	pki-check inspect CERT.pem
//	    the first certificate's names, extensions (with criticality) and key, as JSON
//	pki-check key KEY.pem [-cert CERT.pem]
//	    parses a private key (PKCS#8, SEC1 or PKCS#1) and says whether it is CERT's
//	pki-check make-ca DIR
//	    writes a root and an intermediate made independently of operator/pki, in the
//	    shape most users bring their own (see make_ca.go)
//
// Output is JSON on stdout. A chain that does not verify, or a file that does not parse,
// exits 1 with the reason on stderr; bad usage exits 2.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// usageError is a mistake in the command line (exit 2), not in the files (exit 1).
type usageError struct{ message string }

func (e usageError) Error() string { return e.message }

const usage = "usage: pki-check verify|inspect|key|make-ca ... (see the package comment)"

func dispatch(args []string) (any, error) {
	if len(args) == 0 {
		return nil, usageError{usage}
	}
	switch args[0] {
	case "verify":
		return verifyCommand(args[1:])
	case "inspect":
		return inspectCommand(args[1:])
	case "key":
		return keyCommand(args[1:])
	case "make-ca":
		return makeCaCommand(args[1:])
	default:
		return nil, usageError{fmt.Sprintf("unknown command %q; %s", args[0], usage)}
	}
}

func run(args []string, stdout io.Writer) int {
	result, err := dispatch(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pki-check:", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(result); err != nil {
		fmt.Fprintln(os.Stderr, "pki-check:", err)
		return 1
	}
	return 0
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}
