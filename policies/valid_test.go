package policies

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// parseValid parses a testdata/valid file and fails the test on any error diagnostic.
func parseValid(t *testing.T, name string, vars map[string]string) *Policy {
	t.Helper()
	path := "testdata/valid/" + name
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, diags := Parse(name, src, vars)
	if diags.HasErrors() || p == nil {
		t.Fatalf("Parse(%s) failed:\n%s", name, FormatDiagnostics(map[string][]byte{name: src}, diags))
	}
	return p
}

// expect compares one field and names it in the failure.
func expect[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestParseValidPolicies(t *testing.T) {
	tests := []struct {
		file  string
		vars  map[string]string
		check func(t *testing.T, p *Policy)
	}{
		{file: "full.hcl", check: checkFull},
		{file: "minimal.hcl", check: checkMinimal},
		{file: "multi_service.hcl", vars: map[string]string{"baseline_version": "2.1.0-PRODUCTION", "strict": "true"}, check: checkMultiService},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tt.check(t, parseValid(t, tt.file, tt.vars))
		})
	}
}

func checkFull(t *testing.T, p *Policy) {
	expect(t, "Filename", p.Filename, "full.hcl")
	expect(t, "len(Services)", len(p.Services), 1)
	expect(t, "Variables", p.Variables, []Variable{
		{Name: "error_rate_limit", Type: TypeNumber, Description: "Highest acceptable share of failed inferences.", Value: "0.1",
			Range: p.Variables[0].Range},
		{Name: "team", Type: TypeString, Value: `"oncology-ml"`, Range: p.Variables[1].Range},
	})
	s := p.Service("breast-cancer-dx")
	if s == nil {
		t.Fatal(`Service("breast-cancer-dx") = nil`)
	}
	expect(t, "EvaluationInterval", s.EvaluationInterval, time.Second)
	expect(t, "Baseline", s.Baseline.String(), "stable")
	expect(t, "Range.Start.Line", s.Range.Start.Line, 20)

	c, ok := s.Plan("standard").(*CanaryPlan)
	if !ok {
		t.Fatalf(`Plan("standard") = %T, want *CanaryPlan`, s.Plan("standard"))
	}
	expect(t, "canary InitialWeight", c.InitialWeight, BasisPoints(500))
	expect(t, "canary MaxWeight", c.MaxWeight, BasisPoints(5000))
	expect(t, "canary step weights", []BasisPoints{c.Steps[0].Weight, c.Steps[1].Weight, c.Steps[2].Weight}, []BasisPoints{500, 2500, 5000})
	expect(t, "canary step bakes", []time.Duration{c.Steps[0].Bake, c.Steps[1].Bake, c.Steps[2].Bake}, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute})
	expect(t, "step 1 Analysis", c.Steps[0].Analysis, []string{"error_rate_vs_baseline"})
	expect(t, "step 3 Confirm", c.Steps[2].Confirm, true)
	expect(t, "step 2 Confirm", c.Steps[1].Confirm, false)
	expect(t, "step 3 Range line", c.Steps[2].Range.Start.Line, 36)
	expect(t, "ConfirmBeforeStart", c.ConfirmBeforeStart, false)
	expect(t, "ConfirmBeforePromotion", c.ConfirmBeforePromotion, true)
	expect(t, "HeaderRoute", *c.HeaderRoute, HeaderRoute{Header: "x-canary", Value: "true", Range: c.HeaderRoute.Range})
	expect(t, "AckCoverage", c.AckCoverage, 0.9)
	expect(t, "Limits", [3]uint32{c.Limits.Failed, c.Limits.Errors, c.Limits.Inconclusive}, [3]uint32{1, 3, 2})
	expect(t, "ProgressDeadline", c.ProgressDeadline, 15*time.Minute)
	expect(t, "RollbackWindow", c.RollbackWindow, 24*time.Hour)
	expect(t, "Gates", c.Gates, []Gate{{Name: "change-board", URL: "https://change-board.example/approve", Timeout: 45 * time.Second,
		At: []GatePosition{GateBeforeStart, GateBeforePromotion}, Range: c.Gates[0].Range}})
	expect(t, "Notifications", c.Notifications, []Notification{
		{URL: "https://hooks.slack.com/services/T000/B000/XXXX", Format: NotifySlack, Events: []NotifyEvent{EventRolledBack, EventPromoted}, Range: c.Notifications[0].Range},
		{URL: "http://alerts.internal:8080/vigil", Format: NotifyJSON, Range: c.Notifications[1].Range},
	})

	bg, ok := s.Plan("switch").(*BlueGreenPlan)
	if !ok {
		t.Fatalf(`Plan("switch") = %T, want *BlueGreenPlan`, s.Plan("switch"))
	}
	expect(t, "PlanKind", bg.PlanKind(), PlanBlueGreen)
	expect(t, "Validation", bg.Validation, "golden")
	expect(t, "Switch", bg.Switch, SwitchGradual)
	expect(t, "Gradual steps", bg.Gradual.Steps, []BasisPoints{2500, 5000, 10000})
	expect(t, "Gradual bake", bg.Gradual.Bake, 30*time.Second)
	expect(t, "blue-green header", bg.HeaderRoute.Header, "x-green")
	expect(t, "PostSwitchWindow", bg.PostSwitchWindow, 5*time.Minute)
	expect(t, "FastRollbackWindow", bg.FastRollbackWindow, 10*time.Minute)
	expect(t, "blue-green AckCoverage", bg.AckCoverage, 1.0)

	acc := s.Trigger("accuracy_floor")
	expect(t, "accuracy Category", acc.Category, CategoryCriticalSafety)
	expect(t, "accuracy Condition", acc.Condition, ConditionBelow)
	expect(t, "accuracy Threshold", *acc.Threshold, 0.80)
	expect(t, "accuracy Action", acc.Action, ActionRollbackImmediately)
	expect(t, "accuracy OnNoData", acc.OnNoData, NoDataFail)
	expect(t, "accuracy AppliesTo", acc.AppliesTo, []Target{TargetCanary, TargetGreen, TargetStable})
	expect(t, "accuracy MinSamples.Count", acc.MinSamples.Count, uint64(50))
	expect(t, "accuracy MinSamples.Query", acc.MinSamples.Query.String(),
		`sum(increase(inference_requests_total{service="${service}",version="${version}"}[1m]))`)
	expect(t, "accuracy Query", acc.Query.String(),
		`sum(rate(inference_feedback_total{service="${service}",version="${version}",label="malignant",predicted="malignant"}[1m]))`)

	er := s.Trigger("error_rate")
	expect(t, "error_rate Threshold (from var default)", *er.Threshold, 0.10)
	expect(t, "error_rate For", er.For, 30*time.Second)
	expect(t, "error_rate Consecutive", er.Consecutive, uint32(3))
	expect(t, "error_rate Action", er.Action, ActionRollbackAfterWarning)
	expect(t, "error_rate WarningPeriod", er.WarningPeriod, 2*time.Minute)
	expect(t, "error_rate OnNoData (default)", er.OnNoData, NoDataHold)
	expect(t, "error_rate AppliesTo (default)", er.AppliesTo, []Target{TargetCanary, TargetGreen})
	expect(t, "error_rate Query (locals nest)", er.Query.String(),
		`sum(rate(inference_requests_total{service="${service}",version="${version}"}[1m])) / 1`)

	vb := s.Trigger("error_rate_vs_baseline")
	if vb.Threshold != nil {
		t.Errorf("baseline trigger has Threshold %v", *vb.Threshold)
	}
	expect(t, "Baseline ratio/delta", [2]float64{vb.Baseline.Ratio, vb.Baseline.Delta}, [2]float64{1.5, 0.01})
	expect(t, "baseline trigger OnNoData", vb.OnNoData, NoDataIgnore)
	expect(t, "baseline trigger Action", vb.Action, ActionPause)

	fm := s.Judge("error_rate_vs_baseline")
	expect(t, "fm Method", fm.Method, MethodFarringtonManning)
	expect(t, "fm Placeholders", fm.Events.Placeholders(), []Placeholder{PlaceholderService, PlaceholderVersion, PlaceholderInterval})
	expect(t, "fm Samples.IsZero", fm.Samples.IsZero(), true)
	expect(t, "fm Direction", fm.Direction, DirectionIncrease)
	expect(t, "fm Margin/Alpha/Confidence", [3]float64{fm.Margin, fm.Alpha, fm.Confidence}, [3]float64{0.01, 0.05, 0.95})
	expect(t, "fm MinSamples", fm.MinSamples, uint64(200))
	expect(t, "fm Critical", fm.Critical, true)

	mw := s.Judge("latency")
	expect(t, "mw Method", mw.Method, MethodMannWhitney)
	expect(t, "mw Confidence (mann_whitney default)", mw.Confidence, 0.98)
	expect(t, "mw Events.IsZero", mw.Events.IsZero(), true)
	expect(t, "mw Margin", mw.Margin, 0.1)

	sp := s.Judge("adverse_events")
	expect(t, "sprt P0/P1/Beta", [3]float64{sp.P0, sp.P1, sp.Beta}, [3]float64{0.01, 0.05, 0.2})

	cv := s.ClinicalValidation("golden")
	expect(t, "Dataset", cv.Dataset, "../data/golden.csv")
	expect(t, "DatasetLocation", cv.DatasetLocation("/repo/examples/policies/full.hcl"), "/repo/examples/data/golden.csv")
	expect(t, "DatasetSHA256 (lowercased)", cv.DatasetSHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	expect(t, "Against", cv.Against.Kind, AgainstCurrent)
	expect(t, "MinCases/MinPositiveCases/MinSubgroupCases", [3]uint32{cv.MinCases, cv.MinPositiveCases, cv.MinSubgroupCases}, [3]uint32{100, 30, 20})
	expect(t, "Subgroups", cv.Subgroups, []string{"size_band"})
	expect(t, "Interval", cv.Interval, IntervalClopperPearson)
	expect(t, "Concurrency", cv.Concurrency, uint32(4))
	expect(t, "Timeout", cv.Timeout, 5*time.Second)
	wantCriteria := []Criterion{
		{Kind: BoundCriterion, Metric: MetricSensitivity, Bound: LowerBound, Op: OpAtLeast, Goal: 0.90, Source: "sensitivity.lower >= 0.90"},
		{Kind: BoundCriterion, Metric: MetricSpecificity, Bound: LowerBound, Op: OpAtLeast, Goal: 0.85, Source: "specificity.lower >= 0.85"},
		{Kind: BoundCriterion, Metric: MetricPPV, Bound: UpperBound, Op: OpAtMost, Goal: 0.99, Source: "ppv.upper <= 0.99"},
		{Kind: NonInferiority, Metric: MetricSensitivity, Margin: 0.05, Source: "noninferior(sensitivity, 0.05)"},
		{Kind: NonInferiority, Metric: MetricSpecificity, Margin: 0.05, Source: "noninferior(specificity, 0.05)"},
		{Kind: AUCNonInferiority, Metric: MetricAUC, Margin: 0.02, Source: "auc_noninferior(0.02)"},
		{Kind: McNemarNotWorse, Metric: MetricNone, Alpha: 0.05, Source: "mcnemar_not_worse(0.05)"},
	}
	if len(cv.Require) != len(wantCriteria) {
		t.Fatalf("len(Require) = %d, want %d", len(cv.Require), len(wantCriteria))
	}
	for i, want := range wantCriteria {
		got := cv.Require[i]
		want.Range = got.Range
		expect(t, "Require["+want.Source+"]", got, want)
		expect(t, "Require["+want.Source+"] line", got.Range.Start.Line, 168+i)
	}
}

