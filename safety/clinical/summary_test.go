package clinical

import (
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	ds := handmadeDataset()
	cand := scoredAnswers(candVersion, candidateScores())
	comp := scoredAnswers(compVersion, comparatorScores())
	cand.Cases[5] = failed(FailureTimeout)
	spec := parseSpec(t, `    against = "current"
    min_cases = 1
    subgroups = ["site"]
    min_subgroup_cases = 30
    require = [sensitivity.lower >= 0.5, mcnemar_not_worse(0.05)]`)
	res := evaluate(t, Observations{Spec: spec, Dataset: ds, Candidate: cand, Comparator: &comp, MaxFailureFraction: DefaultMaxFailureFraction})
	res.PolicyHash = "sha256:0123456789abcdef0123"
	s := res.Summary()
	for _, want := range []string{
		`clinical validation "v": FAILED`,
		"  - subgroup site=a: 25 cases < min_subgroup_cases 30: under-powered, criteria not judged",
		"data set handmade (sha256 abababababab): 50 cases, 20 malignant, 30 benign",
		"criteria sha256:", "policy sha256:0123456789ab\n",
		"1.1.0-CLINICALVALID (candidate)", "1.0.0-PRODUCTION (comparator)",
		"sensitivity  16/20 0.800 [0.584, 0.919]", // the timeout on positive 5 is a false negative
		"calls: candidate 49/50 answered, 1 failed (1 timeouts), 0 wrong version; comparator 50/50 answered",
		"McNemar b = 4 (comparator only right), c = 0 (candidate only right): mid-p p = 0.0625 two-sided, 0.0313 one-sided",
		"  - mcnemar_not_worse(0.05) fail: McNemar (mid-p) b = 4, c = 0: one-sided p = 0.0313 <= alpha 0.05",
		"sensitivity.lower >= 0.5  pass          sensitivity 0.800 [0.584, 0.919] on 20 cases: lower bound 0.5840 >= goal 0.5",
		"site=b (25 cases)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
