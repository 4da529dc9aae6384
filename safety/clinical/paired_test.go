package clinical

import (
	"testing"
)

// Paired statistics on the hand-made fixture. McNemar with b = 3, c = 0 uses mid-p (b+c <
// 25): exact p = 2 P(X <= 0) = 0.25 for X ~ Bin(3, 1/2), mid-p = 0.25 - 0.125 = 0.125,
// one-sided 0.0625. DeLong's paired test: pROC roc.test(paired = TRUE, method = "delong")
// gives z = -1.7629298866, p = 0.0779123157, 95 % CI [-0.052794128, 0.002794128].
func TestPairedOnHandmadeAnswers(t *testing.T) {
	ds := handmadeDataset()
	cand := scoredAnswers(candVersion, candidateScores())
	comp := scoredAnswers(compVersion, comparatorScores())
	spec := specRequiring(t, "auc_noninferior(0.1)", "auc_noninferior(0.01)", "mcnemar_not_worse(0.1)", "mcnemar_not_worse(0.05)")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
	ps := res.Paired
	if ps == nil || ps.Comparator != compVersion {
		t.Fatalf("paired %+v", ps)
	}
	want := []PairedEndpoint{
		{Metric: "sensitivity", Cases: 20, BothRight: 17, ComparatorOnlyRight: 1, CandidateOnlyRight: 0, BothWrong: 2},
		{Metric: "specificity", Cases: 30, BothRight: 27, ComparatorOnlyRight: 2, CandidateOnlyRight: 0, BothWrong: 1},
		{Metric: "accuracy", Cases: 50, BothRight: 44, ComparatorOnlyRight: 3, CandidateOnlyRight: 0, BothWrong: 3},
	}
	for i, w := range want {
		e := ps.Endpoints[i]
		if e.Metric != w.Metric || e.Cases != w.Cases || e.BothRight != w.BothRight || e.ComparatorOnlyRight != w.ComparatorOnlyRight ||
			e.CandidateOnlyRight != w.CandidateOnlyRight || e.BothWrong != w.BothWrong {
			t.Errorf("endpoint %d = %+v, want counts %+v", i, e, w)
		}
		approx(t, e.Metric+" difference", e.Difference, float64(w.CandidateOnlyRight-w.ComparatorOnlyRight)/float64(w.Cases), 1e-12)
		if !(e.Lower < e.Difference && e.Difference < e.Upper) || e.Method != "tango" {
			t.Errorf("%s interval %+v does not surround the difference", e.Metric, e)
		}
	}
	mc := ps.McNemar
	if mc.B != 3 || mc.C != 0 || mc.Method != "mid-p" {
		t.Errorf("mcnemar %+v, want b 3, c 0, mid-p", mc)
	}
	approx(t, "mcnemar p", mc.PValue, 0.125, 1e-12)
	approx(t, "mcnemar one-sided p", mc.PValueCandidateWorse, 0.0625, 1e-12)
	d := ps.AUCDifference
	approx(t, "auc difference", d.Difference, -0.025, 1e-12)
	approx(t, "auc difference lower", d.Lower, -0.052794128, 1e-8)
	approx(t, "auc difference upper", d.Upper, 0.002794128, 1e-8)
	approx(t, "auc z", d.Z, -1.7629298866, 1e-8)
	approx(t, "auc p", d.PValue, 0.0779123157, 1e-8)
	for src, o := range map[string]Outcome{
		"auc_noninferior(0.1)":    OutcomePass,         // -0.0528 > -0.1
		"auc_noninferior(0.01)":   OutcomeInconclusive, // -0.0528 <= -0.01 <= 0.0028
		"mcnemar_not_worse(0.1)":  OutcomeFail,         // 0.0625 <= 0.1
		"mcnemar_not_worse(0.05)": OutcomePass,         // 0.0625 > 0.05
	} {
		cr := criterionBySource(t, res.Criteria, src)
		if cr.Outcome != o {
			t.Errorf("%s: %s (%s), want %s", src, cr.Outcome, cr.Reason, o)
		}
		if cr.Cases != 50 {
			t.Errorf("%s rests on %d cases, want 50", src, cr.Cases)
		}
	}
}

