package policies

import (
	"strings"
	"testing"
	"time"
)

// The demo policy must encode Vigil's rollback-trigger table (see
// examples/policies/README.md) with its default thresholds:
//
//	critical_safety:         accuracy 0.80, adverse-event rate 0.01, immediate rollback
//	performance_degradation: response time 5000 ms, error rate 0.10, timeout rate 0.05
//	system_instability:      service downtime 30 s
func TestExamplePolicyEncodesTheTriggerTable(t *testing.T) {
	const path = "../examples/policies/breast-cancer-dx.hcl"
	p, diags := ParseFile(path, nil)
	if diags.HasErrors() {
		t.Fatalf("the example policy does not parse:\n%v", DiagnosticsError(diags))
	}
	if len(diags) != 0 {
		t.Fatalf("the example policy has warnings: %v", diags)
	}
	s := p.Service("breast-cancer-dx")
	if s == nil {
		t.Fatal("no service breast-cancer-dx")
	}

	tests := []struct {
		trigger   string
		category  Category
		condition Condition
		threshold float64
		action    Action
		query     []string // fragments the query must contain
	}{
		{"accuracy_floor", CategoryCriticalSafety, ConditionBelow, 0.80, ActionRollbackImmediately,
			[]string{`inference_feedback_total{service="${service}",version="${version}",label="malignant",predicted="malignant"}`}},
		{"sensitivity_floor", CategoryCriticalSafety, ConditionBelow, 0.85, ActionRollbackImmediately,
			[]string{`label="malignant",predicted="malignant"`, `inference_feedback_total{service="${service}",version="${version}",label="malignant"}`}},
		{"error_burst", CategoryCriticalSafety, ConditionAbove, 0.5, ActionRollbackImmediately,
			[]string{`irate(inference_requests_total{service="${service}",version="${version}",outcome="error"}[5s])`}},
		{"adverse_event_rate", CategoryCriticalSafety, ConditionAbove, 0.01, ActionRollbackImmediately,
			[]string{"clinical_adverse_events_total", "inference_requests_total"}},
		{"error_rate", CategoryPerformanceDegradation, ConditionAbove, 0.10, ActionRollbackAfterWarning,
			[]string{`outcome="error"`, "inference_requests_total"}},
		{"latency_p95", CategoryPerformanceDegradation, ConditionAbove, 5, ActionRollbackAfterWarning, // 5000 ms
			[]string{"histogram_quantile(0.95,", "inference_request_duration_seconds_bucket"}},
		{"timeout_rate", CategoryPerformanceDegradation, ConditionAbove, 0.05, ActionRollbackAfterWarning,
			[]string{"inference_timeouts_total"}},
		{"service_down", CategorySystemInstability, ConditionBelow, 0.5, ActionRollbackImmediately,
			[]string{`outcome="ok"}[30s]`}}, // service_downtime: 30 s
	}
	for _, tt := range tests {
		t.Run(tt.trigger, func(t *testing.T) {
			tr := s.Trigger(tt.trigger)
			if tr == nil {
				t.Fatalf("no trigger %q", tt.trigger)
			}
			expect(t, "Category", tr.Category, tt.category)
			expect(t, "Condition", tr.Condition, tt.condition)
			if tr.Threshold == nil {
				t.Fatal("no threshold")
			}
			expect(t, "Threshold", *tr.Threshold, tt.threshold)
			expect(t, "Action", tr.Action, tt.action)
			if tt.action == ActionRollbackAfterWarning && tr.WarningPeriod <= 0 {
				t.Error("rollback_after_warning without a warning period")
			}
			for _, frag := range tt.query {
				if !strings.Contains(tr.Query.String(), frag) {
					t.Errorf("query %s lacks %q", tr.Query, frag)
				}
			}
			rendered := tr.Query.Render(QueryVars{Service: "breast-cancer-dx", Version: "2.3.0-CLINICALVALID", BaselineVersion: "2.2.0-PRODUCTION", Interval: time.Minute})
			if strings.Contains(rendered, "${") {
				t.Errorf("rendered query keeps a placeholder: %s", rendered)
			}
		})
	}

	t.Run("accuracy has a sample floor", func(t *testing.T) {
		ms := s.Trigger("accuracy_floor").MinSamples
		if ms == nil || ms.Count != 50 {
			t.Fatalf("MinSamples = %+v, want a floor of 50", ms)
		}
	})
	t.Run("service down counts missing data as down", func(t *testing.T) {
		expect(t, "OnNoData", s.Trigger("service_down").OnNoData, NoDataFail)
	})
	t.Run("error rate vs baseline", func(t *testing.T) {
		tr := s.Trigger("error_rate_vs_baseline")
		expect(t, "Category", tr.Category, CategorySystemInstability)
		if tr.Baseline == nil || tr.Baseline.Ratio != 1.5 {
			t.Fatalf("Baseline = %+v, want ratio 1.5", tr.Baseline)
		}
	})
	t.Run("canary plan", func(t *testing.T) {
		c, ok := s.Plan("standard").(*CanaryPlan)
		if !ok {
			t.Fatal("no canary plan standard")
		}
		expect(t, "InitialWeight", c.InitialWeight, BasisPoints(500))
		var weights []BasisPoints
		for _, st := range c.Steps {
			weights = append(weights, st.Weight)
		}
		expect(t, "step weights", weights, []BasisPoints{500, 2500, 5000})
	})
	t.Run("judges", func(t *testing.T) {
		expect(t, "error judge", s.Judge("error_rate_vs_baseline").Method, MethodFarringtonManning)
		expect(t, "latency judge", s.Judge("latency_vs_baseline").Method, MethodMannWhitney)
	})
	t.Run("golden validation", func(t *testing.T) {
		bg, ok := s.Plan("validated-switch").(*BlueGreenPlan)
		if !ok || bg.Validation != "golden" {
			t.Fatalf("blue-green plan = %+v", bg)
		}
		cv := s.ClinicalValidation("golden")
		expect(t, "DatasetLocation", cv.DatasetLocation(path), "../examples/data/golden.csv")
		expect(t, "Against", cv.Against.Kind, AgainstCurrent)
		expect(t, "Subgroups", len(cv.Subgroups), 0)
		var got []string
		for _, c := range cv.Require {
			got = append(got, c.Source)
		}
		expect(t, "Require", got, []string{
			"sensitivity.lower >= 0.85",
			"specificity.lower >= 0.85",
			"noninferior(sensitivity, 0.05)",
			"noninferior(specificity, 0.05)",
		})
	})
}

func TestExamplePolicyIsCanonicallyFormatted(t *testing.T) {
	p, diags := ParseFile("../examples/policies/breast-cancer-dx.hcl", nil)
	if diags.HasErrors() {
		t.Fatal(DiagnosticsError(diags))
	}
	formatted, err := Format(p.Source)
	if err != nil {
		t.Fatal(err)
	}
	if string(formatted) != string(p.Source) {
		t.Fatalf("the example is not in canonical format; run Format over it:\n%s", formatted)
	}
}
