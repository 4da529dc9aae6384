package trigger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// benchSubjectCounts are the round sizes BenchmarkEvaluatorRound measures: the example
// policy's canary triggers for this many canary versions at once.
var benchSubjectCounts = []int{1, 10, 100}

// benchConcurrency is the most queries in flight, as in xds-server's controller.
const benchConcurrency = 16

// BenchmarkEvaluatorRound measures Evaluator.Evaluate on rounds of the example policy's
// canary triggers (examples/policies/breast-cancer-dx.hcl) for 1, 10 and 100 canary
// versions, each item carrying its clock from the previous round:
//
//   - fake: an in-memory Source answering every query from a table, so the figure is
//     the evaluator's own CPU cost (rendering, de-duplication, stepping, evidence);
//   - prometheus: a real Prometheus on loopback scraping the demo series of every version
//     once a second, so the figure includes PromQL evaluation and HTTP.
//
// Every round must end with every trigger healthy; anything else fails the benchmark.
// It reports evaluations/s (trigger evaluations, one per item, per second of wall time)
// and queries/round (the distinct queries sent after de-duplication); fake also reports
// evaluations/cpu-s, per second of the process's CPU time, which a machine shared with
// other work inflates less than wall time. (With prometheus the process also serves the
// exporter's metrics, so its CPU time is not the evaluator's.)
func BenchmarkEvaluatorRound(b *testing.B) {
	svc := exampleService(b)
	b.Run("fake", func(b *testing.B) {
		for _, n := range benchSubjectCounts {
			items := demoItems(svc, n)
			src := healthyTable(items)
			e := &Evaluator{Source: src, Concurrency: benchConcurrency, Timeout: time.Minute}
			b.Run(fmt.Sprintf("subjects=%d", n), func(b *testing.B) {
				benchmarkRounds(b, e, items, t0, true)
			})
		}
	})
	b.Run("prometheus", func(b *testing.B) {
		largest := benchSubjectCounts[len(benchSubjectCounts)-1]
		prom := startDemoPrometheus(b, largest)
		src, err := metrics.NewPrometheus(metrics.DefaultConfig(prom.URL()))
		if err != nil {
			b.Fatalf("metrics.NewPrometheus: %v", err)
		}
		e := &Evaluator{Source: src, Concurrency: benchConcurrency, Timeout: time.Minute}
		at := healthyTime(b, prom, e, demoItems(svc, largest), largest+1)
		for _, n := range benchSubjectCounts {
			items := demoItems(svc, n)
			b.Run(fmt.Sprintf("subjects=%d", n), func(b *testing.B) {
				// Every round evaluates at the same settled time: Prometheus answers from
				// data that can no longer change, so every value is measured.
				benchmarkRounds(b, e, items, at, false)
			})
		}
	})
}

// benchmarkRounds runs one round of items per iteration, all at the evaluation time at,
// carrying clocks from round to round, and fails the benchmark on any verdict that is not
// healthy. With cpuMetric it also reports evaluations per second of process CPU time.
func benchmarkRounds(b *testing.B, e *Evaluator, items []Item, at time.Time, cpuMetric bool) {
	ctx := context.Background()
	items = append([]Item(nil), items...)
	var sent, unhealthy int
	var example Outcome
	cpuBefore, cpuOK := processCPU()
	for b.Loop() {
		report := e.Evaluate(ctx, at, items)
		sent = report.QueriesSent
		for j, o := range report.Outcomes {
			items[j].Clock = o.Clock
			if o.Verdict.Kind != VerdictHealthy {
				unhealthy++
				example = o
			}
		}
	}
	b.StopTimer()
	cpuAfter, cpuOK2 := processCPU()
	if unhealthy > 0 {
		b.Fatalf("%d verdicts were not healthy, e.g. %s %s: %v %q", unhealthy, example.Item.Subject,
			example.Verdict.Trigger, example.Verdict.Kind, example.Verdict.Evidence.Message)
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "evaluations/s")
	if used := cpuAfter - cpuBefore; cpuMetric && cpuOK && cpuOK2 && used > 0 {
		b.ReportMetric(float64(b.N*len(items))/used.Seconds(), "evaluations/cpu-s")
	}
	b.ReportMetric(float64(sent), "queries/round")
}

// demoVersion is the i-th canary version of the benchmarks: 1.<i+1>.0-CLINICALVALID.
func demoVersion(i int) string { return fmt.Sprintf("1.%d.0-CLINICALVALID", i+1) }

// demoItems is one item per canary trigger of svc for each of n canary versions, all
// compared with demoBaseline.
func demoItems(svc *policies.Service, n int) []Item {
	var items []Item
	for i := range n {
		s := demoSubject(demoVersion(i))
		for _, tr := range svc.TriggersFor(policies.TargetCanary) {
			items = append(items, Item{Subject: s, Trigger: tr})
		}
	}
	return items
}

// startDemoPrometheus starts Prometheus scraping the demo series of the baseline and n
// canary versions every second, and returns once every version's request counters have
// five samples in the last minute.
func startDemoPrometheus(b *testing.B, n int) *promtest.Server {
	b.Helper()
	versions := []string{demoBaseline}
	for i := range n {
		versions = append(versions, demoVersion(i))
	}
	exp := promtest.NewExporter(b)
	exportDemoTraffic(b, exp, versions)
	prom := promtest.Start(b, promtest.Options{
		ScrapeInterval: time.Second,
		Targets:        []promtest.TargetGroup{{Job: "vigil-trigger-bench", Targets: []string{exp.Target()}}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := prom.WaitFor(ctx, demoReady, promtest.HasValue(float64(2*len(versions)))); err != nil {
		b.Fatalf("waiting for the demo series: %v", err)
	}
	return prom
}

// demoReady counts the request series (ok and error, per version) with at least five
// samples in the last minute.
const demoReady = `count(count_over_time(inference_requests_total{service="breast-cancer-dx"}[1m]) >= 5)`

// healthyTime returns an evaluation time at which the request series of all versions are
// settled (promtest's WaitForSettled) and every item is healthy. On a loaded machine the
// demo traffic or a scrape can stall for a second, which leaves the 5 s windows of
// error_burst without an increase (no data); such a time is skipped for a later one.
func healthyTime(b *testing.B, prom *promtest.Server, e *Evaluator, items []Item, versions int) time.Time {
	b.Helper()
	// Generous: on a machine shared with other work a scrape can time out now and then,
	// which resets the wait for settled data.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var last Outcome
	for attempt := 1; attempt <= 20; attempt++ {
		at, err := prom.WaitForSettled(ctx, demoReady, promtest.HasValue(float64(2*versions)))
		if err != nil {
			b.Fatalf("waiting for settled demo series: %v", err)
		}
		healthy := true
		for _, o := range e.Round(ctx, at, items) {
			if o.Verdict.Kind != VerdictHealthy {
				healthy, last = false, o
				break
			}
		}
		if healthy {
			return at
		}
	}
	b.Fatalf("no settled time at which every trigger is healthy; last: %s %s: %v %q", last.Item.Subject,
		last.Verdict.Trigger, last.Verdict.Kind, last.Verdict.Evidence.Message)
	return time.Time{}
}

// tableSource is a read-only in-memory Source: it answers the queries in its table and
// has no data for the others. It takes no lock, so a benchmark over it measures its
// caller.
type tableSource map[string]float64

var _ metrics.Source = tableSource(nil)

func (s tableSource) Query(ctx context.Context, query string, ts time.Time) (metrics.Sample, error) {
	v, ok := s[query]
	if !ok {
		return metrics.Sample{}, &metrics.QueryError{Query: query, At: ts, Kind: metrics.KindNoData, Attempts: 1,
			Err: fmt.Errorf("%w: empty result", metrics.ErrNoData)}
	}
	return metrics.Sample{Query: query, Value: v, Timestamp: ts}, nil
}

func (s tableSource) QueryRange(ctx context.Context, query string, r metrics.Range) ([]metrics.Point, error) {
	return nil, fmt.Errorf("tableSource: range query %q: triggers run instant queries only", query)
}

// healthyTable answers every query of items with a value that keeps its trigger healthy:
// half a positive threshold that must not be exceeded, 1.2 times a positive one that must
// not be undercut, the candidate's own value for a baseline, and ten times a min_samples
// count. A query
// shared by several triggers keeps the first value; benchmarkRounds checks the result.
func healthyTable(items []Item) tableSource {
	src := tableSource{}
	set := func(q string, v float64) float64 {
		if old, ok := src[q]; ok {
			return old
		}
		src[q] = v
		return v
	}
	for _, it := range items {
		t, s := it.Trigger, it.Subject
		v := 0.01
		if t.Threshold != nil {
			v = healthyValue(t.Condition, *t.Threshold)
		}
		v = set(t.Query.Render(s.vars()), v)
		if t.Baseline != nil {
			set(t.Query.Render(s.baselineVars()), v)
		}
		if t.MinSamples != nil {
			set(t.MinSamples.Query.Render(s.vars()), float64(10*t.MinSamples.Count))
		}
	}
	return src
}

// healthyValue is a value on the safe side of threshold.
func healthyValue(c policies.Condition, threshold float64) float64 {
	switch {
	case c == policies.ConditionBelow && threshold > 0:
		return 1.2 * threshold
	case c == policies.ConditionBelow:
		return threshold + 1
	case threshold > 0:
		return threshold / 2
	default:
		return threshold - 1
	}
}