// pairedAccuracyAnswers builds n positive cases where the comparator alone is right on b
// cases, the candidate alone on c, and both on the rest.
func pairedAccuracyAnswers(n, b, c int) (*Dataset, Answers, Answers) {
	ds := balancedDataset(n, 0)
	cand, comp := perfectAnswers(ds, candVersion), perfectAnswers(ds, compVersion)
	for i := 0; i < b; i++ {
		cand.Cases[i].PredictedPositive, cand.Cases[i].Probability = false, 0.2
	}
	for i := b; i < b+c; i++ {
		comp.Cases[i].PredictedPositive, comp.Cases[i].Probability = false, 0.2
	}
	return ds, cand, comp
}

// Published reference (statistics notes; R package contingencytables tests, cavo_2012
// data): b = 6, c = 16, n = 161 gives Tango's 95 % CI -0.0621 [-0.1240, -0.0054] for b-c
// over n, and McNemar mid-p 0.034690. With the comparator alone right on 16 cases and the
// candidate alone on 6, candidate minus comparator is that difference.
func TestPairedPublishedReference(t *testing.T) {
	ds, cand, comp := pairedAccuracyAnswers(161, 16, 6)
	spec := specRequiring(t, "noninferior(accuracy, 0.05)", "noninferior(accuracy, 0.15)", "noninferior(accuracy, 0.001)",
		"noninferior(sensitivity, 0.05)", "noninferior(specificity, 0.05)", "mcnemar_not_worse(0.05)", "mcnemar_not_worse(0.01)")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
	acc := res.Paired.Endpoints[2]
	approx(t, "difference", acc.Difference, -10.0/161, 1e-12)
	approx(t, "tango lower", acc.Lower, -0.1240, 5e-5)
	approx(t, "tango upper", acc.Upper, -0.0054, 5e-5)
	approx(t, "mid-p", res.Paired.McNemar.PValue, 0.034690, 1e-6)
	approx(t, "one-sided mid-p", res.Paired.McNemar.PValueCandidateWorse, 0.034690/2, 1e-6)
	if spec := res.Paired.Endpoints[1]; spec.Cases != 0 || spec.Difference.Defined() || spec.Note != "no negative cases" {
		t.Errorf("specificity endpoint without negatives: %+v", spec)
	}
	for src, o := range map[string]Outcome{
		"noninferior(accuracy, 0.05)":    OutcomeInconclusive, // -0.1240 <= -0.05 <= -0.0054
		"noninferior(accuracy, 0.15)":    OutcomePass,         // -0.1240 > -0.15
		"noninferior(accuracy, 0.001)":   OutcomeFail,         // -0.0054 < -0.001
		"noninferior(sensitivity, 0.05)": OutcomeInconclusive, // all cases are positive: the same interval
		"noninferior(specificity, 0.05)": OutcomeInconclusive, // no negative cases
		"mcnemar_not_worse(0.05)":        OutcomeFail,         // 0.0173 <= 0.05
		"mcnemar_not_worse(0.01)":        OutcomePass,         // 0.0173 > 0.01
	} {
		cr := criterionBySource(t, res.Criteria, src)
		if cr.Outcome != o {
			t.Errorf("%s: %s (%s), want %s", src, cr.Outcome, cr.Reason, o)
		}
	}
	ni := criterionBySource(t, res.Criteria, "noninferior(accuracy, 0.05)")
	if ni.Margin != 0.05 || ni.Estimate != acc.Difference || ni.Lower != acc.Lower || ni.Upper != acc.Upper || !ni.PValue.Defined() || ni.Cases != 161 {
		t.Errorf("non-inferiority numbers %+v, want the accuracy endpoint's", ni)
	}
	t.Run("mirrored, the candidate is better", func(t *testing.T) {
		ds, cand, comp := pairedAccuracyAnswers(161, 6, 16)
		res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
		approx(t, "tango lower", res.Paired.Endpoints[2].Lower, 0.0054, 5e-5)
		approx(t, "one-sided mid-p", res.Paired.McNemar.PValueCandidateWorse, 1-0.034690/2, 1e-6)
		if cr := criterionBySource(t, res.Criteria, "mcnemar_not_worse(0.05)"); cr.Outcome != OutcomePass {
			t.Errorf("mcnemar_not_worse when the candidate is better: %s (%s)", cr.Outcome, cr.Reason)
		}
	})
}

