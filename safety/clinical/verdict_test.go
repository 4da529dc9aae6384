package clinical

import (
	"strings"
	"testing"
)

func TestVerdictRules(t *testing.T) {
	// 100 positive and 100 negative cases in one subgroup; perfect answers from both
	// versions unless a case edits them. sensitivity.lower >= 0.9 passes on 100/100
	// (Wilson lower 0.963) and stays inconclusive on 94/100 (Wilson [0.875, 0.972]).
	const body = `    against = "current"
    min_cases = %s
    min_positive_cases = 50
    subgroups = ["site"]
    min_subgroup_cases = %s
    require = [%s]`
	type edit func(cand, comp *Answers)
	wrongOn := func(cases ...int) edit {
		return func(cand, _ *Answers) {
			for _, i := range cases {
				cand.Cases[i].PredictedPositive = !cand.Cases[i].PredictedPositive
			}
		}
	}
	failOn := func(role string, n int) edit {
		return func(cand, comp *Answers) {
			a := cand
			if role == "comparator" {
				a = comp
			}
			for i := 0; i < n; i++ {
				a.Cases[100+i] = failed("Internal") // negative cases, so sensitivity is untouched
			}
		}
	}
	for _, tc := range []struct {
		name       string
		minCases   string
		minGroup   string
		criteria   string
		edits      []edit
		want       Verdict
		firstWords []string // each reason i must contain firstWords[i]
	}{
		{name: "everything passes", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.9, noninferior(specificity, 0.05)",
			want: Passed, firstWords: []string{"all 2 criteria passed"}},
		{name: "a failing criterion fails the run", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.99, sensitivity.lower >= 0.9",
			edits: []edit{wrongOn(0, 1, 2, 3, 4, 5)}, want: Failed,
			firstWords: []string{"sensitivity.lower >= 0.99 fail", "subgroup site=a: sensitivity.lower >= 0.99 fail", "sensitivity.lower >= 0.9 inconclusive", "subgroup site=a: sensitivity.lower >= 0.9 inconclusive"}},
		{name: "an inconclusive criterion", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.9",
			edits: []edit{wrongOn(0, 1, 2, 3, 4, 5)}, want: Inconclusive,
			firstWords: []string{"sensitivity.lower >= 0.9 inconclusive", "subgroup site=a: sensitivity.lower >= 0.9 inconclusive"}},
		{name: "min_cases not met", minCases: "500", minGroup: "20", criteria: "sensitivity.lower >= 0.9",
			want: Inconclusive, firstWords: []string{"min_cases not met: 200 < 500"}},
		{name: "a fail outranks an unmet minimum", minCases: "500", minGroup: "20", criteria: "sensitivity.lower >= 0.99",
			edits: []edit{wrongOn(0, 1, 2, 3, 4, 5)}, want: Failed,
			firstWords: []string{"sensitivity.lower >= 0.99 fail", "subgroup site=a", "min_cases not met"}},
		{name: "an under-powered subgroup fails closed", minCases: "100", minGroup: "201", criteria: "sensitivity.lower >= 0.9",
			want: Inconclusive, firstWords: []string{"subgroup site=a: 200 cases < min_subgroup_cases 201: under-powered"}},
		{name: "failed calls at the tolerance are counted, not disqualifying", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.9",
			edits: []edit{failOn("candidate", 10)}, want: Passed},
		{name: "failed calls above the tolerance", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.9",
			edits: []edit{failOn("candidate", 11)}, want: Inconclusive,
			firstWords: []string{"candidate 1.1.0-CLINICALVALID: 11 of 200 calls failed (5.5 %), more than the 5.0 % tolerated (Internal: 11)"}},
		{name: "comparator failures above the tolerance", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.9",
			edits: []edit{failOn("comparator", 11)}, want: Inconclusive,
			firstWords: []string{"comparator 1.0.0-PRODUCTION: 11 of 200 calls failed"}},
		{name: "a wrong version outranks a failing criterion", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.99",
			edits:      []edit{wrongOn(0, 1, 2, 3, 4, 5), func(cand, _ *Answers) { cand.Cases[150].Version = "1.2.0-CLINICALVALID" }},
			want:       Inconclusive,
			firstWords: []string{"candidate 1.1.0-CLINICALVALID: 1 of 200 calls were handled by another version (1.2.0-CLINICALVALID: 1): the routing cannot be trusted", "sensitivity.lower >= 0.99 fail"}},
		{name: "an answer naming no version", minCases: "100", minGroup: "20", criteria: "sensitivity.lower >= 0.9",
			edits: []edit{func(cand, _ *Answers) { cand.Cases[3].Version = "" }}, want: Inconclusive,
			firstWords: []string{"1 of 200 calls were handled by another version (no version named: 1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := balancedDataset(100, 100)
			cand, comp := perfectAnswers(ds, candVersion), perfectAnswers(ds, compVersion)
			for _, e := range tc.edits {
				e(&cand, &comp)
			}
			spec := parseSpec(t, sprintf(body, tc.minCases, tc.minGroup, tc.criteria))
			res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp, MaxFailureFraction: DefaultMaxFailureFraction})
			if res.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s; reasons:\n%s", res.Verdict, tc.want, strings.Join(res.Reasons, "\n"))
			}
			if len(res.Reasons) < len(tc.firstWords) || len(res.Reasons) == 0 {
				t.Fatalf("reasons %q, want at least %d", res.Reasons, max(1, len(tc.firstWords)))
			}
			for i, w := range tc.firstWords {
				if !strings.Contains(res.Reasons[i], w) {
					t.Errorf("reason %d = %q, want it to contain %q", i, res.Reasons[i], w)
				}
			}
		})
	}
}

