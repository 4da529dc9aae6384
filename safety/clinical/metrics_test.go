package clinical

import (
	"testing"

	"github.com/seed70a3350f/vigil/policies"
)

// Reference values: R 4.2.2, prop.test(x, n, correct = FALSE)$conf.int (Wilson),
// binom.test(x, n)$conf.int (Clopper-Pearson) and pROC 1.18.0 ci.auc(method = "delong")
// on the hand-made fixture's scores.
func TestMetricsOnHandmadeAnswers(t *testing.T) {
	ds := handmadeDataset()
	cand := scoredAnswers(candVersion, candidateScores())
	comp := scoredAnswers(compVersion, comparatorScores())
	for _, tc := range []struct {
		interval string
		// bounds of 17/20, 27/30 and 44/50
		p17of20, p27of30, p44of50 [2]float64
	}{
		{"wilson", [2]float64{0.639581135, 0.947631254}, [2]float64{0.743789174, 0.965400111}, [2]float64{0.761951826, 0.943823998}},
		{"clopper_pearson", [2]float64{0.621073173, 0.967929063}, [2]float64{0.734711550, 0.978882863}, [2]float64{0.756898683, 0.954664679}},
	} {
		t.Run(tc.interval, func(t *testing.T) {
			spec := parseSpec(t, `    against = "current"
    min_cases = 1
    interval = "`+tc.interval+`"
    require = [sensitivity.lower >= 0.5]`)
			res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
			m := res.Candidate.Metrics
			if m.Confusion != (Confusion{TP: 17, FN: 3, TN: 27, FP: 3}) || m.Cases != 50 || m.Positives != 20 || m.Negatives != 30 {
				t.Fatalf("candidate confusion %+v over %d cases (%d/%d)", m.Confusion, m.Cases, m.Positives, m.Negatives)
			}
			if c := res.Comparator.Metrics.Confusion; c != (Confusion{TP: 18, FN: 2, TN: 29, FP: 1}) {
				t.Fatalf("comparator confusion %+v", c)
			}
			for _, p := range []struct {
				name   string
				got    Proportion
				x, n   int
				bounds [2]float64
			}{
				{"sensitivity", m.Sensitivity, 17, 20, tc.p17of20},
				{"specificity", m.Specificity, 27, 30, tc.p27of30},
				{"ppv", m.PPV, 17, 20, tc.p17of20},
				{"npv", m.NPV, 27, 30, tc.p27of30},
				{"accuracy", m.Accuracy, 44, 50, tc.p44of50},
			} {
				if p.got.Successes != p.x || p.got.Trials != p.n || p.got.Method != tc.interval || p.got.Level != 0.95 {
					t.Errorf("%s = %+v, want %d/%d by %s at 0.95", p.name, p.got, p.x, p.n, tc.interval)
				}
				approx(t, p.name+" estimate", p.got.Estimate, float64(p.x)/float64(p.n), 1e-12)
				approx(t, p.name+" lower", p.got.Lower, p.bounds[0], 1e-8)
				approx(t, p.name+" upper", p.got.Upper, p.bounds[1], 1e-8)
			}
			approx(t, "candidate auc", m.AUC.Estimate, 0.9666666667, 1e-9)
			approx(t, "candidate auc lower", m.AUC.Lower, 0.9270506544, 1e-8)
			approx(t, "candidate auc upper", m.AUC.Upper, 1, 1e-12)
			approx(t, "comparator auc", res.Comparator.Metrics.AUC.Estimate, 0.9916666667, 1e-9)
			approx(t, "comparator auc lower", res.Comparator.Metrics.AUC.Lower, 0.9767626698, 1e-8)
			if m.AUC.ImputedScores != 0 || m.AUC.Method != "delong" || m.AUC.Positives != 20 || m.AUC.Negatives != 30 {
				t.Errorf("auc %+v", m.AUC)
			}
		})
	}
}

