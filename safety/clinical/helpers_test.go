package clinical

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/policies"
)

const (
	candVersion = "1.1.0-CLINICALVALID"
	compVersion = "1.0.0-PRODUCTION"
)

// parseSpec parses a one-service policy whose clinical_validation block has the given
// body and returns the block, so tests judge criteria exactly as policies state them.
func parseSpec(t testing.TB, body string) *policies.ClinicalValidation {
	t.Helper()
	src := "service \"svc\" {\n  clinical_validation \"v\" {\n    dataset = \"x.csv\"\n" + body + "\n  }\n}\n"
	p, diags := policies.Parse("spec.hcl", []byte(src), nil)
	if diags.HasErrors() {
		t.Fatalf("policy does not parse: %v\n%s", diags, src)
	}
	return p.Service("svc").ClinicalValidation("v")
}

// specRequiring is a spec against the current version with minimums of 1 and the given
// criteria, one per line.
func specRequiring(t testing.TB, criteria ...string) *policies.ClinicalValidation {
	t.Helper()
	return parseSpec(t, fmt.Sprintf("    against = \"current\"\n    min_cases = 1\n    require = [\n      %s,\n    ]", strings.Join(criteria, ",\n      ")))
}

// The hand-made fixture: 20 positive cases then 30 negative ones. Subgroup "site" is "a"
// for the first 10 positives and the first 15 negatives, "b" for the others. The scores
// below give, with a 0.5 threshold:
//
//	candidate:  TP 17 FN 3 (positives 0-2), TN 27 FP 3 (negatives 27-29)
//	comparator: TP 18 FN 2 (positives 0-1), TN 29 FP 1 (negative 29)
//
// so paired b = 3 (positive 2, negatives 27 and 28), c = 0. Reference values for these
// scores come from R 4.2.2 with pROC 1.18.0 (see the tests).
const (
	handPositives = 20
	handNegatives = 30
)

func handmadeDataset() *Dataset {
	ds := &Dataset{Name: "handmade", SHA256: strings.Repeat("ab", 32), PositiveLabel: "malignant", NegativeLabel: "benign",
		SubgroupColumns: []string{"site"}}
	for i := 0; i < handPositives+handNegatives; i++ {
		positive := i < handPositives
		site := "b"
		if (positive && i < 10) || (!positive && i-handPositives < 15) {
			site = "a"
		}
		ds.Cases = append(ds.Cases, Case{ID: fmt.Sprintf("case-%02d", i), Features: []float64{float64(i)}, Positive: positive,
			Subgroups: map[string]string{"site": site}})
	}
	return ds
}

// candidateScores: positives 0.42 + 0.03 i, negatives 0.02 + 0.018 j.
func candidateScores() []float64 { return linearScores(0.42, 0.03, 0.02, 0.018) }

// comparatorScores: positives 0.46 + 0.025 i, negatives 0.01 + 0.017 j.
func comparatorScores() []float64 { return linearScores(0.46, 0.025, 0.01, 0.017) }

func linearScores(pos0, posStep, neg0, negStep float64) []float64 {
	var s []float64
	for i := 0; i < handPositives; i++ {
		s = append(s, pos0+posStep*float64(i))
	}
	for j := 0; j < handNegatives; j++ {
		s = append(s, neg0+negStep*float64(j))
	}
	return s
}

// scoredAnswers answers every case from version, calling a case positive when its score
// is at least 0.5.
func scoredAnswers(version string, scores []float64) Answers {
	a := Answers{Version: version, PinnedBy: "x-vigil-version=" + version}
	for _, s := range scores {
		a.Cases = append(a.Cases, Answer{Status: Answered, PredictedPositive: s >= 0.5, Probability: s, Version: version})
	}
	return a
}

// perfectAnswers answers every case of ds correctly with a confident probability.
func perfectAnswers(ds *Dataset, version string) Answers {
	a := Answers{Version: version, PinnedBy: "x-vigil-version=" + version}
	for _, c := range ds.Cases {
		p := 0.1
		if c.Positive {
			p = 0.9
		}
		a.Cases = append(a.Cases, Answer{Status: Answered, PredictedPositive: c.Positive, Probability: p, Version: version})
	}
	return a
}

func failed(code string) Answer {
	return Answer{Status: AnswerFailed, Failure: code, Detail: "injected " + code}
}

// balancedDataset has the given numbers of positive and negative cases, all in subgroup
// site=a.
func balancedDataset(positives, negatives int) *Dataset {
	ds := &Dataset{Name: "balanced", SHA256: strings.Repeat("cd", 32), PositiveLabel: "malignant", NegativeLabel: "benign",
		SubgroupColumns: []string{"site"}}
	for i := 0; i < positives+negatives; i++ {
		ds.Cases = append(ds.Cases, Case{ID: fmt.Sprintf("c%d", i), Features: []float64{1}, Positive: i < positives,
			Subgroups: map[string]string{"site": "a"}})
	}
	return ds
}

func approx(t testing.TB, what string, got Float, want, tol float64) {
	t.Helper()
	if !got.Defined() || math.Abs(float64(got)-want) > tol {
		t.Errorf("%s = %v, want %v (tolerance %g)", what, got, want, tol)
	}
}

func evaluate(t testing.TB, obs Observations) *Result {
	t.Helper()
	res, err := Evaluate(obs)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return res
}

func criterionBySource(t testing.TB, crs []CriterionResult, source string) CriterionResult {
	t.Helper()
	for _, cr := range crs {
		if cr.Source == source {
			return cr
		}
	}
	t.Fatalf("no criterion %q in %+v", source, crs)
	return CriterionResult{}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func errorIs(err, target error) bool { return err != nil && errors.Is(err, target) }

const (
	service   = "breast-cancer-dx"
	pinHeader = "x-vigil-version"
)
