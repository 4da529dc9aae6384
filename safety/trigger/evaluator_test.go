package trigger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// subject is a canary of service dx with version 2.<minor>.0-CLINICALVALID.
func subject(minor int) Subject {
	return Subject{Service: "dx", Version: fmt.Sprintf("2.%d.0-CLINICALVALID", minor),
		BaselineVersion: "1.0.0-PRODUCTION", Target: policies.TargetCanary, Interval: time.Second}
}

func newEvaluator(src *fakeSource) *Evaluator {
	return &Evaluator{Source: src, Concurrency: 4, Timeout: 5 * time.Second}
}

func TestEvaluatorSendsEachQueryOnce(t *testing.T) {
	src := newFakeSource()
	// Three triggers over two distinct queries: error_rate and error_rate_vs_baseline share
	// their value query, and every baseline query is the same for all subjects.
	rate := newTrigger(t, withMinSamples(t, 10))
	vsBaseline := newTrigger(t, withBaseline(1.5, 0))
	vsBaseline.Name = "error_rate_vs_baseline"
	// requests_floor's query is error_rate's min_samples query.
	requests := newTrigger(t, withCondition(policies.ConditionBelow), withThreshold(1))
	requests.Name = "requests_floor"
	requests.Query = rate.MinSamples.Query

	const subjects = 6
	var items []Item
	for i := range subjects {
		s := subject(i)
		src.set(rate.Query.Render(s.vars()), 0.01)
		src.set(rate.MinSamples.Query.Render(s.vars()), 500)
		for _, tr := range []*policies.Trigger{rate, vsBaseline, requests} {
			items = append(items, Item{Subject: s, Trigger: tr})
		}
	}
	src.set(rate.Query.Render(subject(0).baselineVars()), 0.01)

	report := newEvaluator(src).Evaluate(context.Background(), t0, items)

	// Per subject: rate (value + samples) + vsBaseline (value + baseline) + requests (value)
	// = 5 needed; distinct per subject: value, samples = 2, plus one shared baseline query.
	wantNeeded, wantSent := 5*subjects, 2*subjects+1
	if report.QueriesNeeded != wantNeeded || report.QueriesSent != wantSent {
		t.Errorf("needed %d sent %d, want %d and %d", report.QueriesNeeded, report.QueriesSent, wantNeeded, wantSent)
	}
	if got := src.totalCalls(); got != wantSent {
		t.Errorf("the source answered %d queries, the report says %d were sent (want %d)", got, report.QueriesSent, wantSent)
	}
	if got := src.callsOf(rate.Query.Render(subject(0).baselineVars())); got != 1 {
		t.Errorf("the shared baseline query was sent %d times, want once", got)
	}
	for i, o := range report.Outcomes {
		if o.Verdict.Kind != VerdictHealthy {
			t.Errorf("outcome %d (%s, %s): %v %q", i, o.Item.Subject, o.Verdict.Trigger, o.Verdict.Kind, o.Verdict.Evidence.Message)
		}
		if o.Item.Trigger != items[i].Trigger || o.Item.Subject != items[i].Subject {
			t.Errorf("outcome %d is for %s/%s, want the items' order", i, o.Item.Subject, o.Item.Trigger.Name)
		}
	}
}