func checkMinimal(t *testing.T, p *Policy) {
	s := &p.Services[0]
	expect(t, "EvaluationInterval default", s.EvaluationInterval, DefaultEvaluationInterval)
	expect(t, "Baseline default", s.Baseline, BaselineRef{})
	c := s.Canaries[0]
	expect(t, "InitialWeight default", c.InitialWeight, BasisPoints(500))
	expect(t, "MaxWeight default", c.MaxWeight, FullWeight)
	expect(t, "AckCoverage default", c.AckCoverage, 1.0)
	expect(t, "Limits default", [3]uint32{c.Limits.Failed, c.Limits.Errors, c.Limits.Inconclusive}, [3]uint32{0, 4, 0})
	expect(t, "Limits range (defaults)", c.Limits.Range, hcl.Range{})
	expect(t, "ProgressDeadline default", c.ProgressDeadline, 10*time.Minute)
	expect(t, "RollbackWindow default (fast-track off)", c.RollbackWindow, time.Duration(0))
	expect(t, "HeaderRoute default", c.HeaderRoute, (*HeaderRoute)(nil))
	expect(t, "ConfirmBeforePromotion default", c.ConfirmBeforePromotion, false)

	tr := s.Triggers[0]
	expect(t, "For default", tr.For, time.Duration(0))
	expect(t, "Consecutive default", tr.Consecutive, uint32(1))
	expect(t, "OnNoData default", tr.OnNoData, NoDataHold)
	expect(t, "AppliesTo default", tr.AppliesTo, []Target{TargetCanary, TargetGreen})
	expect(t, "MinSamples default", tr.MinSamples, (*MinSamples)(nil))
	expect(t, "Watches(stable)", tr.Watches(TargetStable), false)
	expect(t, "TriggersFor(canary)", len(s.TriggersFor(TargetCanary)), 1)
	expect(t, "TriggersFor(stable)", len(s.TriggersFor(TargetStable)), 0)

	expect(t, "judge Alpha default", s.Judges[0].Alpha, 0.05)
	expect(t, "judge Confidence default", s.Judges[0].Confidence, 0.95)
	expect(t, "judge Margin default", s.Judges[0].Margin, 0.0)
	expect(t, "judge Critical default", s.Judges[0].Critical, false)
	expect(t, "mann_whitney Confidence default", s.Judges[1].Confidence, 0.98)

	bg := s.BlueGreens[0]
	expect(t, "Switch default", bg.Switch, SwitchInstant)
	expect(t, "Gradual default", bg.Gradual, (*GradualSwitch)(nil))
	expect(t, "PostSwitchWindow default", bg.PostSwitchWindow, 5*time.Minute)
	expect(t, "FastRollbackWindow default", bg.FastRollbackWindow, 10*time.Minute)
	expect(t, "Validation default", bg.Validation, "")

	cv := s.ClinicalValidations[0]
	expect(t, "Against without paired criteria", cv.Against.Kind, AgainstNone)
	expect(t, "DatasetIsURL", cv.DatasetIsURL(), true)
	expect(t, "DatasetLocation of a URL", cv.DatasetLocation("/x/p.hcl"), "https://data.example/golden.csv")
	expect(t, "Confidence default", cv.Confidence, 0.95)
	expect(t, "Interval default", cv.Interval, IntervalWilson)
	expect(t, "Concurrency default", cv.Concurrency, uint32(8))
	expect(t, "Timeout default", cv.Timeout, 5*time.Second)
	expect(t, "MinPositiveCases default", cv.MinPositiveCases, uint32(0))
}

