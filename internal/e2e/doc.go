// Package e2e holds Vigil's end-to-end tests: real xds-server nodes, real grpc-go xDS
// clients, real backends (and, in later scenarios, a real Prometheus), all on loopback.
package e2e
