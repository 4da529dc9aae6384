package trigger

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

const (
	canaryVersion = "2.0.0-CLINICALVALID"
	ratioMetric   = "vigil_test_error_ratio"
)

// realProm is a Prometheus scraping one exporter every second, with an evaluator over it.
type realProm struct {
	prom    *promtest.Server
	exp     *promtest.Exporter
	source  *countingSource
	eval    *Evaluator
	pollGap time.Duration
}

// startRealProm starts Prometheus (1 s scrapes, 3 s lookback so a deleted series vanishes
// quickly) scraping a fresh exporter, and waits for setup's series to appear.
func startRealProm(t testing.TB, setup func(*promtest.Exporter), waitQuery string) *realProm {
	t.Helper()
	exp := promtest.NewExporter(t)
	setup(exp)
	prom := promtest.Start(t, promtest.Options{
		ScrapeInterval: time.Second,
		LookbackDelta:  3 * time.Second,
		Targets:        []promtest.TargetGroup{{Job: "vigil-trigger-test", Targets: []string{exp.Target()}}},
	})
	cfg := metrics.DefaultConfig(prom.URL())
	cfg.Retries = 1
	src, err := metrics.NewPrometheus(cfg)
	if err != nil {
		t.Fatalf("metrics.NewPrometheus: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := prom.WaitForSeries(ctx, waitQuery); err != nil {
		t.Fatalf("waiting for the first scrape: %v", err)
	}
	counting := newCountingSource(src)
	return &realProm{prom: prom, exp: exp, source: counting, pollGap: 250 * time.Millisecond,
		eval: &Evaluator{Source: counting, Concurrency: 8, Timeout: 10 * time.Second}}
}

// waitFor polls the query until cond holds (30 s at most).
func (r *realProm) waitFor(t *testing.T, query string, cond func(model.Value) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.prom.WaitFor(ctx, query, cond); err != nil {
		t.Fatal(err)
	}
}

// step evaluates one item now (wall-clock time, as the controller would) and returns its
// outcome.
func (r *realProm) step(it Item) Outcome {
	return r.eval.Round(context.Background(), time.Now(), []Item{it})[0]
}

// stepUntil evaluates it every pollGap until a verdict of kind want (30 s at most),
// and returns every outcome on the way, the last one of kind want.
func (r *realProm) stepUntil(t *testing.T, it Item, want VerdictKind) []Outcome {
	t.Helper()
	var seen []Outcome
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		o := r.step(it)
		seen = append(seen, o)
		it.Clock = o.Clock
		if o.Verdict.Kind == want {
			return seen
		}
		time.Sleep(r.pollGap)
	}
	t.Fatalf("no %v verdict within 30s; verdicts: %s", want, kinds(seen))
	return nil
}

// checkHeld fails the test unless a no-data evaluation kept the breach state of prev.
func checkHeld(t *testing.T, prev, next Clock) {
	t.Helper()
	if next.State != prev.State || next.Consecutive != prev.Consecutive || !next.PendingSince.Equal(prev.PendingSince) ||
		!next.FiringSince.Equal(prev.FiringSince) || next.NoData != prev.NoData+1 {
		t.Errorf("no data changed the clock from %+v to %+v; it must hold", prev, next)
	}
}

func kinds(outcomes []Outcome) string {
	var s []string
	for _, o := range outcomes {
		s = append(s, o.Verdict.Kind.String())
	}
	return strings.Join(s, " ")
}

func canarySubject() Subject {
	return Subject{Service: "dx", Version: canaryVersion, BaselineVersion: "1.0.0-PRODUCTION",
		Target: policies.TargetCanary, Interval: time.Second}
}

