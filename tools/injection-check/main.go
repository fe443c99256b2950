// Command injection-check executes injection templates the way istiod does: Go
// text/template over the pod being injected. It reads {"templates": {name: text}} as JSON
// on stdin and writes {name: output} as JSON on stdout; a template that does not parse or
// execute is reported on stderr with a non-zero exit.
//
// Only the template functions our templates use are provided (protoToJSON), so a template
// that starts to depend on another istiod function fails here first.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"text/template"
)

type objectMeta struct {
	Name        string
	Namespace   string
	Labels      map[string]string
	Annotations map[string]string
}

type container struct{ Name string }

type podSpec struct{ Containers []container }

// params mirrors the fields of istiod's injection parameters that templates read.
type params struct {
	ObjectMeta     objectMeta
	DeploymentMeta objectMeta
	Spec           podSpec
	ProxyImage     string
	ProxyConfig    map[string]any
}

func samplePod() params {
	return params{
		ObjectMeta: objectMeta{
			Name:      "reviews-v1-7d9f8c-abcde",
			Namespace: "bookinfo",
			Labels:    map[string]string{"app": "reviews", "version": "v1"},
		},
		DeploymentMeta: objectMeta{Name: "reviews-v1", Namespace: "bookinfo"},
		Spec:           podSpec{Containers: []container{{Name: "reviews"}}},
		ProxyImage:     "docker.io/istio/proxyv2:1.29.2",
		ProxyConfig:    map[string]any{"discoveryAddress": "istiod.istio-system.svc:15012"},
	}
}

func main() {
	var input struct{ Templates map[string]string }
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		fmt.Fprintln(os.Stderr, "reading input:", err)
		os.Exit(2)
	}
	funcs := template.FuncMap{
		"protoToJSON": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}
	names := make([]string, 0, len(input.Templates))
	for name := range input.Templates {
		names = append(names, name)
	}
	sort.Strings(names)
	output := map[string]string{}
	for _, name := range names {
		tmpl, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(input.Templates[name])
		if err != nil {
			fmt.Fprintf(os.Stderr, "template %s does not parse: %v\n", name, err)
			os.Exit(1)
		}
		var out bytes.Buffer
		if err := tmpl.Execute(&out, samplePod()); err != nil {
			fmt.Fprintf(os.Stderr, "template %s does not execute: %v\n", name, err)
			os.Exit(1)
		}
		output[name] = out.String()
	}
	if err := json.NewEncoder(os.Stdout).Encode(output); err != nil {
		fmt.Fprintln(os.Stderr, "writing output:", err)
		os.Exit(2)
	}
}
