//go:build tools

// Package tools pins Istio's commands the tests run: pilot-discovery (istiod) and istioctl.
package tools

import (
	_ "istio.io/istio/istioctl/cmd/istioctl"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
