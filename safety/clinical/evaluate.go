package clinical

import (
	"fmt"
	"sort"

	"github.com/seed70a3350f/vigil/policies"
)

// DefaultMaxFailureFraction is the share of failed calls per target the run tolerates
// before it declares the model unmeasurable: 5 %. At the demo golden set's 228 cases
// that is 11 failed cases; each counts as a wrong answer besides.
const DefaultMaxFailureFraction = 0.05

// Observations are everything a verdict is computed from.
type Observations struct {
	// Spec holds the criteria and decision settings.
	Spec *policies.ClinicalValidation
	// Dataset is the golden set the answers belong to.
	Dataset *Dataset
	// Candidate are the answers of the version under validation.
	Candidate Answers
	// Comparator are the answers of the version it is compared with; nil without
	// comparison (required when the spec has paired criteria).
	Comparator *Answers
	// MaxFailureFraction in [0, 1) is the share of failed calls per target above which
	// the run is INCONCLUSIVE; 0 tolerates no failed call. DefaultMaxFailureFraction is
	// the documented choice.
	MaxFailureFraction float64
}

// Evaluate computes the evidence record and verdict from answers that have been
// collected: metrics with intervals for each version, paired statistics, the criteria
// overall and per subgroup, the minimums and the verdict (see the package
// documentation for the order of the rules). It is pure: no clock, no network. Timing
// is left undefined.
//
// Errors (wrapping ErrInvalidConfig): a nil spec or data set, a spec setting outside
// its range, a criterion that cannot be judged, a subgroup column the data set does not
// have, paired criteria without comparator answers, answers that do not match the data
// set (count, status, probability), a MaxFailureFraction outside [0, 1).
func Evaluate(obs Observations) (*Result, error) {
	spec, ds := obs.Spec, obs.Dataset
	if err := checkObservations(obs); err != nil {
		return nil, err
	}
	set, err := settingsOf(spec)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Validation: spec.Name,
		Dataset: DatasetSummary{Name: ds.Name, SHA256: ds.SHA256, PinnedSHA256: spec.DatasetSHA256, Cases: len(ds.Cases),
			Positives: ds.Positives(), Negatives: len(ds.Cases) - ds.Positives(), PositiveLabel: ds.PositiveLabel, NegativeLabel: ds.NegativeLabel},
		Settings: Settings{Confidence: spec.Confidence, Interval: spec.Interval.String(), MinCases: spec.MinCases,
			MinPositiveCases: spec.MinPositiveCases, Subgroups: append([]string{}, spec.Subgroups...),
			MinSubgroupCases: spec.MinSubgroupCases, Against: spec.Against.String(), Concurrency: spec.Concurrency,
			Timeout: spec.Timeout.String(), MaxFailureFraction: obs.MaxFailureFraction},
		CriteriaText: CriteriaText(spec),
		CriteriaHash: CriteriaHash(spec),
		Timing:       Timing{Seconds: undefined(), CallsPerSecond: undefined(), CasesPerSecond: undefined()},
	}
	all := scope{ds: ds, idx: make([]int, len(ds.Cases))}
	for i := range all.idx {
		all.idx[i] = i
	}
	ev := evaluator{spec: spec, set: set, cand: &obs.Candidate, comp: obs.Comparator}
	overall, err := ev.evaluateScope(all)
	if err != nil {
		return nil, err
	}
	res.Candidate = TargetResult{Version: obs.Candidate.Version, PinnedBy: obs.Candidate.PinnedBy,
		Calls: countCalls(&obs.Candidate), Metrics: overall.candidate}
	if obs.Comparator != nil {
		res.Comparator = &TargetResult{Version: obs.Comparator.Version, PinnedBy: obs.Comparator.PinnedBy,
			Calls: countCalls(obs.Comparator), Metrics: *overall.comparator}
	}
	res.Paired = overall.paired
	res.Criteria = overall.criteria
	res.Minimums = []MinimumResult{
		{Name: "min_cases", Required: int(spec.MinCases), Actual: res.Dataset.Cases, Met: res.Dataset.Cases >= int(spec.MinCases)},
		{Name: "min_positive_cases", Required: int(spec.MinPositiveCases), Actual: res.Dataset.Positives, Met: res.Dataset.Positives >= int(spec.MinPositiveCases)},
	}
	if res.Subgroups, err = ev.evaluateSubgroups(ds); err != nil {
		return nil, err
	}
	res.Verdict, res.Reasons = decide(res)
	return res, nil
}