func checkMultiService(t *testing.T, p *Policy) {
	expect(t, "service order", []string{p.Services[0].Name, p.Services[1].Name}, []string{"triage", "reports.dx"})
	if p.Service("absent") != nil {
		t.Error(`Service("absent") != nil`)
	}
	tri := p.Service("triage")
	expect(t, "pinned baseline (from vars)", tri.Baseline.Pinned, "2.1.0-PRODUCTION")
	expect(t, "threshold from var default", *tri.Trigger("accuracy").Threshold, 0.9)
	expect(t, "for at evaluation interval", tri.Trigger("accuracy").For, 10*time.Second)
	expect(t, "query through local", tri.Trigger("accuracy").Query.String(),
		`sum(rate(inference_feedback_total{service="${service}",version="${version}"}[5m]))`)
	cv := tri.ClinicalValidation("gold")
	expect(t, "against version", cv.Against, Comparator{Kind: AgainstVersion, Version: "2.2.0-PRODUCTION", Range: cv.Against.Range})
	expect(t, "goal from var", cv.Require[0].Goal, 0.9)
	expect(t, "goal from local with function", cv.Require[1].Goal, 0.85)
	expect(t, "parenthesised criterion", cv.Require[1].Metric, MetricSpecificity)
	expect(t, "noninferior accuracy", cv.Require[2].Metric, MetricAccuracy)

	rep := p.Service("reports.dx")
	c := rep.Plan("slow").(*CanaryPlan)
	expect(t, "fractional weights", []BasisPoints{c.Steps[0].Weight, c.Steps[1].Weight}, []BasisPoints{50, 1225})
	expect(t, "bool from vars", c.ConfirmBeforeStart, true)
	if rep.Plan("absent") != nil || rep.Trigger("absent") != nil || rep.Judge("absent") != nil || rep.ClinicalValidation("absent") != nil {
		t.Error("look-ups of absent names returned non-nil")
	}
	expect(t, "variables record their source", []bool{p.Variables[0].FromVars, p.Variables[1].FromVars, p.Variables[2].FromVars}, []bool{false, true, true})
}

func TestVarsOverrideDefaults(t *testing.T) {
	p := parseValid(t, "full.hcl", map[string]string{"error_rate_limit": "0.25"})
	expect(t, "threshold from vars", *p.Services[0].Trigger("error_rate").Threshold, 0.25)
	expect(t, "Variables[0].Value", p.Variables[0].Value, "0.25")
	expect(t, "Variables[0].FromVars", p.Variables[0].FromVars, true)
}

func TestWarningsDoNotFailParse(t *testing.T) {
	src := []byte(`service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = "up"
    condition = "below"
    threshold = 1
    action    = "alert"
  }
}
`)
	p, diags := Parse("w.hcl", src, nil)
	if p == nil || diags.HasErrors() {
		t.Fatalf("Parse failed: %v", diags)
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || diags[0].Subject.Start.Line != 7 {
		t.Fatalf("want one warning at line 7 about a critical_safety trigger that only alerts, got %v", diags)
	}
}

func TestParseFile(t *testing.T) {
	t.Run("reads and parses", func(t *testing.T) {
		p, diags := ParseFile("testdata/valid/minimal.hcl", nil)
		if p == nil || diags.HasErrors() {
			t.Fatalf("ParseFile: %v", diags)
		}
		expect(t, "Filename", p.Filename, "testdata/valid/minimal.hcl")
	})
	t.Run("missing file is an error with the path", func(t *testing.T) {
		p, diags := ParseFile("testdata/valid/absent.hcl", nil)
		if p != nil || !diags.HasErrors() || diags[0].Subject.Filename != "testdata/valid/absent.hcl" {
			t.Fatalf("ParseFile(absent) = %v, %v", p, diags)
		}
	})
}