func TestEvaluatorIsolatesFailures(t *testing.T) {
	src := newFakeSource()
	good := newTrigger(t)
	broken := newTrigger(t)
	broken.Name = "broken"
	broken.Query = template(t, `sum(rate(errors_total{service="${service}",version="${version}"}[1m]`)
	stableOnly := newTrigger(t)
	stableOnly.Name = "stable_only"
	stableOnly.AppliesTo = []policies.Target{policies.TargetStable}

	s := subject(1)
	src.set(good.Query.Render(s.vars()), 0.5)
	src.fail(broken.Query.Render(s.vars()), errors.New(`1:59: parse error: unclosed left parenthesis`))

	prev := Clock{State: StatePending, PendingSince: t0.Add(-sec(3)), Consecutive: 3, LastEvaluated: t0.Add(-sec(1))}
	items := []Item{
		{Subject: s, Trigger: good},
		{Subject: s, Trigger: broken, Clock: prev},
		{Subject: s, Trigger: stableOnly},
		{Subject: Subject{Service: "dx", Target: policies.TargetCanary, Interval: time.Second}, Trigger: good},
		{Subject: s, Trigger: nil},
	}
	report := newEvaluator(src).Evaluate(context.Background(), t0, items)
	tests := []struct {
		name string
		kind VerdictKind
		want string
	}{
		{"a good trigger goes on", VerdictBreached, "error_rate = 0.5, above the threshold 0.1"},
		{"a bad query is an error", VerdictError, "bad query: 1:59: parse error"},
		{"a trigger asked for a target it does not watch", VerdictError, `trigger "stable_only" does not watch canary versions`},
		{"a subject without a version", VerdictError, `subject of service "dx" has no version`},
		{"a nil trigger", VerdictError, "trigger is nil"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := report.Outcomes[i].Verdict
			if v.Kind != tt.kind || !strings.Contains(v.Evidence.Message, tt.want) {
				t.Errorf("verdict %v %q, want %v containing %q", v.Kind, v.Evidence.Message, tt.kind, tt.want)
			}
		})
	}
	if c := report.Outcomes[1].Clock; c.State != StatePending || c.Consecutive != 3 || c.Errors != 1 {
		t.Errorf("the failing trigger's clock became %+v; its breach state must be kept", c)
	}
	if report.QueriesNeeded != 2 || src.totalCalls() != 2 {
		t.Errorf("needed %d, answered %d; want 2: items that cannot be evaluated send nothing", report.QueriesNeeded, src.totalCalls())
	}
}

func TestEvaluatorSettings(t *testing.T) {
	tests := []struct {
		name string
		e    *Evaluator
		want string
	}{
		{"no source", &Evaluator{Concurrency: 1, Timeout: time.Second}, "Evaluator.Source is nil"},
		{"no concurrency", &Evaluator{Source: newFakeSource(), Timeout: time.Second}, "Evaluator.Concurrency is 0"},
		{"no timeout", &Evaluator{Source: newFakeSource(), Concurrency: 2}, "Evaluator.Timeout is 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.e.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			outcomes := tt.e.Round(context.Background(), t0, []Item{{Subject: subject(1), Trigger: newTrigger(t)}})
			if v := outcomes[0].Verdict; v.Kind != VerdictError || !strings.Contains(v.Evidence.Message, tt.want) {
				t.Errorf("verdict %v %q, want an error naming the field", v.Kind, v.Evidence.Message)
			}
		})
	}
}

func TestEvaluatorDeadline(t *testing.T) {
	src := newFakeSource()
	src.block = true
	e := &Evaluator{Source: src, Concurrency: 2, Timeout: 50 * time.Millisecond}
	items := []Item{{Subject: subject(1), Trigger: newTrigger(t)}, {Subject: subject(2), Trigger: newTrigger(t)},
		{Subject: subject(3), Trigger: newTrigger(t)}}
	outcomes := e.Round(context.Background(), t0, items)
	for i, o := range outcomes {
		if o.Verdict.Kind != VerdictError || !strings.Contains(o.Verdict.Evidence.Message, "canceled") {
			t.Errorf("outcome %d: %v %q, want an error after the round's deadline", i, o.Verdict.Kind, o.Verdict.Evidence.Message)
		}
	}
}

func TestEvaluatorBoundsConcurrency(t *testing.T) {
	src := newFakeSource()
	src.hold = make(chan struct{})
	e := &Evaluator{Source: src, Concurrency: 3, Timeout: time.Minute}
	var items []Item
	for i := range 10 {
		items = append(items, Item{Subject: subject(i), Trigger: newTrigger(t)})
	}
	done := make(chan []Outcome)
	go func() { done <- e.Round(context.Background(), t0, items) }()
	// Wait until the evaluator has as many queries in flight as it ever will, then let
	// them all finish.
	deadline := time.Now().Add(10 * time.Second)
	for {
		src.mu.Lock()
		in := src.inFlight
		src.mu.Unlock()
		if in == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(src.hold)
	outcomes := <-done
	if src.maxIn != 3 {
		t.Errorf("at most %d queries were in flight, want exactly Concurrency = 3", src.maxIn)
	}
	for i, o := range outcomes {
		if o.Verdict.Kind != VerdictNoData {
			t.Errorf("outcome %d: %v, want no data from the empty fake", i, o.Verdict.Kind)
		}
	}
}
