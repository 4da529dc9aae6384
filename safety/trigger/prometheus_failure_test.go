package trigger

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// TestPrometheusFailuresAreErrors checks, against a real Prometheus, that every way of
// failing to measure ends in VerdictError with the breach state kept, whatever the
// trigger's on_no_data: a failed measurement is never healthy, never counted as a breach
// (not even with on_no_data = "fail") and never ignored.
func TestPrometheusFailuresAreErrors(t *testing.T) {
	t.Parallel()
	svc := exampleService(t)
	canary := "1.1.0-CLINICALVALID"
	r := startRealProm(t, func(exp *promtest.Exporter) { exportDemoTraffic(t, exp, []string{demoBaseline, canary}) },
		`sum(inference_requests_total{service="breast-cancer-dx",version="1.1.0-CLINICALVALID"})`)
	// increase() needs two samples in its window; min_samples needs some traffic in it.
	r.waitFor(t, `count(count_over_time(inference_requests_total{service="breast-cancer-dx"}[1m]) >= 5)`, promtest.HasValue(4))

	subject := demoSubject(canary)
	// The example policy's canary triggers (on_no_data hold, and fail for service_down),
	// a baseline comparison and two with min_samples, plus one that ignores missing data.
	triggers := svc.TriggersFor(policies.TargetCanary)
	ignoring := newTrigger(t, withNoData(policies.NoDataIgnore), withThreshold(0.5))
	ignoring.Name = "error_rate_ignoring_no_data"
	ignoring.AppliesTo = []policies.Target{policies.TargetCanary}
	ignoring.Query = template(t, `sum(rate(inference_requests_total{service="${service}",version="${version}",outcome="error"}[1m]))`)
	triggers = append(triggers, ignoring)
	checkOnNoDataCovered(t, triggers)

	t.Run("every trigger measures while Prometheus is up", func(t *testing.T) {
		items := itemsFor(subject, triggers, Clock{})
		// A scrape that times out on a loaded machine leaves the series stale until the
		// next one, and a window that has seen few scrapes may hold fewer requests than
		// min_samples: evaluate again, a second apart, until every trigger is healthy.
		var outcomes []Outcome
		for attempt := 0; attempt < 30; attempt++ {
			outcomes = r.eval.Round(context.Background(), time.Now(), items)
			if countKind(outcomes, VerdictHealthy) == len(outcomes) {
				break
			}
			time.Sleep(time.Second)
		}
		for _, o := range outcomes {
			if o.Verdict.Kind != VerdictHealthy {
				t.Errorf("%s: %v %q, want healthy on the demo traffic", o.Verdict.Trigger, o.Verdict.Kind, o.Verdict.Evidence.Message)
			}
		}
	})

	t.Run("a query Prometheus cannot execute is an error", func(t *testing.T) {
		tr := newTrigger(t)
		// Both sides have several series per service: Prometheus refuses to match them
		// (HTTP 422, an execution error, not a syntax error).
		tr.Query = template(t, `inference_requests_total{service="${service}"} + on(service) inference_requests_total{service="${service}"}`)
		prev := pendingClock(time.Now())
		o := r.step(Item{Subject: subject, Trigger: tr, Clock: prev})
		v := o.Verdict
		if v.Kind != VerdictError || !strings.Contains(v.Evidence.Message, "bad query") || !strings.Contains(v.Evidence.Error, "many-to-many") {
			t.Errorf("verdict %v, message %q, error %q; want a bad-query error quoting Prometheus", v.Kind, v.Evidence.Message, v.Evidence.Error)
		}
		checkKept(t, prev, o.Clock, 1)
	})

	t.Run("an address that is not Prometheus is an error", func(t *testing.T) {
		// The exporter answers every path with its metrics page, not the query API.
		src, err := metrics.NewPrometheus(metrics.DefaultConfig(r.exp.URL()))
		if err != nil {
			t.Fatalf("metrics.NewPrometheus: %v", err)
		}
		e := &Evaluator{Source: src, Concurrency: 2, Timeout: 10 * time.Second}
		prev := pendingClock(time.Now())
		o := e.Round(context.Background(), time.Now(), []Item{{Subject: subject, Trigger: triggers[0], Clock: prev}})[0]
		v := o.Verdict
		if v.Kind != VerdictError || !strings.Contains(v.Evidence.Message, "server error") {
			t.Errorf("verdict %v %q, want a server error", v.Kind, v.Evidence.Message)
		}
		checkKept(t, prev, o.Clock, 1)
	})

	t.Run("Prometheus down is an error for every trigger, round after round", func(t *testing.T) {
		if err := r.prom.Kill(); err != nil {
			t.Fatalf("kill: %v", err)
		}
		start := time.Now()
		fresh := itemsFor(subject, triggers, Clock{})
		pending := itemsFor(subject, triggers, pendingClock(start))
		items := append(fresh, pending...)
		initial := make([]Clock, len(items))
		for i, it := range items {
			initial[i] = it.Clock
		}
		for round := 1; round <= 3; round++ {
			now := start.Add(time.Duration(round) * time.Second)
			outcomes := r.eval.Round(context.Background(), now, items)
			for i, o := range outcomes {
				it := items[i]
				name := fmt.Sprintf("round %d, %s from %s", round, it.Trigger.Name, it.Clock.State)
				checkDownVerdict(t, name, it, o, now)
				checkKept(t, initial[i], o.Clock, uint32(round))
				items[i].Clock = o.Clock
			}
		}
	})
}