// A failed call and an answer by another version are wrong answers for the candidate:
// a positive case becomes a false negative, a negative case a false positive, and its
// score ranks last.
func TestFailuresCountAsWrongAnswers(t *testing.T) {
	ds := balancedDataset(10, 10)
	cand := perfectAnswers(ds, candVersion)
	cand.Cases[0] = failed("Internal")
	cand.Cases[1] = failed(FailureTimeout)
	cand.Cases[2] = Answer{Status: Answered, PredictedPositive: true, Probability: 0.9, Version: compVersion}
	cand.Cases[10] = failed(FailureInvalidResponse)
	cand.Cases[11] = Answer{Status: Answered, PredictedPositive: false, Probability: 0.1} // names no version
	spec := specRequiring(t, "sensitivity.lower >= 0.5")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, MaxFailureFraction: 0.5})
	m := res.Candidate.Metrics
	if m.Confusion != (Confusion{TP: 7, FN: 3, TN: 8, FP: 2}) {
		t.Errorf("confusion %+v, want TP 7 FN 3 TN 8 FP 2", m.Confusion)
	}
	calls := res.Candidate.Calls
	wantCodes := map[string]int{"Internal": 1, FailureTimeout: 1, FailureInvalidResponse: 1}
	if calls.Total != 20 || calls.Answered != 15 || calls.Failed != 3 || calls.Timeouts != 1 || calls.WrongVersion != 2 {
		t.Errorf("calls %+v, want 20 total, 15 answered, 3 failed, 1 timeout, 2 wrong version", calls)
	}
	for code, n := range wantCodes {
		if calls.FailuresByCode[code] != n {
			t.Errorf("failures by code %v, want %v", calls.FailuresByCode, wantCodes)
		}
	}
	wantWrong := []VersionCount{{Version: "", Cases: 1}, {Version: compVersion, Cases: 1}}
	if len(calls.WrongVersions) != 2 || calls.WrongVersions[0] != wantWrong[0] || calls.WrongVersions[1] != wantWrong[1] {
		t.Errorf("wrong versions %+v, want %+v", calls.WrongVersions, wantWrong)
	}
	approx(t, "failed fraction", calls.FailedFraction, 0.15, 1e-12)
	// The 3 imputed positives rank below every negative and the 2 imputed negatives above
	// every positive, so only the 7 clean positives against the 8 clean negatives are
	// ordered correctly: 56 of 100 pairs.
	approx(t, "auc", m.AUC.Estimate, 0.56, 1e-12)
	if m.AUC.ImputedScores != 5 {
		t.Errorf("imputed scores %d, want 5", m.AUC.ImputedScores)
	}
}

func TestMetricsWithoutPositives(t *testing.T) {
	ds := balancedDataset(0, 40)
	spec := parseSpec(t, `    against = "none"
    min_cases = 1
    min_positive_cases = 1
    require = [sensitivity.lower >= 0.8, specificity.lower >= 0.8, auc.lower >= 0.8]`)
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: perfectAnswers(ds, candVersion)})
	m := res.Candidate.Metrics
	if m.Sensitivity.Estimate.Defined() || m.Sensitivity.Lower.Defined() || m.Sensitivity.Note != "no positive cases" {
		t.Errorf("sensitivity %+v, want undefined with a note", m.Sensitivity)
	}
	if m.PPV.Estimate.Defined() || m.PPV.Note != "no case was called positive" {
		t.Errorf("ppv %+v, want undefined", m.PPV)
	}
	if m.AUC.Estimate.Defined() || m.AUC.Note == "" {
		t.Errorf("auc %+v, want undefined with a note", m.AUC)
	}
	want := map[string]Outcome{"sensitivity.lower >= 0.8": OutcomeInconclusive, "specificity.lower >= 0.8": OutcomePass, "auc.lower >= 0.8": OutcomeInconclusive}
	for src, o := range want {
		if cr := criterionBySource(t, res.Criteria, src); cr.Outcome != o {
			t.Errorf("%s: %s (%s), want %s", src, cr.Outcome, cr.Reason, o)
		}
	}
	if res.Verdict != Inconclusive {
		t.Errorf("verdict %s, want INCONCLUSIVE", res.Verdict)
	}
}

