// Package bench holds Vigil's benchmarks that need several processes or real servers:
// xDS convergence at 1,000-10,000 proxies against go-control-plane's plain snapshot cache,
// Raft failover and commit throughput. Run them with `make bench`; figures are recorded in
// docs/benchmarks.md.
package bench
