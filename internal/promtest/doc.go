// Package promtest runs a real Prometheus server for Vigil's integration tests, and small
// loopback exporters whose metric values a test sets, so the test controls exactly what
// Prometheus scrapes.
//
// Start launches Prometheus on a free 127.0.0.1 port with a generated configuration and a
// private TSDB directory, waits until it is ready and stops it when the test ends. Scrape
// targets are listed in file_sd JSON files that Prometheus watches, so SetTargets adds or
// removes targets while the server runs. Kill (SIGKILL) and Restart (same port, same data)
// simulate Prometheus going down and coming back.
//
// The Prometheus binary is taken from $VIGIL_PROMETHEUS, else from $PATH, else from
// <repo>/.bin/prometheus. When none exists the test fails (it is never skipped) with the
// command that installs one: scripts/install-prometheus.sh.
//
// Conventions: functions that set a test up (Start, SetTargets, NewExporter and the exporter's
// metric constructors) report problems with t.Fatalf and must be called from the test
// goroutine. Functions whose failure a test may want to observe (Stop, Kill, Restart,
// WaitReady, WaitFor, WaitForSeries) return errors.
//
// Timing: Prometheus refreshes discovered targets at most every 5 s, so a newly added target
// shows up in query results about 5-6 s after SetTargets or Start. Poll with WaitForSeries or
// WaitFor instead of sleeping. Tests that evaluate at a fixed time take it from
// WaitForSettled: on a loaded machine a scrape can time out, and the staleness it causes
// can reach back to a moment at which the data was already seen.
package promtest