func TestSubgroups(t *testing.T) {
	ds := handmadeDataset() // site a: positives 0-9, negatives 0-14; site b: the rest
	cand := scoredAnswers(candVersion, candidateScores())
	comp := scoredAnswers(compVersion, comparatorScores())
	t.Run("powered subgroups are judged", func(t *testing.T) {
		spec := parseSpec(t, `    against = "current"
    min_cases = 1
    subgroups = ["site"]
    min_subgroup_cases = 25
    require = [specificity.lower >= 0.7, noninferior(specificity, 0.3)]`)
		res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
		if len(res.Subgroups) != 2 {
			t.Fatalf("%d subgroups, want 2", len(res.Subgroups))
		}
		a, b := res.Subgroups[0], res.Subgroups[1]
		if a.Value != "a" || a.Cases != 25 || a.Positives != 10 || a.Negatives != 15 || !a.Powered || a.Column != "site" {
			t.Errorf("subgroup a %+v", a)
		}
		// Candidate false positives are negatives 27-29, all in site b; false negatives
		// are positives 0-2, all in site a.
		if a.Candidate.Confusion != (Confusion{TP: 7, FN: 3, TN: 15, FP: 0}) || b.Candidate.Confusion != (Confusion{TP: 10, FN: 0, TN: 12, FP: 3}) {
			t.Errorf("subgroup confusion a %+v, b %+v", a.Candidate.Confusion, b.Candidate.Confusion)
		}
		if b.Comparator == nil || b.Comparator.Confusion != (Confusion{TP: 10, FN: 0, TN: 14, FP: 1}) || b.Paired == nil || b.Paired.Endpoints[1].ComparatorOnlyRight != 2 {
			t.Errorf("subgroup b comparator %+v paired %+v", b.Comparator, b.Paired)
		}
		// specificity 15/15 in a: Wilson lower 0.796 >= 0.7; 12/15 in b: [0.548, 0.930].
		if a.Criteria[0].Outcome != OutcomePass || b.Criteria[0].Outcome != OutcomeInconclusive || a.Outcome != OutcomePass || b.Outcome != OutcomeInconclusive {
			t.Errorf("subgroup outcomes a %s %+v, b %s %+v", a.Outcome, a.Criteria, b.Outcome, b.Criteria)
		}
		if res.Verdict != Inconclusive || !strings.Contains(strings.Join(res.Reasons, "\n"), "subgroup site=b: specificity.lower >= 0.7 inconclusive") {
			t.Errorf("verdict %s, reasons %q", res.Verdict, res.Reasons)
		}
	})
	t.Run("an under-powered subgroup is reported, not judged", func(t *testing.T) {
		spec := parseSpec(t, `    against = "current"
    min_cases = 1
    subgroups = ["site"]
    min_subgroup_cases = 26
    require = [specificity.lower >= 0.5]`)
		res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp})
		for _, g := range res.Subgroups {
			if g.Powered || g.Outcome != OutcomeInconclusive || len(g.Criteria) != 0 || g.Cases != 25 ||
				g.Reason != "25 cases < min_subgroup_cases 26: under-powered, criteria not judged" {
				t.Errorf("subgroup %+v", g)
			}
			if g.Candidate.Cases != 25 || !g.Candidate.Sensitivity.Estimate.Defined() {
				t.Errorf("under-powered subgroup metrics not reported: %+v", g.Candidate)
			}
		}
		if res.Criteria[0].Outcome != OutcomePass || res.Verdict != Inconclusive {
			t.Errorf("overall %s, verdict %s; want pass overall and INCONCLUSIVE", res.Criteria[0].Outcome, res.Verdict)
		}
	})
}