func TestAllCorrectAnswers(t *testing.T) {
	ds := balancedDataset(60, 60)
	spec := specRequiring(t, "sensitivity.lower >= 0.9", "specificity.lower >= 0.9", "accuracy.lower >= 0.95", "auc.lower >= 0.99")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: perfectAnswers(ds, candVersion)})
	m := res.Candidate.Metrics
	// R: prop.test(60, 60, correct = FALSE)$conf.int = [0.9398281479, 1]
	approx(t, "sensitivity", m.Sensitivity.Estimate, 1, 0)
	approx(t, "sensitivity lower", m.Sensitivity.Lower, 0.9398281479, 1e-9)
	approx(t, "sensitivity upper", m.Sensitivity.Upper, 1, 0)
	approx(t, "auc", m.AUC.Estimate, 1, 0)
	if res.Verdict != Passed {
		t.Errorf("verdict %s, want PASSED: %v", res.Verdict, res.Reasons)
	}
}

func TestJudgeBound(t *testing.T) {
	m := &Metrics{Sensitivity: Proportion{Successes: 9, Trials: 10, Estimate: 0.95, Lower: 0.9, Upper: 0.98}}
	for _, tc := range []struct {
		name string
		side policies.BoundSide
		goal float64
		want Outcome
	}{
		{"lower bound equal to the goal passes", policies.LowerBound, 0.9, OutcomePass},
		{"lower bound below, upper above: inconclusive", policies.LowerBound, 0.95, OutcomeInconclusive},
		{"upper bound equal to the goal is not below it", policies.LowerBound, 0.98, OutcomeInconclusive},
		{"upper bound below the goal fails", policies.LowerBound, 0.99, OutcomeFail},
		{"upper bound equal to an upper goal passes", policies.UpperBound, 0.98, OutcomePass},
		{"upper goal inside the interval: inconclusive", policies.UpperBound, 0.95, OutcomeInconclusive},
		{"lower bound equal to an upper goal is not above it", policies.UpperBound, 0.9, OutcomeInconclusive},
		{"lower bound above an upper goal fails", policies.UpperBound, 0.85, OutcomeFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := policies.OpAtLeast
			if tc.side == policies.UpperBound {
				op = policies.OpAtMost
			}
			c := &policies.Criterion{Kind: policies.BoundCriterion, Metric: policies.MetricSensitivity, Bound: tc.side, Op: op, Goal: tc.goal, Source: "x"}
			r, err := judge(c, m, nil, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tc.want {
				t.Errorf("%s: %s (%s), want %s", tc.name, r.Outcome, r.Reason, tc.want)
			}
			if r.Lower != 0.9 || r.Upper != 0.98 || r.Goal != Float(tc.goal) || r.Bound != tc.side.String() || r.Cases != 10 {
				t.Errorf("numbers %+v", r)
			}
		})
	}
}

// The hand-made candidate has sensitivity and ppv 17/20, Wilson [0.6396, 0.9476], and AUC
// 0.9667 [0.9271, 1].
func TestBoundCriteriaOnHandmadeAnswers(t *testing.T) {
	ds := handmadeDataset()
	cand := scoredAnswers(candVersion, candidateScores())
	want := map[string]Outcome{
		"sensitivity.lower >= 0.6":  OutcomePass,
		"sensitivity.lower >= 0.64": OutcomeInconclusive,
		"sensitivity.lower >= 0.95": OutcomeFail,
		"ppv.upper <= 0.95":         OutcomePass,
		"ppv.upper <= 0.9":          OutcomeInconclusive,
		"ppv.upper <= 0.6":          OutcomeFail,
		"npv.lower >= 0.7":          OutcomePass,
		"auc.lower >= 0.9":          OutcomePass,
		"auc.lower >= 0.95":         OutcomeInconclusive,
	}
	var criteria []string
	for src := range want {
		criteria = append(criteria, src)
	}
	spec := parseSpec(t, "    against = \"none\"\n    min_cases = 1\n    require = [\n"+joinLines(criteria)+"]")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand})
	for src, o := range want {
		cr := criterionBySource(t, res.Criteria, src)
		if cr.Outcome != o {
			t.Errorf("%s: %s (%s), want %s", src, cr.Outcome, cr.Reason, o)
		}
		if !cr.Lower.Defined() || !cr.Upper.Defined() || !cr.Goal.Defined() || cr.Margin.Defined() || cr.PValue.Defined() {
			t.Errorf("%s: numbers %+v", src, cr)
		}
	}
	if res.Verdict != Failed {
		t.Errorf("verdict %s, want FAILED", res.Verdict)
	}
}

func joinLines(items []string) string {
	s := ""
	for _, it := range items {
		s += "      " + it + ",\n"
	}
	return s
}
