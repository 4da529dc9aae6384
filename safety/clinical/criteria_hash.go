package clinical

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/seed70a3350f/vigil/policies"
)

// CriteriaText returns the canonical text of what a spec requires: its decision settings
// (confidence, interval method, minimums, subgroups) and its criteria, each on its own
// line in policy syntax rebuilt from the parsed values (so spacing, comments, variables
// and the order of the require list do not matter). Numbers are written in Go's shortest
// round-trip form.
//
//	confidence 0.95
//	interval wilson
//	min_cases 100
//	min_positive_cases 30
//	subgroups size_band
//	min_subgroup_cases 20
//	require noninferior(sensitivity, 0.05)
//	require sensitivity.lower >= 0.85
//
// Data set, comparator, concurrency and timeout are not part of it: they say what was
// measured and how, not what the measurement must show.
func CriteriaText(spec *policies.ClinicalValidation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "confidence %s\n", num(spec.Confidence))
	fmt.Fprintf(&b, "interval %s\n", spec.Interval)
	fmt.Fprintf(&b, "min_cases %d\n", spec.MinCases)
	fmt.Fprintf(&b, "min_positive_cases %d\n", spec.MinPositiveCases)
	fmt.Fprintf(&b, "subgroups %s\n", strings.Join(spec.Subgroups, " "))
	fmt.Fprintf(&b, "min_subgroup_cases %d\n", spec.MinSubgroupCases)
	lines := make([]string, len(spec.Require))
	for i := range spec.Require {
		lines[i] = "require " + canonicalCriterion(&spec.Require[i])
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// CriteriaHash returns "sha256:<hex>" of CriteriaText(spec).
func CriteriaHash(spec *policies.ClinicalValidation) string {
	sum := sha256.Sum256([]byte(CriteriaText(spec)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func canonicalCriterion(c *policies.Criterion) string {
	switch c.Kind {
	case policies.BoundCriterion:
		return fmt.Sprintf("%s.%s %s %s", c.Metric, c.Bound, c.Op, num(c.Goal))
	case policies.NonInferiority:
		return fmt.Sprintf("noninferior(%s, %s)", c.Metric, num(c.Margin))
	case policies.AUCNonInferiority:
		return fmt.Sprintf("auc_noninferior(%s)", num(c.Margin))
	case policies.McNemarNotWorse:
		return fmt.Sprintf("mcnemar_not_worse(%s)", num(c.Alpha))
	default:
		return fmt.Sprintf("%v(%s, %s, %s, %s)", c.Kind, c.Metric, num(c.Goal), num(c.Margin), num(c.Alpha))
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
