// Command kstatus-check computes the kstatus of one Kubernetes object with
// sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute: the rules kpt, Flux and cli-utils'
// status poller use to call a resource Current, InProgress, Failed or Terminating.
//
// It reads the object as JSON on stdin and writes {"status": ..., "message": ...} as JSON
// on stdout. An object that does not parse, or that Compute rejects, is reported on
// stderr with a non-zero exit.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type result struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func run(in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	// UnmarshalJSON keeps integers as int64, as the API machinery does; a plain
	// json.Unmarshal would make them float64 and kstatus could not read generations.
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return fmt.Errorf("parsing the object: %w", err)
	}
	res, err := status.Compute(u)
	if err != nil {
		return fmt.Errorf("computing the status: %w", err)
	}
	return json.NewEncoder(out).Encode(result{Status: res.Status.String(), Message: res.Message})
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus-check:", err)
		os.Exit(1)
	}
}
