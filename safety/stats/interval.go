package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Interval is a two-sided confidence interval for a parameter.
type Interval struct {
	// Lower and Upper are the bounds, Lower <= Estimate <= Upper.
	Lower, Upper float64
	// Estimate is the point estimate the interval surrounds.
	Estimate float64
	// Level is the confidence level in (0, 1), e.g. 0.95.
	Level float64
	// Method names how the interval was computed, e.g. "wilson".
	Method string
}

// Contains reports whether v lies in [Lower, Upper].
func (iv Interval) Contains(v float64) bool { return iv.Lower <= v && v <= iv.Upper }

// Width is Upper - Lower.
func (iv Interval) Width() float64 { return iv.Upper - iv.Lower }

// Wilson returns the Wilson score interval (without continuity correction)
// for a binomial proportion from successes out of trials, at the two-sided
// confidence level in (0, 1).
//
// Assumptions: trials >= 1 independent Bernoulli trials with a common
// success probability. Two-sided; each tail has (1-level)/2. The bounds are
// exact at the boundaries: Lower is 0 when successes = 0 and Upper is 1 when
// successes = trials. Errors: negative counts, successes > trials,
// trials = 0 (no interval exists without data), level outside (0, 1).
//
// References: E. B. Wilson, JASA 22 (1927) 209-212; R. G. Newcombe, Stat Med
// 17 (1998) 857-872 (method 3); R prop.test(x, n, correct = FALSE).
func Wilson(successes, trials int, level float64) (Interval, error) {
	const fn = "wilson"
	if err := checkInterval(fn, successes, trials, level); err != nil {
		return Interval{}, err
	}
	n := float64(trials)
	p := float64(successes) / n
	z := twoSidedZ(level)
	z2 := z * z
	denom := 1 + z2/n
	centre := (p + z2/(2*n)) / denom
	half := z * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / denom
	iv := Interval{Lower: centre - half, Upper: centre + half, Estimate: p, Level: level, Method: fn}
	if successes == 0 {
		iv.Lower = 0
	}
	if successes == trials {
		iv.Upper = 1
	}
	iv.Lower = math.Max(0, math.Min(iv.Lower, p))
	iv.Upper = math.Min(1, math.Max(iv.Upper, p))
	return iv, nil
}

// ClopperPearson returns the Clopper-Pearson "exact" interval for a binomial
// proportion from successes out of trials at the two-sided confidence level
// in (0, 1): the bounds are Beta quantiles, Lower = B(alpha/2; x, n-x+1) and
// Upper = B(1-alpha/2; x+1, n-x), with alpha = 1 - level.
//
// Assumptions: trials >= 1 independent Bernoulli trials. Two-sided; each
// tail has at most (1-level)/2, so coverage is at least level (the interval
// is conservative). Lower is exactly 0 when successes = 0 and Upper exactly 1
// when successes = trials. Errors as for Wilson.
//
// References: C. J. Clopper and E. S. Pearson, Biometrika 26 (1934) 404-413;
// R binom.test(x, n)$conf.int.
func ClopperPearson(successes, trials int, level float64) (Interval, error) {
	const fn = "clopper-pearson"
	if err := checkInterval(fn, successes, trials, level); err != nil {
		return Interval{}, err
	}
	x, n := float64(successes), float64(trials)
	tail := (1 - level) / 2
	iv := Interval{Lower: 0, Upper: 1, Estimate: x / n, Level: level, Method: fn}
	if successes > 0 {
		iv.Lower = mathext.InvRegIncBeta(x, n-x+1, tail)
	}
	if successes < trials {
		iv.Upper = mathext.InvRegIncBeta(x+1, n-x, 1-tail)
	}
	return iv, nil
}

func checkInterval(fn string, successes, trials int, level float64) error {
	if err := checkCounts(fn, "successes", "trials", successes, trials); err != nil {
		return err
	}
	if trials == 0 {
		return invalidf(fn, "trials", "trials 0 < 1 (an interval needs at least one trial; with no data the judgement is inconclusive, see ProportionGoal)")
	}
	return checkProbabilityArg(fn, "level", level)
}

// IntervalMethod selects how ProportionGoal bounds a proportion.
type IntervalMethod int

const (
	// WilsonInterval selects Wilson.
	WilsonInterval IntervalMethod = iota + 1
	// ClopperPearsonInterval selects ClopperPearson.
	ClopperPearsonInterval
)

// String returns "wilson" or "clopper-pearson".
func (m IntervalMethod) String() string {
	switch m {
	case WilsonInterval:
		return "wilson"
	case ClopperPearsonInterval:
		return "clopper-pearson"
	default:
		return fmt.Sprintf("interval-method(%d)", int(m))
	}
}

// GoalResult is the judgement of a proportion against a goal.
type GoalResult struct {
	// Interval is the two-sided interval the decision used; zero when
	// trials = 0.
	Interval Interval
	// Goal is the pre-specified minimum proportion.
	Goal float64
	// Outcome is Pass when Interval.Lower >= Goal, Fail when
	// Interval.Upper < Goal, Inconclusive otherwise or with no trials.
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// ProportionGoal judges whether a proportion (e.g. sensitivity on diseased
// cases, specificity on non-diseased cases) reaches a pre-specified goal: it
// passes when the lower bound of the two-sided interval at level is at least
// goal, fails when the upper bound is below goal, and is Inconclusive when the
// interval straddles the goal or when trials = 0.
//
// Assumptions: as for Wilson or ClopperPearson (chosen by method, to be
// pre-specified); goal in (0, 1). A two-sided interval at level is a
// one-sided test at (1-level)/2. Errors: invalid counts, level or goal
// outside (0, 1), an unknown method.
//
// Reference: FDA, Statistical Guidance on Reporting Results from Studies
// Evaluating Diagnostic Tests (2007); Newcombe (1998).
func ProportionGoal(successes, trials int, goal, level float64, method IntervalMethod) (GoalResult, error) {
	const fn = "proportion-goal"
	if err := checkCounts(fn, "successes", "trials", successes, trials); err != nil {
		return GoalResult{}, err
	}
	if err := checkProbabilityArg(fn, "goal", goal); err != nil {
		return GoalResult{}, err
	}
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return GoalResult{}, err
	}
	var bound func(int, int, float64) (Interval, error)
	switch method {
	case WilsonInterval:
		bound = Wilson
	case ClopperPearsonInterval:
		bound = ClopperPearson
	default:
		return GoalResult{}, invalidf(fn, "method", "method %d is not WilsonInterval or ClopperPearsonInterval", int(method))
	}
	res := GoalResult{Goal: goal}
	if trials == 0 {
		res.Reason = "no trials: a proportion without data is never judged"
		return res, nil
	}
	iv, err := bound(successes, trials, level)
	if err != nil {
		return GoalResult{}, fmt.Errorf("proportion-goal: %w", err)
	}
	res.Interval = iv
	switch {
	case iv.Lower >= goal:
		res.Outcome = Pass
		res.Reason = fmt.Sprintf("%s %g%% lower bound %.6g >= goal %g", iv.Method, 100*level, iv.Lower, goal)
	case iv.Upper < goal:
		res.Outcome = Fail
		res.Reason = fmt.Sprintf("%s %g%% upper bound %.6g < goal %g", iv.Method, 100*level, iv.Upper, goal)
	default:
		res.Reason = fmt.Sprintf("%s %g%% interval [%.6g, %.6g] straddles goal %g: more cases needed", iv.Method, 100*level, iv.Lower, iv.Upper, goal)
	}
	return res, nil
}
