//go:build tools

// Package tools pins operator-sdk and opm, which validate the OLM bundle and catalog.
package tools

import (
	_ "github.com/operator-framework/operator-registry/cmd/opm"
	_ "github.com/operator-framework/operator-sdk/cmd/operator-sdk"
)
