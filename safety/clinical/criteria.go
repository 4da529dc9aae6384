package clinical

import (
	"fmt"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// checkCriterion validates one criterion of a spec; i is its index in require.
func checkCriterion(i int, c *policies.Criterion) error {
	where := fmt.Sprintf("spec require[%d] (%s)", i, c.Source)
	switch c.Kind {
	case policies.BoundCriterion:
		switch c.Metric {
		case policies.MetricSensitivity, policies.MetricSpecificity, policies.MetricPPV, policies.MetricNPV,
			policies.MetricAccuracy, policies.MetricAUC:
		default:
			return configErrorf("%s: metric %v cannot be bounded", where, c.Metric)
		}
		if !(c.Bound == policies.LowerBound && c.Op == policies.OpAtLeast) && !(c.Bound == policies.UpperBound && c.Op == policies.OpAtMost) {
			return configErrorf("%s: bound %v with %v: want lower with >= or upper with <=", where, c.Bound, c.Op)
		}
		if !(c.Goal > 0 && c.Goal < 1) {
			return configErrorf("%s: goal %v outside (0, 1)", where, c.Goal)
		}
	case policies.NonInferiority:
		switch c.Metric {
		case policies.MetricSensitivity, policies.MetricSpecificity, policies.MetricAccuracy:
		default:
			return configErrorf("%s: noninferior needs sensitivity, specificity or accuracy, not %v", where, c.Metric)
		}
		if !(c.Margin >= 0 && c.Margin < 1) {
			return configErrorf("%s: margin %v outside [0, 1)", where, c.Margin)
		}
	case policies.AUCNonInferiority:
		if !(c.Margin >= 0 && c.Margin < 1) {
			return configErrorf("%s: margin %v outside [0, 1)", where, c.Margin)
		}
	case policies.McNemarNotWorse:
		if !(c.Alpha > 0 && c.Alpha < 1) {
			return configErrorf("%s: alpha %v outside (0, 1)", where, c.Alpha)
		}
	default:
		return configErrorf("%s: unknown criterion kind %v", where, c.Kind)
	}
	return nil
}

// judge evaluates criterion c in a scope with the candidate's metrics and, for paired
// criteria, the paired statistics (nil without a comparator).
func judge(c *policies.Criterion, m *Metrics, paired *PairedStats, level float64) (CriterionResult, error) {
	r := CriterionResult{Source: c.Source, Kind: c.Kind.String(), Metric: c.Metric.String(), Level: level,
		Goal: undefined(), Margin: undefined(), Alpha: undefined(),
		Estimate: undefined(), Lower: undefined(), Upper: undefined(), PValue: undefined()}
	if c.Paired() && paired == nil {
		r.Reason = "no comparator answered the cases: a paired criterion cannot be judged"
		return r, nil
	}
	switch c.Kind {
	case policies.BoundCriterion:
		judgeBound(c, m, &r)
	case policies.NonInferiority:
		return r, judgeNonInferiority(c, paired, level, &r)
	case policies.AUCNonInferiority:
		judgeAUCNonInferiority(c, paired, &r)
	case policies.McNemarNotWorse:
		judgeMcNemar(c, paired, &r)
	}
	return r, nil
}

// judgeBound: lower >= goal passes when the lower bound reaches the goal and fails when
// even the upper bound is below it; upper <= goal mirrors that.
func judgeBound(c *policies.Criterion, m *Metrics, r *CriterionResult) {
	r.Bound, r.Goal = c.Bound.String(), Float(c.Goal)
	var note string
	switch c.Metric {
	case policies.MetricAUC:
		r.Estimate, r.Lower, r.Upper, r.Cases, note = m.AUC.Estimate, m.AUC.Lower, m.AUC.Upper, m.Cases, m.AUC.Note
	default:
		p := m.proportion(c.Metric)
		r.Estimate, r.Lower, r.Upper, r.Cases, note = p.Estimate, p.Lower, p.Upper, p.Trials, p.Note
	}
	if !r.Lower.Defined() || !r.Upper.Defined() {
		r.Outcome = OutcomeInconclusive
		r.Reason = fmt.Sprintf("%s has no confidence interval (%s)", c.Metric, note)
		return
	}
	iv := fmt.Sprintf("%s %s [%s, %s] on %d cases", c.Metric, r.Estimate.format(3), r.Lower.format(3), r.Upper.format(3), r.Cases)
	goal := r.Goal.String()
	lower, upper := float64(r.Lower), float64(r.Upper)
	if c.Bound == policies.LowerBound {
		switch {
		case lower >= c.Goal:
			r.Outcome, r.Reason = OutcomePass, fmt.Sprintf("%s: lower bound %s >= goal %s", iv, r.Lower.format(4), goal)
		case upper < c.Goal:
			r.Outcome, r.Reason = OutcomeFail, fmt.Sprintf("%s: even the upper bound %s is below goal %s", iv, r.Upper.format(4), goal)
		default:
			r.Outcome, r.Reason = OutcomeInconclusive, fmt.Sprintf("%s: lower bound %s < goal %s <= upper bound %s", iv, r.Lower.format(4), goal, r.Upper.format(4))
		}
		return
	}
	switch {
	case upper <= c.Goal:
		r.Outcome, r.Reason = OutcomePass, fmt.Sprintf("%s: upper bound %s <= goal %s", iv, r.Upper.format(4), goal)
	case lower > c.Goal:
		r.Outcome, r.Reason = OutcomeFail, fmt.Sprintf("%s: even the lower bound %s is above goal %s", iv, r.Lower.format(4), goal)
	default:
		r.Outcome, r.Reason = OutcomeInconclusive, fmt.Sprintf("%s: lower bound %s <= goal %s < upper bound %s", iv, r.Lower.format(4), goal, r.Upper.format(4))
	}
}

// judgeNonInferiority uses Tango's interval for candidate minus comparator: pass when its
// lower bound is above -margin, fail when its upper bound is below -margin.
func judgeNonInferiority(c *policies.Criterion, paired *PairedStats, level float64, r *CriterionResult) error {
	r.Margin = Float(c.Margin)
	e := paired.endpoint(c.Metric)
	if e == nil {
		return configErrorf("criterion %s: no paired endpoint for %v", c.Source, c.Metric)
	}
	r.Cases = e.Cases
	if e.Cases == 0 {
		r.Outcome, r.Reason = OutcomeInconclusive, fmt.Sprintf("paired %s: %s", c.Metric, e.Note)
		return nil
	}
	ni, err := stats.TangoNonInferiority(e.counts(), c.Margin, level)
	if err != nil {
		return fmt.Errorf("criterion %s: %w", c.Source, err)
	}
	r.Outcome = outcomeOf(ni.Outcome)
	r.Estimate, r.Lower, r.Upper, r.PValue = e.Difference, Float(ni.Interval.Lower), Float(ni.Interval.Upper), Float(ni.PValue)
	desc := fmt.Sprintf("%s difference %s [%s, %s] on %d cases (b = %d, c = %d)", c.Metric, r.Estimate.format(4),
		r.Lower.format(4), r.Upper.format(4), e.Cases, e.ComparatorOnlyRight, e.CandidateOnlyRight)
	r.Reason = boundVersusMargin(desc, r.Lower, r.Upper, c.Margin, r.Outcome)
	return nil
}

// judgeAUCNonInferiority uses DeLong's interval for the AUC difference.
func judgeAUCNonInferiority(c *policies.Criterion, paired *PairedStats, r *CriterionResult) {
	r.Margin = Float(c.Margin)
	d := paired.AUCDifference
	r.Estimate, r.Lower, r.Upper, r.Cases = d.Difference, d.Lower, d.Upper, paired.Endpoints[2].Cases
	if !d.Lower.Defined() || !d.Upper.Defined() {
		r.Outcome, r.Reason = OutcomeInconclusive, fmt.Sprintf("the AUC difference has no confidence interval (%s)", d.Note)
		return
	}
	switch {
	case float64(d.Lower) > -c.Margin:
		r.Outcome = OutcomePass
	case float64(d.Upper) < -c.Margin:
		r.Outcome = OutcomeFail
	default:
		r.Outcome = OutcomeInconclusive
	}
	desc := fmt.Sprintf("AUC difference %s [%s, %s] (candidate %s, comparator %s)", d.Difference.format(4),
		d.Lower.format(4), d.Upper.format(4), d.Candidate.format(4), d.Comparator.format(4))
	r.Reason = boundVersusMargin(desc, d.Lower, d.Upper, c.Margin, r.Outcome)
}

func boundVersusMargin(desc string, lower, upper Float, margin float64, o Outcome) string {
	m := Float(-margin).String()
	switch o {
	case OutcomePass:
		return fmt.Sprintf("%s: lower bound %s > -margin %s", desc, lower.format(4), m)
	case OutcomeFail:
		return fmt.Sprintf("%s: even the upper bound %s is below -margin %s", desc, upper.format(4), m)
	default:
		return fmt.Sprintf("%s: lower bound %s <= -margin %s <= upper bound %s", desc, lower.format(4), m, upper.format(4))
	}
}

// judgeMcNemar fails when the one-sided McNemar test finds the candidate wrong more
// often at level alpha, passes when it does not, and is inconclusive without discordant
// pairs.
func judgeMcNemar(c *policies.Criterion, paired *PairedStats, r *CriterionResult) {
	r.Alpha = Float(c.Alpha)
	mc := paired.McNemar
	r.Cases = paired.Endpoints[2].Cases
	r.PValue = mc.PValueCandidateWorse
	if !mc.PValueCandidateWorse.Defined() {
		r.Outcome, r.Reason = OutcomeInconclusive, "McNemar: "+mc.Note
		return
	}
	desc := fmt.Sprintf("McNemar (%s) b = %d, c = %d: one-sided p = %s", mc.Method, mc.B, mc.C, mc.PValueCandidateWorse.format(4))
	if float64(mc.PValueCandidateWorse) <= c.Alpha {
		r.Outcome, r.Reason = OutcomeFail, fmt.Sprintf("%s <= alpha %s: the candidate is wrong significantly more often", desc, r.Alpha)
		return
	}
	r.Outcome, r.Reason = OutcomePass, fmt.Sprintf("%s > alpha %s: no evidence the candidate is worse", desc, r.Alpha)
}

// proportion returns the metric's proportion; metric must be a proportion.
func (m *Metrics) proportion(metric policies.Metric) Proportion {
	switch metric {
	case policies.MetricSensitivity:
		return m.Sensitivity
	case policies.MetricSpecificity:
		return m.Specificity
	case policies.MetricPPV:
		return m.PPV
	case policies.MetricNPV:
		return m.NPV
	default:
		return m.Accuracy
	}
}
