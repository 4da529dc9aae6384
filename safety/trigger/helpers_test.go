package trigger

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// t0 is the logical start of every table test.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const (
	valueQuery    = `sum(rate(errors_total{service="dx",version="2.0.0-CLINICALVALID"}[1m]))`
	baselineQuery = `sum(rate(errors_total{service="dx",version="1.0.0-PRODUCTION"}[1m]))`
	samplesQuery  = `sum(increase(requests_total{service="dx",version="2.0.0-CLINICALVALID"}[1m]))`
)

// template parses a query template or fails the test.
func template(t testing.TB, text string) policies.QueryTemplate {
	t.Helper()
	q, err := policies.ParseQueryTemplate(text)
	if err != nil {
		t.Fatalf("ParseQueryTemplate(%q): %v", text, err)
	}
	return q
}

// triggerOption changes a test trigger.
type triggerOption func(*policies.Trigger)

// newTrigger returns a valid trigger "error_rate": above 0.1, fires at the first breach,
// holds without data, watches canary and green.
func newTrigger(t testing.TB, opts ...triggerOption) *policies.Trigger {
	t.Helper()
	threshold := 0.1
	tr := &policies.Trigger{
		Name:        "error_rate",
		Category:    policies.CategoryPerformanceDegradation,
		Query:       template(t, `sum(rate(errors_total{service="${service}",version="${version}"}[1m]))`),
		Condition:   policies.ConditionAbove,
		Threshold:   &threshold,
		Consecutive: 1,
		Action:      policies.ActionRollbackImmediately,
		OnNoData:    policies.NoDataHold,
		AppliesTo:   []policies.Target{policies.TargetCanary, policies.TargetGreen},
		Range: hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: 40, Column: 3, Byte: 900},
			End: hcl.Pos{Line: 40, Column: 24, Byte: 921}},
	}
	for _, o := range opts {
		o(tr)
	}
	return tr
}

func withFor(d time.Duration) triggerOption { return func(t *policies.Trigger) { t.For = d } }
func withConsecutive(n uint32) triggerOption {
	return func(t *policies.Trigger) { t.Consecutive = n }
}
func withNoData(p policies.NoDataPolicy) triggerOption {
	return func(t *policies.Trigger) { t.OnNoData = p }
}
func withCondition(c policies.Condition) triggerOption {
	return func(t *policies.Trigger) { t.Condition = c }
}
func withThreshold(v float64) triggerOption { return func(t *policies.Trigger) { t.Threshold = &v } }
func withBaseline(ratio, delta float64) triggerOption {
	return func(t *policies.Trigger) {
		t.Threshold = nil
		t.Baseline = &policies.BaselineComparison{Ratio: ratio, Delta: delta}
	}
}
func withMinSamples(tb testing.TB, count uint64) triggerOption {
	return func(t *policies.Trigger) {
		t.MinSamples = &policies.MinSamples{
			Query: template(tb, `sum(increase(requests_total{service="${service}",version="${version}"}[1m]))`),
			Count: count,
		}
	}
}

// answer is a Result carrying value for query.
func answer(query string, value float64) Result {
	return Result{Query: query, Asked: true, Sample: metrics.Sample{Query: query, Value: value}}
}

// noDataAnswer is a Result whose query returned an empty vector.
func noDataAnswer(query string) Result {
	return Result{Query: query, Asked: true, Err: &metrics.QueryError{Query: query, At: t0,
		Kind: metrics.KindNoData, Attempts: 1, Err: fmt.Errorf("%w: empty result", metrics.ErrNoData)}}
}

// failedAnswer is a Result whose query could not be run.
func failedAnswer(query string) Result {
	return Result{Query: query, Asked: true, Err: &metrics.QueryError{Query: query, At: t0,
		Kind: metrics.KindTransport, Attempts: 3, Err: fmt.Errorf("dial tcp 127.0.0.1:9090: connection refused")}}
}

// value is an observation of a fixed-threshold trigger without min_samples.
func value(v float64) Observation { return Observation{Value: answer(valueQuery, v)} }

// noValue is an observation whose value query returned no data.
func noValue() Observation { return Observation{Value: noDataAnswer(valueQuery)} }

// failure is an observation whose value query failed.
func failure() Observation { return Observation{Value: failedAnswer(valueQuery)} }

// compared is an observation of a baseline comparison.
func compared(v, base float64) Observation {
	return Observation{Value: answer(valueQuery, v), Baseline: answer(baselineQuery, base)}
}

// counted is an observation of a trigger with min_samples.
func counted(v, samples float64) Observation {
	return Observation{Value: answer(valueQuery, v), MinSamples: answer(samplesQuery, samples)}
}

// sec is a logical offset in seconds from t0.
func sec(n int) time.Duration { return time.Duration(n) * time.Second }

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }
