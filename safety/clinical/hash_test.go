package clinical

import (
	"testing"

	"github.com/seed70a3350f/vigil/policies"
)

func exampleSpec(t testing.TB) (*policies.Policy, *policies.ClinicalValidation) {
	t.Helper()
	pol, diags := policies.ParseFile("../../examples/policies/breast-cancer-dx.hcl", nil)
	if diags.HasErrors() {
		t.Fatalf("example policy: %v", diags)
	}
	spec := pol.Service("breast-cancer-dx").ClinicalValidation("golden")
	if spec == nil {
		t.Fatal("example policy has no clinical_validation \"golden\"")
	}
	return pol, spec
}

func TestCriteriaTextAndHash(t *testing.T) {
	_, spec := exampleSpec(t)
	const wantText = `confidence 0.95
interval wilson
min_cases 100
min_positive_cases 30
subgroups 
min_subgroup_cases 30
require noninferior(sensitivity, 0.05)
require noninferior(specificity, 0.05)
require sensitivity.lower >= 0.85
require specificity.lower >= 0.85
`
	if got := CriteriaText(spec); got != wantText {
		t.Errorf("criteria text:\n%s\nwant:\n%s", got, wantText)
	}
	// printf '<the text above>' | sha256sum
	const wantHash = "sha256:e43a35a1c7a5c7d5ae8548db08b11faabd1cd666f95978e2862cc81c1d96314d"
	if got := CriteriaHash(spec); got != wantHash {
		t.Errorf("criteria hash %s, want %s", got, wantHash)
	}

	base := `    against = "current"
    min_cases = 100
    require = [
      sensitivity.lower >= 0.85,
      mcnemar_not_worse(0.05),
      auc_noninferior(0.02),
    ]`
	same := map[string]string{
		"criteria reordered and respaced": `    against = "current"
    min_cases = 100
    require = [auc_noninferior(0.02), mcnemar_not_worse(  0.05 ), sensitivity.lower>=0.85]`,
		"another comparator, data set, concurrency and timeout": `    against = "2.0.0-PRODUCTION"
    dataset_sha256 = "` + goldenCSVSHA256 + `"
    concurrency = 2
    timeout = "1s"
    min_cases = 100
    require = [sensitivity.lower >= 0.85, mcnemar_not_worse(0.05), auc_noninferior(0.02)]`,
		"goal written as an expression": `    against = "current"
    min_cases = 100
    require = [sensitivity.lower >= 0.8 + 0.05, mcnemar_not_worse(0.05), auc_noninferior(0.02)]`,
	}
	different := map[string]string{
		"another goal":          `sensitivity.lower >= 0.86, mcnemar_not_worse(0.05), auc_noninferior(0.02)`,
		"another alpha":         `sensitivity.lower >= 0.85, mcnemar_not_worse(0.01), auc_noninferior(0.02)`,
		"a criterion dropped":   `sensitivity.lower >= 0.85, mcnemar_not_worse(0.05)`,
		"another bounded value": `specificity.lower >= 0.85, mcnemar_not_worse(0.05), auc_noninferior(0.02)`,
	}
	baseHash := CriteriaHash(parseSpec(t, base))
	for name, body := range same {
		t.Run("same: "+name, func(t *testing.T) {
			if h := CriteriaHash(parseSpec(t, body)); h != baseHash {
				t.Errorf("hash %s, want %s", h, baseHash)
			}
		})
	}
	for name, criteria := range different {
		t.Run("different: "+name, func(t *testing.T) {
			body := "    against = \"current\"\n    min_cases = 100\n    require = [" + criteria + "]"
			if h := CriteriaHash(parseSpec(t, body)); h == baseHash {
				t.Errorf("hash unchanged: %s", h)
			}
		})
	}
	for name, body := range map[string]string{
		"another confidence": "    confidence = 0.9\n" + base,
		"another interval":   "    interval = \"clopper_pearson\"\n" + base,
		"another minimum":    "    min_positive_cases = 5\n" + base,
	} {
		t.Run("different: "+name, func(t *testing.T) {
			if h := CriteriaHash(parseSpec(t, body)); h == baseHash {
				t.Errorf("hash unchanged: %s", h)
			}
		})
	}
}
