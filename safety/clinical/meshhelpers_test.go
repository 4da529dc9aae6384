package clinical_test

import (
	"math"
	"testing"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/clinical"
)

// The mesh tests live in package clinical_test: they start an xds-server node, whose agent
// runs clinical validations and so imports this package.

const (
	candVersion     = "1.1.0-CLINICALVALID"
	compVersion     = "1.0.0-PRODUCTION"
	goldenCSVSHA256 = "93afc542e3f79a1767c040aee022d1719e8e223c55d236a4f469be32efe72e46"
)

// exampleSpec loads the example policy and its golden clinical_validation block.
func exampleSpec(t testing.TB) (*policies.Policy, *policies.ClinicalValidation) {
	t.Helper()
	p, diags := policies.ParseFile("../../examples/policies/breast-cancer-dx.hcl", nil)
	if diags.HasErrors() {
		t.Fatal(policies.DiagnosticsError(diags))
	}
	spec := p.Service("breast-cancer-dx").ClinicalValidation("golden")
	if spec == nil {
		t.Fatal("the example policy has no clinical_validation \"golden\"")
	}
	return p, spec
}

func approx(t testing.TB, what string, got clinical.Float, want, tol float64) {
	t.Helper()
	if math.Abs(float64(got)-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}

func criterionBySource(t testing.TB, crs []clinical.CriterionResult, source string) clinical.CriterionResult {
	t.Helper()
	for _, c := range crs {
		if c.Source == source {
			return c
		}
	}
	t.Fatalf("no criterion %q", source)
	return clinical.CriterionResult{}
}
