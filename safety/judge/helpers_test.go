package judge

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

const (
	candidateVersion = "1.1.0-CLINICALVALID"
	baselineVersion  = "1.0.0-PRODUCTION"
)

var (
	windowStart = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	window      = Window{Start: windowStart, End: windowStart.Add(time.Minute), Step: 5 * time.Second}
	subject     = Subject{Service: "dx", Version: candidateVersion, BaselineVersion: baselineVersion}
)

func template(t testing.TB, text string) policies.QueryTemplate {
	t.Helper()
	q, err := policies.ParseQueryTemplate(text)
	if err != nil {
		t.Fatalf("ParseQueryTemplate(%q): %v", text, err)
	}
	return q
}

// The judges' query templates, and the queries they render to.
const (
	eventsTemplate  = `sum(increase(requests_total{service="${service}",version="${version}",outcome="error"}[${interval}]))`
	trialsTemplate  = `sum(increase(requests_total{service="${service}",version="${version}"}[${interval}]))`
	samplesTemplate = `histogram_quantile(0.5, sum by (le) (rate(latency_seconds_bucket{service="${service}",version="${version}"}[${interval}])))`
)

func eventsQuery(version, interval string) string {
	return fmt.Sprintf(`sum(increase(requests_total{service="dx",version="%s",outcome="error"}[%s]))`, version, interval)
}

func trialsQuery(version, interval string) string {
	return fmt.Sprintf(`sum(increase(requests_total{service="dx",version="%s"}[%s]))`, version, interval)
}

func samplesQuery(version, interval string) string {
	return fmt.Sprintf(`histogram_quantile(0.5, sum by (le) (rate(latency_seconds_bucket{service="dx",version="%s"}[%s])))`, version, interval)
}

// newJudge returns a valid judge of method m with the policy defaults; opts change it.
func newJudge(t testing.TB, m policies.JudgeMethod, opts ...func(*policies.Judge)) *policies.Judge {
	t.Helper()
	j := &policies.Judge{
		Name: "error_rate_vs_baseline", Method: m, Direction: policies.DirectionIncrease,
		Margin: 0.01, Alpha: 0.05, Confidence: 0.95, MinSamples: 100, Critical: true,
		Range: hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: 161, Column: 3}},
	}
	if m == policies.MethodMannWhitney {
		j.Name, j.Samples, j.Margin, j.Confidence, j.MinSamples = "latency_vs_baseline", template(t, samplesTemplate), 0.1, 0.98, 10
	} else {
		j.Events, j.Trials = template(t, eventsTemplate), template(t, trialsTemplate)
	}
	if m == policies.MethodSPRT {
		j.Margin, j.P0, j.P1, j.Beta = 0, 0.01, 0.05, 0.2
	}
	for _, o := range opts {
		o(j)
	}
	return j
}

// counts sets the instant events and trials of both arms over the default window.
func counts(f *fakeSource, cEvents, cTrials, bEvents, bTrials float64) {
	f.instant[eventsQuery(candidateVersion, "1m")] = cEvents
	f.instant[trialsQuery(candidateVersion, "1m")] = cTrials
	f.instant[eventsQuery(baselineVersion, "1m")] = bEvents
	f.instant[trialsQuery(baselineVersion, "1m")] = bTrials
}

// stepCounts sets per-step events and trials of version for every step of the default
// window: events(i) and trials(i) for the step ending at Start + (i+1)*Step.
func stepCounts(f *fakeSource, version string, events, trials func(i int) float64) {
	var ev, tr []metrics.Point
	for i := 0; window.Start.Add(time.Duration(i+1)*window.Step).Compare(window.End) <= 0; i++ {
		at := window.Start.Add(time.Duration(i+1) * window.Step)
		ev = append(ev, metrics.Point{Timestamp: at, Value: events(i)})
		tr = append(tr, metrics.Point{Timestamp: at, Value: trials(i)})
	}
	f.ranges[eventsQuery(version, "5s")] = ev
	f.ranges[trialsQuery(version, "5s")] = tr
}

// samples sets the per-step samples of version.
func samples(f *fakeSource, version string, values []float64) {
	ps := make([]metrics.Point, len(values))
	for i, v := range values {
		ps[i] = metrics.Point{Timestamp: window.Start.Add(time.Duration(i) * window.Step), Value: v}
	}
	f.ranges[samplesQuery(version, "5s")] = ps
}

func constant(v float64) func(int) float64 { return func(int) float64 { return v } }
