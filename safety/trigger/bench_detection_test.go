package trigger

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// minDetectionSamples is the fewest crossings BenchmarkDetectionLatency accepts: with
// fewer, a 99th percentile says nothing.
const minDetectionSamples = 30

var detectionSamples = flag.Int("detection-samples", minDetectionSamples,
	"threshold crossings BenchmarkDetectionLatency measures per iteration (at least 30)")

// Timing of the detection benchmark.
const (
	// detectionScrape is how often Prometheus scrapes the exporter.
	detectionScrape = time.Second
	// detectionEvery is how often the evaluation loop evaluates the trigger.
	detectionEvery = time.Second
	// detectionPatience bounds the wait for any one verdict the benchmark expects.
	detectionPatience = 30 * time.Second
)

// The signal the benchmark's trigger watches, and its values on either side of the
// trigger's threshold (0.1, from newTrigger).
const (
	signalMetric = "vigil_bench_error_ratio"
	signalLow    = 0.01
	signalHigh   = 0.5
)

// BenchmarkDetectionLatency measures how long a breach takes to become a Breached verdict
// end to end: a real Prometheus scrapes a loopback exporter every second, and a loop
// evaluates a trigger (threshold 0.1, no `for`, consecutive 1) every second of real time,
// as the controller does, with the controller's default metrics settings (5 s per query
// attempt, one retry, a 6 s round deadline). An evaluation that runs past its tick delays
// the next one, as in the controller. For each sample the benchmark waits for a healthy verdict,
// waits a random fraction of a second (so the crossing falls at a random phase of both the
// scrape and the evaluation cycle), raises the exported value above the threshold, and
// records the time from that moment to the end of the first evaluation that returns
// Breached. It then lowers the value and waits for a healthy verdict again.
//
// The floor is one scrape interval plus one evaluation interval (2 s) plus query time;
// the target for the 99th percentile is 2.5 s. A Breached verdict while the value is low,
// a Pending verdict (impossible without `for`) or a crossing not detected within 30 s
// fails the benchmark. It reports median-ms, p99-ms and max-ms over -detection-samples
// crossings per iteration (default 30) and takes about 5 s per crossing:
//
//	go test -run '^$' -bench DetectionLatency -benchtime 1x ./safety/trigger/
func BenchmarkDetectionLatency(b *testing.B) {
	if *detectionSamples < minDetectionSamples {
		b.Fatalf("-detection-samples is %d; want at least %d for a meaningful 99th percentile", *detectionSamples, minDetectionSamples)
	}
	labels := map[string]string{"service": "dx", "version": canaryVersion}
	exp := promtest.NewExporter(b)
	signal := exp.Gauge(signalMetric, labels)
	signal.Set(signalLow)
	prom := promtest.Start(b, promtest.Options{
		ScrapeInterval: detectionScrape,
		Targets:        []promtest.TargetGroup{{Job: "vigil-detection-bench", Targets: []string{exp.Target()}}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := prom.WaitForSeries(ctx, signalMetric); err != nil {
		b.Fatalf("waiting for the first scrape: %v", err)
	}
	// The metrics source and round deadline xds-server's controller uses by default.
	src, err := metrics.NewPrometheus(metrics.Config{Address: prom.URL(), Timeout: metrics.DefaultTimeout,
		Retries: 1, RetryBackoff: 100 * time.Millisecond, RetryBackoffMax: 500 * time.Millisecond})
	if err != nil {
		b.Fatalf("metrics.NewPrometheus: %v", err)
	}
	eval := &Evaluator{Source: src, Concurrency: 16, Timeout: metrics.DefaultTimeout + time.Second}
	tr := newTrigger(b)
	tr.Query = template(b, `max(`+signalMetric+`{service="${service}",version="${version}"})`)
	loop := startEvaluationLoop(b, eval, Item{Subject: canarySubject(), Trigger: tr}, detectionEvery)

	var latencies []time.Duration
	for b.Loop() {
		for range *detectionSamples {
			latencies = append(latencies, loop.measureCrossing(b, signal))
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(latencies, 0.5)), "median-ms")
	b.ReportMetric(ms(percentile(latencies, 0.99)), "p99-ms")
	b.ReportMetric(ms(latencies[len(latencies)-1]), "max-ms")
	b.ReportMetric(0, "ns/op") // one iteration lasts minutes; its length means nothing
	b.Logf("%d crossings, latencies (ms, sorted): %s; evaluations that were not healthy or breached: %s",
		len(latencies), formatMillis(latencies), loop.otherVerdicts())
}

// loopEvaluation is one evaluation of the loop: when it ran and what it found.
type loopEvaluation struct {
	started, done time.Time
	verdict       Verdict
}

// evaluationLoop evaluates one item every interval of real time, carrying its clock, and
// sends each evaluation on its channel. The benchmark stops it in Cleanup.
type evaluationLoop struct {
	evaluations <-chan loopEvaluation

	mu sync.Mutex
	// others counts the verdicts other than healthy and breached by kind, and example
	// keeps the message of the first of each kind.
	others  map[string]int
	example map[string]string
}

// startEvaluationLoop starts the loop's goroutine; b.Cleanup stops it and waits for it.
func startEvaluationLoop(b *testing.B, e *Evaluator, it Item, interval time.Duration) *evaluationLoop {
	ch := make(chan loopEvaluation)
	l := &evaluationLoop{evaluations: ch, others: map[string]int{}, example: map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			started := time.Now()
			o := e.Round(ctx, started, []Item{it})[0]
			it.Clock = o.Clock
			ev := loopEvaluation{started: started, done: time.Now(), verdict: o.Verdict}
			if k := o.Verdict.Kind; k != VerdictHealthy && k != VerdictBreached {
				l.noteOther(k.String(), o.Verdict.Evidence.Message)
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
	})
	b.Cleanup(func() { cancel(); wg.Wait() })
	return l
}

// measureCrossing makes signal healthy, raises it above the threshold at a random phase
// and returns the time from the crossing to the end of the first Breached evaluation. The
// caller must keep no other reader of l's channel.
func (l *evaluationLoop) measureCrossing(b *testing.B, signal prometheus.Gauge) time.Duration {
	b.Helper()
	lowered := time.Now()
	signal.Set(signalLow)
	// Until Prometheus has scraped the low value, evaluations still breach.
	l.await(b, "a healthy verdict after lowering the value", true, func(ev loopEvaluation) bool {
		return ev.started.After(lowered) && ev.verdict.Kind == VerdictHealthy
	})
	// Every evaluation that starts from now on sees the low value until the crossing.
	phase := time.Duration(rand.Int64N(int64(detectionEvery)))
	l.drainFor(b, phase)
	crossed := time.Now()
	signal.Set(signalHigh)
	ev := l.await(b, "a breached verdict after the crossing", false, func(ev loopEvaluation) bool {
		return ev.verdict.Kind == VerdictBreached
	})
	return ev.done.Sub(crossed)
}

// await receives evaluations until done accepts one and returns it. A Pending verdict,
// a Breached one that done does not accept unless mayBreach, and waiting longer than
// detectionPatience fail the benchmark.
func (l *evaluationLoop) await(b *testing.B, what string, mayBreach bool, done func(loopEvaluation) bool) loopEvaluation {
	b.Helper()
	timeout := time.NewTimer(detectionPatience)
	defer timeout.Stop()
	for {
		select {
		case ev := <-l.evaluations:
			if done(ev) {
				return ev
			}
			if !mayBreach || ev.verdict.Kind != VerdictBreached {
				checkUnexpected(b, ev)
			}
		case <-timeout.C:
			b.Fatalf("no %s within %v", what, detectionPatience)
		}
	}
}

// drainFor receives evaluations for d, while the value is low: none may breach.
func (l *evaluationLoop) drainFor(b *testing.B, d time.Duration) {
	b.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-l.evaluations:
			checkUnexpected(b, ev)
		case <-timer.C:
			return
		}
	}
}

// checkUnexpected fails the benchmark on a verdict that cannot happen while the value is
// low or without `for`.
func checkUnexpected(b *testing.B, ev loopEvaluation) {
	b.Helper()
	switch ev.verdict.Kind {
	case VerdictBreached:
		b.Fatalf("breached at %s while the value was below the threshold: %q", formatTime(ev.started), ev.verdict.Evidence.Message)
	case VerdictPending:
		b.Fatalf("pending at %s, impossible for a trigger without for: %q", formatTime(ev.started), ev.verdict.Evidence.Message)
	}
}

// noteOther records an evaluation that was neither healthy nor breached.
func (l *evaluationLoop) noteOther(kind, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.others[kind] == 0 {
		l.example[kind] = message
	}
	l.others[kind]++
}

// otherVerdicts lists how many evaluations were neither healthy nor breached, by kind,
// each with its first message.
func (l *evaluationLoop) otherVerdicts() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.others) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l.others)) {
		parts = append(parts, fmt.Sprintf("%d %s (first: %q)", l.others[k], k, l.example[k]))
	}
	return strings.Join(parts, ", ")
}

// percentile returns the nearest-rank q-quantile of sorted (ascending, non-empty): the
// smallest value with at least q of the values at or below it. q is in (0, 1].
func percentile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// formatMillis renders durations as whole milliseconds: "812 1033 1570".
func formatMillis(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprint(d.Milliseconds())
	}
	return strings.Join(parts, " ")
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	thirty := make([]int, 30)
	for i := range thirty {
		thirty[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"one value is every quantile", ms(7), 0.5, 7 * time.Millisecond},
		{"median of an odd count is the middle", ms(1, 2, 3), 0.5, 2 * time.Millisecond},
		{"median of an even count is the lower middle", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 30 values is the largest", ms(thirty...), 0.99, 30 * time.Millisecond},
		{"p90 of 30 values is the 27th", ms(thirty...), 0.9, 27 * time.Millisecond},
		{"p100 is the largest", ms(1, 5, 9), 1, 9 * time.Millisecond},
		{"a tiny quantile is the smallest", ms(1, 5, 9), 0.001, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}