func TestEvaluateRejectsBadObservations(t *testing.T) {
	ds := handmadeDataset()
	good := func() Observations {
		comp := scoredAnswers(compVersion, comparatorScores())
		return Observations{Spec: specRequiring(t, "noninferior(sensitivity, 0.05)"), Dataset: ds,
			Candidate: scoredAnswers(candVersion, candidateScores()), Comparator: &comp, MaxFailureFraction: 0.05}
	}
	if _, err := Evaluate(good()); err != nil {
		t.Fatalf("good observations: %v", err)
	}
	for _, tc := range []struct {
		name     string
		edit     func(*Observations)
		contains string
	}{
		{"no spec", func(o *Observations) { o.Spec = nil }, "no spec"},
		{"no data set", func(o *Observations) { o.Dataset = nil }, "no data set"},
		{"too few answers", func(o *Observations) { o.Candidate.Cases = o.Candidate.Cases[1:] }, "candidate answers: 49 answers for 50 cases"},
		{"unset status", func(o *Observations) { o.Comparator.Cases[4] = Answer{} }, "comparator answers: case 4: status AnswerStatus(0) is neither answered nor failed"},
		{"probability out of range", func(o *Observations) { o.Candidate.Cases[2].Probability = 1.5 }, "case 2: probability 1.5 outside [0, 1]"},
		{"failure without code", func(o *Observations) { o.Candidate.Cases[2] = Answer{Status: AnswerFailed} }, "case 2: failed without a failure code"},
		{"no version", func(o *Observations) { o.Candidate.Version = "" }, "candidate answers: version is empty"},
		{"same version", func(o *Observations) { o.Comparator.Version = candVersion }, "cannot be validated against itself"},
		{"paired criterion without comparator", func(o *Observations) { o.Comparator = nil }, "require[0] (noninferior(sensitivity, 0.05)) compares with another version"},
		{"unknown subgroup", func(o *Observations) { o.Spec.Subgroups = []string{"ward"} }, `spec subgroup "ward" is not a subgroup column of data set handmade`},
		{"tolerance of 1", func(o *Observations) { o.MaxFailureFraction = 1 }, "max failure fraction 1 outside [0, 1)"},
		{"no criteria", func(o *Observations) { o.Spec.Require = nil }, "requires nothing"},
		{"bad confidence", func(o *Observations) { o.Spec.Confidence = 1 }, "spec confidence 1"},
		{"noninferior on ppv", func(o *Observations) { o.Spec.Require[0].Metric = 3 }, "noninferior needs sensitivity, specificity or accuracy, not ppv"},
		{"margin of 1", func(o *Observations) { o.Spec.Require[0].Margin = 1 }, "margin 1 outside [0, 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := good()
			tc.edit(&obs)
			_, err := Evaluate(obs)
			if !errorIs(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %v, want ErrInvalidConfig containing %q", err, tc.contains)
			}
		})
	}
}
