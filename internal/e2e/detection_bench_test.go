package e2e

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/examples/modelserver"
	"github.com/seed70a3350f/vigil/router/rollout"
)

var detectionRuns = flag.Int("detection-runs", 20, "BenchmarkDetectionToSafety: fault injections to measure")

// BenchmarkDetectionToSafety measures, over -detection-runs canaries in one environment
// (real Prometheus scraping every 1 s, evaluation every 1 s, two proxyless gRPC load
// clients), the time from a canary's error rate jumping to 100 % to canary weight 0 being
// ACKed by every proxy. Each run starts a fresh canary of the same version, waits until it
// serves traffic, injects the fault, waits for the rollback, clears the fault and lets the
// error window drain before the next run. It reports the median and p99 (with 20 runs, the
// p99 is the worst run). Run with -benchtime 1x.
func BenchmarkDetectionToSafety(b *testing.B) {
	e := startRolloutEnv(b, devNode(b))
	var samples []time.Duration
	for b.Loop() {
		for run := 0; run < *detectionRuns; run++ {
			id, d := e.canaryFaultToSafety()
			e.waitPhase(id, time.Minute, rollout.RolledBack)
			e.setFaults(goodV, modelserver.Faults{})
			samples = append(samples, d)
			// Let the 5 s error_burst window and Prometheus's lookback forget this fault.
			time.Sleep(12 * time.Second)
		}
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	median := samples[len(samples)/2]
	p99 := samples[(len(samples)*99+99)/100-1]
	b.ReportMetric(median.Seconds(), "median-s")
	b.ReportMetric(p99.Seconds(), "p99-s")
	b.ReportMetric(samples[len(samples)-1].Seconds(), "max-s")
	b.ReportMetric(float64(len(samples)), "runs")
	// One line: go test truncates a benchmark's log after a few lines.
	ms := make([]string, len(samples))
	for i, d := range samples {
		ms[i] = fmt.Sprint(d.Milliseconds())
	}
	b.Logf("detection to safety over %d runs: median %v, p99 %v; sorted samples (ms): %s", len(samples),
		median.Round(time.Millisecond), p99.Round(time.Millisecond), strings.Join(ms, " "))
}