// With b + c >= 25 McNemar uses the asymptotic z test: b = 20, c = 10 gives z = 10/sqrt(30)
// = 1.825742, two-sided p = 0.067889 (R: mcnemar.test(matrix(c(0, 10, 20, 0), 2),
// correct = FALSE)$p.value = 0.06788915).
func TestMcNemarAsymptotic(t *testing.T) {
	ds, cand, comp := pairedAccuracyAnswers(100, 20, 10)
	spec := specRequiring(t, "mcnemar_not_worse(0.05)")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
	mc := res.Paired.McNemar
	if mc.Method != "asymptotic" {
		t.Fatalf("method %q, want asymptotic", mc.Method)
	}
	approx(t, "z", mc.Statistic, 1.825742, 1e-6)
	approx(t, "p", mc.PValue, 0.06788915, 1e-7)
	approx(t, "one-sided p", mc.PValueCandidateWorse, 0.06788915/2, 1e-7)
	if cr := res.Criteria[0]; cr.Outcome != OutcomeFail {
		t.Errorf("one-sided p 0.034 at alpha 0.05: %s (%s), want fail", cr.Outcome, cr.Reason)
	}
}

// b + c = 0: McNemar has nothing to test and never passes; Tango's interval still exists
// and shrinks around 0 with n.
func TestNoDiscordantPairs(t *testing.T) {
	ds := balancedDataset(100, 100)
	cand, comp := perfectAnswers(ds, candVersion), perfectAnswers(ds, compVersion)
	spec := specRequiring(t, "mcnemar_not_worse(0.05)", "noninferior(sensitivity, 0.05)")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
	mc := res.Paired.McNemar
	if mc.B != 0 || mc.C != 0 || mc.PValue.Defined() || mc.PValueCandidateWorse.Defined() || mc.Method != "" || mc.Note == "" {
		t.Errorf("mcnemar without discordant pairs %+v", mc)
	}
	if cr := res.Criteria[0]; cr.Outcome != OutcomeInconclusive || cr.PValue.Defined() {
		t.Errorf("mcnemar_not_worse with b+c = 0: %s (%s), want inconclusive", cr.Outcome, cr.Reason)
	}
	if cr := res.Criteria[1]; cr.Outcome != OutcomePass || !(cr.Lower < 0 && cr.Lower > -0.05) {
		t.Errorf("noninferior with b = c = 0 on 100 cases: %s %+v, want pass", cr.Outcome, cr)
	}
	if d := res.Paired.AUCDifference; d.Difference != 0 || d.Lower.Defined() || d.Note == "" {
		t.Errorf("auc difference of identical rankings %+v, want 0 without interval", d)
	}
	if res.Verdict != Inconclusive {
		t.Errorf("verdict %s, want INCONCLUSIVE", res.Verdict)
	}
}

// A case the comparator did not answer counts as answered correctly by the comparator in
// paired statistics (and its score ranks best), so it can only count against the
// candidate; the comparator's own metrics still count it as wrong.
func TestComparatorFailuresNeverFavourTheCandidate(t *testing.T) {
	ds := balancedDataset(10, 10)
	cand, comp := perfectAnswers(ds, candVersion), perfectAnswers(ds, compVersion)
	cand.Cases[0].PredictedPositive = false // candidate wrong on positive 0
	comp.Cases[0] = failed("Unavailable")   // comparator failed there: b
	comp.Cases[1] = failed(FailureTimeout)  // both right: candidate right on positive 1
	spec := specRequiring(t, "noninferior(sensitivity, 0.05)")
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp, MaxFailureFraction: 0.2})
	sens := res.Paired.Endpoints[0]
	if sens.ComparatorOnlyRight != 1 || sens.CandidateOnlyRight != 0 || sens.BothRight != 9 || res.Paired.ComparatorImputed != 2 {
		t.Errorf("sensitivity endpoint %+v (imputed %d), want b 1, c 0, both right 9, imputed 2", sens, res.Paired.ComparatorImputed)
	}
	if c := res.Comparator.Metrics.Confusion; c.FN != 2 || c.TP != 8 {
		t.Errorf("comparator confusion %+v, want its 2 failures as false negatives", c)
	}
	if res.Comparator.Calls.Failed != 2 || res.Comparator.Calls.Timeouts != 1 {
		t.Errorf("comparator calls %+v", res.Comparator.Calls)
	}
}