func checkObservations(obs Observations) error {
	spec, ds := obs.Spec, obs.Dataset
	switch {
	case spec == nil:
		return configErrorf("no spec: give the clinical_validation block to evaluate")
	case ds == nil:
		return configErrorf("no data set")
	case len(ds.Cases) == 0:
		return configErrorf("data set %s has no cases", ds.Name)
	case len(spec.Require) == 0:
		return configErrorf("spec %q requires nothing: a validation needs at least one criterion", spec.Name)
	case !(obs.MaxFailureFraction >= 0 && obs.MaxFailureFraction < 1):
		return configErrorf("max failure fraction %v outside [0, 1); %v is the documented default", obs.MaxFailureFraction, DefaultMaxFailureFraction)
	}
	for i := range spec.Require {
		if err := checkCriterion(i, &spec.Require[i]); err != nil {
			return err
		}
		if spec.Require[i].Paired() && obs.Comparator == nil {
			return configErrorf("spec require[%d] (%s) compares with another version, but there are no comparator answers", i, spec.Require[i].Source)
		}
	}
	for _, col := range spec.Subgroups {
		if !ds.HasSubgroup(col) {
			return configErrorf("spec subgroup %q is not a subgroup column of data set %s (it has %v): load the data set with that column", col, ds.Name, ds.SubgroupColumns)
		}
	}
	if err := obs.Candidate.check("candidate", len(ds.Cases)); err != nil {
		return err
	}
	if obs.Comparator != nil {
		if err := obs.Comparator.check("comparator", len(ds.Cases)); err != nil {
			return err
		}
		if obs.Comparator.Version == obs.Candidate.Version {
			return configErrorf("candidate and comparator are both %s: a version cannot be validated against itself", obs.Candidate.Version)
		}
	}
	return nil
}

// evaluator computes the statistics and criteria of scopes.
type evaluator struct {
	spec       *policies.ClinicalValidation
	set        settings
	cand, comp *Answers
}

type scopeResult struct {
	candidate  Metrics
	comparator *Metrics
	paired     *PairedStats
	criteria   []CriterionResult
}

// evaluateScope computes metrics, paired statistics and every criterion on one scope.
func (ev *evaluator) evaluateScope(sc scope) (scopeResult, error) {
	var r scopeResult
	var err error
	if r.candidate, err = computeMetrics(sc, ev.cand, ev.set); err != nil {
		return r, err
	}
	if ev.comp != nil {
		cm, err := computeMetrics(sc, ev.comp, ev.set)
		if err != nil {
			return r, err
		}
		r.comparator = &cm
		ps, err := computePaired(sc, ev.cand, ev.comp, ev.set)
		if err != nil {
			return r, err
		}
		r.paired = &ps
	}
	r.criteria = make([]CriterionResult, 0, len(ev.spec.Require))
	for i := range ev.spec.Require {
		cr, err := judge(&ev.spec.Require[i], &r.candidate, r.paired, ev.set.level)
		if err != nil {
			return r, err
		}
		r.criteria = append(r.criteria, cr)
	}
	return r, nil
}

// evaluateSubgroups evaluates each value of each subgroup column; criteria are judged
// only in groups with at least MinSubgroupCases cases.
func (ev *evaluator) evaluateSubgroups(ds *Dataset) ([]SubgroupResult, error) {
	out := []SubgroupResult{}
	for _, col := range ev.spec.Subgroups {
		groups := map[string][]int{}
		for i, c := range ds.Cases {
			v := c.Subgroups[col]
			groups[v] = append(groups[v], i)
		}
		values := make([]string, 0, len(groups))
		for v := range groups {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			sc := scope{ds: ds, idx: groups[v]}
			sr, err := ev.evaluateScope(sc)
			if err != nil {
				return nil, fmt.Errorf("subgroup %s=%s: %w", col, v, err)
			}
			g := SubgroupResult{Column: col, Value: v, Candidate: sr.candidate, Comparator: sr.comparator, Paired: sr.paired,
				Criteria: []CriterionResult{}}
			g.Cases, g.Positives, g.Negatives = sc.counts()
			g.Powered = g.Cases >= int(ev.spec.MinSubgroupCases)
			if !g.Powered {
				g.Outcome = OutcomeInconclusive
				g.Reason = fmt.Sprintf("%d cases < min_subgroup_cases %d: under-powered, criteria not judged", g.Cases, ev.spec.MinSubgroupCases)
				out = append(out, g)
				continue
			}
			g.Criteria = sr.criteria
			g.Outcome = OutcomePass
			for _, cr := range g.Criteria {
				g.Outcome = worse(g.Outcome, cr.Outcome)
			}
			g.Reason = fmt.Sprintf("%d cases (%d positive, %d negative): criteria %s", g.Cases, g.Positives, g.Negatives, g.Outcome)
			out = append(out, g)
		}
	}
	return out, nil
}

// countCalls summarises one target's calls.
func countCalls(a *Answers) Calls {
	c := Calls{Total: len(a.Cases), FailuresByCode: map[string]int{}, WrongVersions: []VersionCount{}}
	wrong := map[string]int{}
	for _, ans := range a.Cases {
		switch {
		case ans.Status == AnswerFailed:
			c.Failed++
			c.FailuresByCode[ans.Failure]++
			if ans.Failure == FailureTimeout {
				c.Timeouts++
			}
		case ans.Version == a.Version:
			c.Answered++
		}
		if ans.Version != a.Version && (ans.Version != "" || ans.Status == Answered) {
			c.WrongVersion++
			wrong[ans.Version]++
		}
	}
	for v, n := range wrong {
		c.WrongVersions = append(c.WrongVersions, VersionCount{Version: v, Cases: n})
	}
	sort.Slice(c.WrongVersions, func(i, j int) bool { return c.WrongVersions[i].Version < c.WrongVersions[j].Version })
	c.FailedFraction = undefined()
	if c.Total > 0 {
		c.FailedFraction = Float(float64(c.Failed) / float64(c.Total))
	}
	return c
}
