// Package metrics answers PromQL queries for Vigil's rollback triggers and statistical
// judges.
//
// A Source runs instant and range queries and returns exactly one value (or one series): a
// result of any other shape is an error, never silently reduced. A query whose answer is
// empty, NaN or infinite returns an error wrapping ErrNoData, which callers treat as "hold",
// never as healthy. Every error is a *QueryError carrying the exact query text that ran, the
// evaluation time and a Kind, so an operator can see what ran and why it failed.
//
// Prometheus is the Source backed by the Prometheus HTTP API (client_golang's api/v1 with
// prometheus/common's HTTP client configuration: bearer or basic auth, TLS, extra headers),
// with a per-attempt timeout and bounded, jittered retries of transport errors, timeouts and
// HTTP 5xx answers. Dedup sends each distinct query of one evaluation round once.
package metrics
