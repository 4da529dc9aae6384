//go:build unix

package clinical_test

import (
	"context"
	"fmt"
	"github.com/seed70a3350f/vigil/safety/clinical"
	"syscall"
	"testing"
	"time"
)

// BenchmarkValidationThroughMesh replays the example policy's golden set (228 cases) to the
// good candidate 1.1.0-CLINICALVALID and, paired, to 1.0.0-PRODUCTION through the real mesh
// of mesh_test.go: an xds-server dev node, three model servers on loopback and a proxyless
// gRPC client, every call pinned with x-vigil-version. One operation is one complete Run:
// 456 ModelInfer calls and the evaluation. It reports the throughput as cases/s (data-set
// cases through both versions) and calls/s, at 1, 8 (the policy's setting) and 32 calls in
// flight, and cpu-ms/op: the CPU time the whole process (client, xds-server node and model
// servers) used per run, which unlike the wall-clock figures does not count time other
// processes held the CPU. Run:
//
//	go test -run '^$' -bench ValidationThroughMesh -benchtime 10x ./safety/clinical/
func BenchmarkValidationThroughMesh(b *testing.B) {
	if testing.Short() {
		b.Skip("starts an xds-server node and three model servers")
	}
	m := startMesh(b)
	pol, spec, ds := exampleRun(b)
	comp := m.target(compVersion)
	cases := len(ds.Cases)
	for _, concurrency := range []uint32{1, 8, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			cfg := *spec
			cfg.Concurrency = concurrency
			// The policy's 5 s per case is a clinical setting; on a loaded 2-core machine with
			// client, node and servers in one process a call can wait longer than that, and a
			// run that lost a call is not measured. A minute never cuts a call short.
			cfg.Timeout = time.Minute
			run := func() *clinical.Result {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				res, err := clinical.Run(ctx, clinical.Config{Spec: &cfg, Dataset: ds, Candidate: m.target(candVersion), Comparator: &comp,
					PolicyHash: pol.Hash, MaxFailureFraction: clinical.DefaultMaxFailureFraction})
				if err != nil {
					b.Fatalf("Run: %v", err)
				}
				return res
			}
			// A run that lost calls would measure failures, not validations.
			checkBenchRun(b, run(), cases)
			cpuStart := processCPU(b)
			for b.Loop() {
				checkBenchRun(b, run(), cases)
			}
			cpu := processCPU(b) - cpuStart
			secs := b.Elapsed().Seconds()
			if secs > 0 {
				b.ReportMetric(float64(b.N*cases)/secs, "cases/s")
				b.ReportMetric(float64(b.N*cases*2)/secs, "calls/s")
				b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

// checkBenchRun fails the benchmark unless both versions answered every case and the good
// candidate passed.
func checkBenchRun(b *testing.B, res *clinical.Result, cases int) {
	b.Helper()
	for _, t := range []*clinical.TargetResult{&res.Candidate, res.Comparator} {
		if t == nil || t.Calls.Answered != cases || t.Calls.Failed != 0 || t.Calls.WrongVersion != 0 {
			b.Fatalf("calls of %+v: want all %d answered by the pinned version", t, cases)
		}
	}
	if res.Verdict != clinical.Passed {
		b.Fatalf("verdict %s, want PASSED; reasons %q", res.Verdict, res.Reasons)
	}
}

// processCPU returns the user plus system CPU time the process has used so far.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
