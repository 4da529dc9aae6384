//go:build tools

// Package prometheus pins the Prometheus server that Vigil's integration tests run against
// when no packaged Prometheus is installed. It is a separate module so that the server's many
// dependencies never enter Vigil's own go.mod. Build the binary with:
//
//	cd tools/prometheus && go build -o ../../.bin/prometheus github.com/prometheus/prometheus/cmd/prometheus
//
// scripts/install-prometheus.sh does this when neither $PATH nor .bin/ holds a Prometheus.
package prometheus

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
)
