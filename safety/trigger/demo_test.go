package trigger

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// The example policy's service and the versions the integration tests export metrics for.
const (
	demoService  = "breast-cancer-dx"
	demoBaseline = "1.0.0-PRODUCTION"
)

// exampleService parses examples/policies/breast-cancer-dx.hcl, the policy the demo runs,
// and returns its service.
func exampleService(t testing.TB) *policies.Service {
	t.Helper()
	path := filepath.Join("..", "..", "examples", "policies", "breast-cancer-dx.hcl")
	p, diags := policies.ParseFile(path, nil)
	if err := policies.DiagnosticsError(diags); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	s := p.Service(demoService)
	if s == nil {
		t.Fatalf("%s has no service %q", path, demoService)
	}
	return s
}

// demoSubject is a canary of the example service.
func demoSubject(version string) Subject {
	return Subject{Service: demoService, Version: version, BaselineVersion: demoBaseline,
		Target: policies.TargetCanary, Interval: time.Second}
}

// exportDemoTraffic exports, for each version, the series the example policy's triggers
// query, and keeps them moving (about 200 requests per second per version, 1 % errors,
// feedback on every request) until the test ends.
func exportDemoTraffic(t testing.TB, exp *promtest.Exporter, versions []string) {
	t.Helper()
	type series struct {
		ok, failed, timeouts, adverse func(float64)
		feedbackRight, feedbackWrong  func(float64)
		latency                       func(float64)
	}
	all := make([]series, len(versions))
	for i, v := range versions {
		sel := map[string]string{"service": demoService, "version": v}
		with := func(extra map[string]string) map[string]string {
			m := map[string]string{"service": demoService, "version": v}
			for k, x := range extra {
				m[k] = x
			}
			return m
		}
		all[i] = series{
			ok:            exp.Counter("inference_requests_total", with(map[string]string{"outcome": "ok"})).Add,
			failed:        exp.Counter("inference_requests_total", with(map[string]string{"outcome": "error"})).Add,
			timeouts:      exp.Counter("inference_timeouts_total", sel).Add,
			adverse:       exp.Counter("clinical_adverse_events_total", sel).Add,
			feedbackRight: exp.Counter("inference_feedback_total", with(map[string]string{"label": "malignant", "predicted": "malignant"})).Add,
			feedbackWrong: exp.Counter("inference_feedback_total", with(map[string]string{"label": "benign", "predicted": "malignant"})).Add,
			latency:       exp.Histogram("inference_request_duration_seconds", sel, nil).Observe,
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, s := range all {
				s.ok(19.8)
				s.failed(0.2)
				s.feedbackRight(19)
				s.feedbackWrong(1)
				s.latency(0.05 + 0.01*float64(n%5))
				if n%10 == 0 {
					s.timeouts(1)
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// countingSource counts the instant queries it passes on, per query text.
type countingSource struct {
	metrics.Source
	mu    sync.Mutex
	calls map[string]int
}

func newCountingSource(src metrics.Source) *countingSource {
	return &countingSource{Source: src, calls: map[string]int{}}
}

func (c *countingSource) Query(ctx context.Context, query string, ts time.Time) (metrics.Sample, error) {
	c.mu.Lock()
	c.calls[query]++
	c.mu.Unlock()
	return c.Source.Query(ctx, query, ts)
}

// take returns the counts so far and starts counting afresh.
func (c *countingSource) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.calls
	c.calls = map[string]int{}
	return calls
}