// checkOnNoDataCovered fails the test unless triggers holds every on_no_data policy, so
// that the outage subtest shows none of them turns an outage into something else.
func checkOnNoDataCovered(t *testing.T, triggers []*policies.Trigger) {
	t.Helper()
	seen := map[policies.NoDataPolicy]bool{}
	var baseline, samples bool
	for _, tr := range triggers {
		seen[tr.OnNoData] = true
		baseline = baseline || tr.Baseline != nil
		samples = samples || tr.MinSamples != nil
	}
	for _, p := range []policies.NoDataPolicy{policies.NoDataHold, policies.NoDataFail, policies.NoDataIgnore} {
		if !seen[p] {
			t.Fatalf("no trigger with on_no_data = %v; the test needs one of each", p)
		}
	}
	if !baseline || !samples {
		t.Fatalf("the triggers need a baseline comparison (%v) and a min_samples block (%v)", baseline, samples)
	}
}

// countKind counts the outcomes whose verdict is of kind k.
func countKind(outcomes []Outcome, k VerdictKind) int {
	n := 0
	for _, o := range outcomes {
		if o.Verdict.Kind == k {
			n++
		}
	}
	return n
}

// itemsFor pairs subject with every trigger, each starting from clock.
func itemsFor(s Subject, triggers []*policies.Trigger, clock Clock) []Item {
	items := make([]Item, len(triggers))
	for i, tr := range triggers {
		items[i] = Item{Subject: s, Trigger: tr, Clock: clock}
	}
	return items
}

// pendingClock is a trigger that has breached 5 times in a row over the 30 s before now,
// after 2 evaluations without data.
func pendingClock(now time.Time) Clock {
	now = now.Round(0)
	return Clock{State: StatePending, PendingSince: now.Add(-30 * time.Second), Consecutive: 5, NoData: 2,
		LastEvaluated: now.Add(-time.Second)}
}

// checkKept fails the test unless next keeps prev's breach state and no-data count and
// has failures failed evaluations in a row.
func checkKept(t *testing.T, prev, next Clock, failures uint32) {
	t.Helper()
	if next.State != prev.State || next.Consecutive != prev.Consecutive || !next.PendingSince.Equal(prev.PendingSince) ||
		!next.FiringSince.Equal(prev.FiringSince) || next.NoData != prev.NoData || next.Errors != failures {
		t.Errorf("clock went from %+v to %+v; want the breach state and no-data count kept and %d errors", prev, next, failures)
	}
}

// checkDownVerdict fails the test unless o is the error verdict of an evaluation at now
// that could not reach Prometheus, with the query that failed in its evidence.
func checkDownVerdict(t *testing.T, name string, it Item, o Outcome, now time.Time) {
	t.Helper()
	v, ev := o.Verdict, o.Verdict.Evidence
	if v.Kind != VerdictError || v.Ignored {
		t.Errorf("%s: %v (ignored %v) %q; want an error", name, v.Kind, v.Ignored, ev.Message)
		return
	}
	if ev.Value != nil || ev.Query != it.Trigger.Query.Render(it.Subject.vars()) {
		t.Errorf("%s: evidence value %v for query %q; want no value and the rendered query", name, ev.Value, ev.Query)
	}
	if !strings.Contains(ev.Message, "measurement failed") || !strings.Contains(ev.Message, "transport error") ||
		!strings.Contains(ev.Error, "connection refused") {
		t.Errorf("%s: message %q, error %q; want a transport error naming the refused connection", name, ev.Message, ev.Error)
	}
	if !o.Clock.LastEvaluated.Equal(now) {
		t.Errorf("%s: LastEvaluated %v, want %v", name, o.Clock.LastEvaluated, now)
	}
}
