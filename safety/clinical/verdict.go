package clinical

import (
	"fmt"
	"sort"
	"strings"
)

// decide applies the verdict rules to an evidence record and explains the verdict:
//
//  1. INCONCLUSIVE when the measurement cannot be trusted (a wrong or unnamed version
//     answered, or a target's failed calls exceed MaxFailureFraction);
//  2. FAILED when a criterion fails overall or in a powered subgroup;
//  3. INCONCLUSIVE when a criterion is inconclusive, a minimum is not met or a subgroup
//     is under-powered;
//  4. PASSED otherwise.
//
// Every applicable reason is listed, those of the deciding rule first.
func decide(res *Result) (Verdict, []string) {
	var untrusted, failed, inconclusive []string
	targets := []*TargetResult{&res.Candidate}
	roles := []string{"candidate"}
	if res.Comparator != nil {
		targets = append(targets, res.Comparator)
		roles = append(roles, "comparator")
	}
	for i, t := range targets {
		calls := t.Calls
		if calls.WrongVersion > 0 {
			untrusted = append(untrusted, fmt.Sprintf("%s %s: %d of %d calls were handled by another version (%s): the routing cannot be trusted",
				roles[i], t.Version, calls.WrongVersion, calls.Total, describeVersions(calls.WrongVersions)))
		}
		if calls.FailedFraction.Defined() && float64(calls.FailedFraction) > res.Settings.MaxFailureFraction {
			untrusted = append(untrusted, fmt.Sprintf("%s %s: %d of %d calls failed (%s), more than the %s tolerated (%s): the model could not be measured",
				roles[i], t.Version, calls.Failed, calls.Total, percent(float64(calls.FailedFraction)),
				percent(res.Settings.MaxFailureFraction), describeCodes(calls.FailuresByCode)))
		}
	}
	for _, m := range res.Minimums {
		if !m.Met {
			inconclusive = append(inconclusive, fmt.Sprintf("%s not met: %d < %d", m.Name, m.Actual, m.Required))
		}
	}
	collect := func(where string, crs []CriterionResult) {
		for _, cr := range crs {
			line := fmt.Sprintf("%s%s %s: %s", where, cr.Source, cr.Outcome, cr.Reason)
			switch cr.Outcome {
			case OutcomeFail:
				failed = append(failed, line)
			case OutcomeInconclusive:
				inconclusive = append(inconclusive, line)
			}
		}
	}
	collect("", res.Criteria)
	for _, g := range res.Subgroups {
		where := fmt.Sprintf("subgroup %s=%s: ", g.Column, g.Value)
		if !g.Powered {
			inconclusive = append(inconclusive, where+g.Reason)
			continue
		}
		collect(where, g.Criteria)
	}
	join := func(lists ...[]string) []string {
		out := []string{}
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	switch {
	case len(untrusted) > 0:
		return Inconclusive, join(untrusted, failed, inconclusive)
	case len(failed) > 0:
		return Failed, join(failed, inconclusive)
	case len(inconclusive) > 0:
		return Inconclusive, inconclusive
	}
	scope := "no subgroups defined"
	if len(res.Subgroups) > 0 {
		scope = fmt.Sprintf("and in each of %d subgroups", len(res.Subgroups))
	}
	return Passed, []string{fmt.Sprintf("all %d criteria passed on %d cases (%s); minimums met; every call answered by the pinned version or within the failure tolerance",
		len(res.Criteria), res.Dataset.Cases, scope)}
}

func describeVersions(vs []VersionCount) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		name := v.Version
		if name == "" {
			name = "no version named"
		}
		parts[i] = fmt.Sprintf("%s: %d", name, v.Cases)
	}
	return strings.Join(parts, ", ")
}

func describeCodes(byCode map[string]int) string {
	parts := make([]string, 0, len(byCode))
	for _, code := range sortedCodeKeys(byCode) {
		parts = append(parts, fmt.Sprintf("%s: %d", code, byCode[code]))
	}
	return strings.Join(parts, ", ")
}

func sortedCodeKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func percent(f float64) string { return fmt.Sprintf("%.1f %%", 100*f) }