func TestAgainstPrometheus(t *testing.T) {
	t.Parallel()
	labels := func(version string) map[string]string { return map[string]string{"service": "dx", "version": version} }
	canaryRatio := `max(vigil_test_error_ratio{service="dx",version="2.0.0-CLINICALVALID"})`
	r := startRealProm(t, func(exp *promtest.Exporter) {
		exp.Gauge(ratioMetric, labels(canaryVersion)).Set(0.01)
		exp.Gauge(ratioMetric, labels("1.0.0-PRODUCTION")).Set(0.02)
	}, canaryRatio)
	gauge := r.exp.Gauge(ratioMetric, labels(canaryVersion))

	ratioTrigger := func(t *testing.T, holdFor time.Duration) *policies.Trigger {
		tr := newTrigger(t, withFor(holdFor))
		tr.Query = template(t, `max(vigil_test_error_ratio{service="${service}",version="${version}"})`)
		return tr
	}
	// breaching is the item carried from one subtest to the next.
	item := Item{Subject: canarySubject(), Trigger: ratioTrigger(t, 2*time.Second)}

	t.Run("breaches after for as the value crosses the threshold", func(t *testing.T) {
		r.waitFor(t, canaryRatio, promtest.HasValue(0.01))
		first := r.step(item)
		if first.Verdict.Kind != VerdictHealthy || *first.Verdict.Evidence.Value != 0.01 {
			t.Fatalf("below the threshold: %v %q", first.Verdict.Kind, first.Verdict.Evidence.Message)
		}
		item.Clock = first.Clock
		gauge.Set(0.5)
		seen := r.stepUntil(t, item, VerdictBreached)
		item.Clock = seen[len(seen)-1].Clock
		// The sequence is healthy (until Prometheus has scraped the new value), then
		// pending for at least `for`, then breached. On a loaded machine a scrape can time
		// out, and Prometheus marks the series stale until the next one: such an
		// evaluation must be no data and hold the clock.
		phase := VerdictHealthy
		var pendings int
		for i, o := range seen {
			v := o.Verdict
			if v.Kind == VerdictNoData && i > 0 {
				checkHeld(t, seen[i-1].Clock, o.Clock)
				continue
			}
			switch {
			case v.Kind == phase:
			case phase == VerdictHealthy && v.Kind == VerdictPending, phase == VerdictPending && v.Kind == VerdictBreached:
				phase = v.Kind
			default:
				t.Fatalf("verdict %d is %v after %v; sequence %s", i, v.Kind, phase, kinds(seen))
			}
			if v.Kind == VerdictPending {
				pendings++
				if held := v.Evidence.At.Sub(o.Clock.PendingSince); held >= 2*time.Second {
					t.Errorf("pending although the condition held for %v >= for 2s", held)
				}
			}
		}
		last := seen[len(seen)-1]
		if held := last.Clock.FiringSince.Sub(last.Clock.PendingSince); held < 2*time.Second {
			t.Errorf("fired after %v, before for = 2s", held)
		}
		if pendings == 0 || *last.Verdict.Evidence.Value != 0.5 {
			t.Errorf("sequence %s, last value %v: want pending verdicts before the breach at 0.5", kinds(seen), *last.Verdict.Evidence.Value)
		}
		t.Logf("sequence: %s; %s", kinds(seen), last.Verdict.Evidence.Message)
	})

	t.Run("recovery resets the clock", func(t *testing.T) {
		gauge.Set(0.02)
		seen := r.stepUntil(t, item, VerdictHealthy)
		prev := item.Clock
		for _, o := range seen[:len(seen)-1] {
			switch o.Verdict.Kind {
			case VerdictBreached:
			case VerdictNoData: // a scrape that timed out; see above
				checkHeld(t, prev, o.Clock)
			default:
				t.Errorf("before recovery: %v, want breached; sequence %s", o.Verdict.Kind, kinds(seen))
			}
			prev = o.Clock
		}
		item.Clock = seen[len(seen)-1].Clock
		if c := item.Clock; c.State != StateInactive || c.Consecutive != 0 || !c.PendingSince.IsZero() || !c.FiringSince.IsZero() {
			t.Errorf("clock after recovery %+v, want reset", c)
		}
	})

	t.Run("no data holds", func(t *testing.T) {
		slow := Item{Subject: canarySubject(), Trigger: ratioTrigger(t, time.Hour)}
		gauge.Set(0.7)
		seen := r.stepUntil(t, slow, VerdictPending)
		slow.Clock = seen[len(seen)-1].Clock
		held := slow.Clock
		deleted := time.Now()
		if !r.exp.Delete(ratioMetric, labels(canaryVersion)) {
			t.Fatal("the canary's series was not exported")
		}
		// Whatever happens below, later subtests need the canary's series back.
		defer func() {
			gauge = r.exp.Gauge(ratioMetric, labels(canaryVersion))
			gauge.Set(0.01)
		}()
		// An empty answer alone is not proof: on a loaded machine a late scrape can leave a
		// gap longer than the lookback and then fill it. Wait for a scrape that began after
		// the deletion, whose staleness marker ends the series for good.
		r.waitFor(t, fmt.Sprintf(`min(timestamp(up{job="vigil-trigger-test"})) > %.3f`, float64(deleted.UnixMilli())/1000), promtest.HasSamples)
		r.waitFor(t, canaryRatio, func(v model.Value) bool { return !promtest.HasSamples(v) })
		o := r.step(slow)
		if o.Verdict.Kind != VerdictNoData || o.Verdict.Ignored {
			t.Fatalf("without the series: %v (ignored %v) %q, want no data held", o.Verdict.Kind, o.Verdict.Ignored, o.Verdict.Evidence.Message)
		}
		if o.Clock.State != StatePending || o.Clock.Consecutive != held.Consecutive || !o.Clock.PendingSince.Equal(held.PendingSince) || o.Clock.NoData != 1 {
			t.Errorf("clock %+v, want the pending state %+v kept and NoData 1", o.Clock, held)
		}
		if !strings.Contains(o.Verdict.Evidence.Message, "no data: empty result") || o.Verdict.Evidence.Query != canaryRatio {
			t.Errorf("evidence %q for query %q", o.Verdict.Evidence.Message, o.Verdict.Evidence.Query)
		}
	})

	t.Run("a query syntax error is an error", func(t *testing.T) {
		tr := newTrigger(t)
		tr.Query = template(t, `max(vigil_test_error_ratio{service="${service}"}`)
		o := r.step(Item{Subject: canarySubject(), Trigger: tr})
		if o.Verdict.Kind != VerdictError || !strings.Contains(o.Verdict.Evidence.Message, "bad query") {
			t.Errorf("verdict %v %q, want a bad-query error", o.Verdict.Kind, o.Verdict.Evidence.Message)
		}
	})

	t.Run("several series are an error naming them", func(t *testing.T) {
		tr := newTrigger(t)
		tr.Query = template(t, `vigil_test_error_ratio{service="${service}"}`)
		r.waitFor(t, `count(vigil_test_error_ratio{service="dx"})`, promtest.HasValue(2))
		o := r.step(Item{Subject: canarySubject(), Trigger: tr})
		msg := o.Verdict.Evidence.Message
		if o.Verdict.Kind != VerdictError || !strings.Contains(msg, "unusable result shape") ||
			!strings.Contains(msg, `version="1.0.0-PRODUCTION"`) || !strings.Contains(msg, `version="2.0.0-CLINICALVALID"`) {
			t.Errorf("verdict %v %q, want a shape error naming both series", o.Verdict.Kind, msg)
		}
	})

	t.Run("Prometheus down is an error, never healthy, and values return after a restart", func(t *testing.T) {
		r.waitFor(t, canaryRatio, promtest.HasValue(0.01))
		pending := Item{Subject: canarySubject(), Trigger: ratioTrigger(t, time.Hour),
			Clock: Clock{State: StatePending, PendingSince: time.Now().Add(-time.Minute), Consecutive: 4, LastEvaluated: time.Now().Add(-time.Second)}}
		if err := r.prom.Kill(); err != nil {
			t.Fatalf("kill: %v", err)
		}
		o := r.step(pending)
		if o.Verdict.Kind != VerdictError || !strings.Contains(o.Verdict.Evidence.Message, "transport error") {
			t.Fatalf("with Prometheus killed: %v %q, want a transport error", o.Verdict.Kind, o.Verdict.Evidence.Message)
		}
		if o.Clock.State != StatePending || o.Clock.Consecutive != 4 || o.Clock.Errors != 1 {
			t.Errorf("clock %+v, want the pending state kept and one error", o.Clock)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := r.prom.Restart(ctx); err != nil {
			t.Fatalf("restart: %v", err)
		}
		r.waitFor(t, canaryRatio, promtest.HasValue(0.01))
		after := r.step(Item{Subject: canarySubject(), Trigger: pending.Trigger, Clock: o.Clock})
		if after.Verdict.Kind != VerdictHealthy || after.Verdict.Evidence.Value == nil || after.Clock.Errors != 0 {
			t.Errorf("after the restart: %v %q, clock %+v; want a healthy value", after.Verdict.Kind, after.Verdict.Evidence.Message, after.Clock)
		}
	})
}

func TestExamplePolicyAgainstPrometheus(t *testing.T) {
	t.Parallel()
	svc := exampleService(t)
	versions := []string{demoBaseline, "1.1.0-CLINICALVALID", "1.2.0-CLINICALVALID", "1.3.0-CLINICALVALID"}
	r := startRealProm(t, func(exp *promtest.Exporter) { exportDemoTraffic(t, exp, versions) },
		`sum(inference_requests_total{service="breast-cancer-dx",version="1.3.0-CLINICALVALID"})`)
	// increase() needs two samples in its window.
	r.waitFor(t, `count(count_over_time(inference_requests_total{service="breast-cancer-dx"}[1m]) >= 3)`, promtest.HasValue(float64(2*len(versions))))

	var items []Item
	want := map[string]bool{}
	for _, v := range versions[1:] {
		s := demoSubject(v)
		for _, tr := range svc.TriggersFor(policies.TargetCanary) {
			items = append(items, Item{Subject: s, Trigger: tr})
			want[tr.Query.Render(s.vars())] = true
			if tr.Baseline != nil {
				want[tr.Query.Render(s.baselineVars())] = true
			}
			if tr.MinSamples != nil {
				want[tr.MinSamples.Query.Render(s.vars())] = true
			}
		}
	}
	r.source.take()
	report := r.eval.Evaluate(context.Background(), time.Now(), items)
	calls := r.source.take()
	// A scrape that times out on a loaded machine leaves the series stale (no data) until
	// the next one; evaluate again, a second apart, until every trigger has measured.
	measured := report
	for attempt := 0; attempt < 10 && unmeasured(measured) > 0; attempt++ {
		time.Sleep(time.Second)
		measured = r.eval.Evaluate(context.Background(), time.Now(), items)
		for _, o := range measured.Outcomes {
			if o.Verdict.Kind == VerdictError {
				t.Errorf("%s %s: %q", o.Item.Subject, o.Verdict.Trigger, o.Verdict.Evidence.Message)
			}
		}
	}

	t.Run("sends each distinct query once", func(t *testing.T) {
		if report.QueriesSent != len(want) || len(calls) != len(want) {
			t.Errorf("sent %d (Prometheus saw %d distinct), want %d distinct queries", report.QueriesSent, len(calls), len(want))
		}
		for q, n := range calls {
			if n != 1 || !want[q] {
				t.Errorf("query sent %d times (expected: %v): %s", n, want[q], q)
			}
		}
		if report.QueriesNeeded <= report.QueriesSent {
			t.Errorf("needed %d, sent %d: the example policy shares queries, dedup must save some", report.QueriesNeeded, report.QueriesSent)
		}
		t.Logf("%d items: %d queries needed, %d sent", len(items), report.QueriesNeeded, report.QueriesSent)
	})
	t.Run("the example policy's queries measure on real series", func(t *testing.T) {
		for _, o := range measured.Outcomes {
			if k := o.Verdict.Kind; k == VerdictError || k == VerdictNoData {
				t.Errorf("%s %s: %v %q", o.Item.Subject, o.Verdict.Trigger, k, o.Verdict.Evidence.Message)
			}
		}
	})
}

// unmeasured counts the outcomes without a value.
func unmeasured(r RoundReport) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Verdict.Evidence.Value == nil {
			n++
		}
	}
	return n
}
