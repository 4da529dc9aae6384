package stats

import (
	"fmt"
	"math"
)

// ArmCounts are the events (errors, alerts, adverse outcomes) among the
// trials (requests, cases) of one arm of an unpaired comparison.
type ArmCounts struct {
	Events int
	Trials int
}

// Rate is Events/Trials; NaN when Trials = 0.
func (a ArmCounts) Rate() float64 {
	if a.Trials == 0 {
		return math.NaN()
	}
	return float64(a.Events) / float64(a.Trials)
}

func (a ArmCounts) check(fn, arm string) error {
	return checkCounts(fn, arm+".Events", arm+".Trials", a.Events, a.Trials)
}

// RateTestResult is the result of a score test comparing the event rates of
// two independent arms.
type RateTestResult struct {
	// Difference is the canary rate minus the baseline rate (positive: the
	// canary has more events).
	Difference float64
	// Delta is the difference under the null hypothesis.
	Delta float64
	// Alternative is the alternative hypothesis about Difference - Delta.
	Alternative Alternative
	// Z is the score statistic; NaN when undefined.
	Z float64
	// PValue is the p-value for Alternative; NaN when undefined.
	PValue float64
	// Alpha is the significance level the Outcome used.
	Alpha float64
	// Outcome is Fail when the test rejects with the canary worse than
	// Delta, Pass when it rejects with the canary better than Delta,
	// Inconclusive otherwise.
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// FarringtonManning is the Farrington-Manning score test for two
// independent proportions of H0: p_canary - p_baseline = delta against alt
// (Greater: the canary's rate exceeds the baseline's by more than delta;
// Less: by less than delta; TwoSided). The variance is evaluated at the
// maximum-likelihood estimates restricted to the null, found with the
// closed-form root of the Miettinen-Nurminen cubic; unlike Miettinen and
// Nurminen's statistic there is no N/(N-1) factor.
//
// Use: "is the canary's error rate worse than the baseline's by more than
// margin?" is alt = Greater, delta = margin; non-inferiority is alt = Less,
// delta = margin (reject: the canary is worse by less than margin).
//
// Assumptions: independent binomial arms with Trials >= 1 each; an
// asymptotic normal test (with few events prefer FisherExact). Both rates 0
// or both 1 at delta = 0 leave Z undefined: Inconclusive. Errors: invalid
// counts, delta outside (-1, 1), an unknown alternative, alpha outside
// (0, 1).
//
// References: C. P. Farrington and G. Manning, Stat Med 9 (1990)
// 1447-1454; O. Miettinen and M. Nurminen, Stat Med 4 (1985) 213-226.
func FarringtonManning(canary, baseline ArmCounts, delta float64, alt Alternative, alpha float64) (RateTestResult, error) {
	const fn = "farrington-manning"
	if err := checkArms(fn, canary, baseline); err != nil {
		return RateTestResult{}, err
	}
	if !(delta > -1 && delta < 1) {
		return RateTestResult{}, invalidf(fn, "delta", "delta %v outside (-1, 1)", delta)
	}
	if !alt.valid() {
		return RateTestResult{}, invalidf(fn, "alt", "alt %d is not TwoSided, Greater or Less", int(alt))
	}
	if err := checkProbabilityArg(fn, "alpha", alpha); err != nil {
		return RateTestResult{}, err
	}
	res := RateTestResult{Difference: math.NaN(), Delta: delta, Alternative: alt, Z: math.NaN(), PValue: math.NaN(), Alpha: alpha}
	if canary.Trials == 0 || baseline.Trials == 0 {
		res.Reason = fmt.Sprintf("an arm has no trials (canary %d, baseline %d): no rate to compare", canary.Trials, baseline.Trials)
		return res, nil
	}
	res.Difference = canary.Rate() - baseline.Rate()
	num, sd := fmScore(canary, baseline, delta)
	if !(sd > 0) {
		res.Reason = fmt.Sprintf("the score variance is zero at delta = %g (canary %d/%d, baseline %d/%d): the test is undefined", delta, canary.Events, canary.Trials, baseline.Events, baseline.Trials)
		return res, nil
	}
	res.Z = num / sd
	res.PValue = normPValue(res.Z, alt)
	res.Outcome, res.Reason = decideTest(res.PValue, alpha, res.Difference-delta, true)
	res.Reason = fmt.Sprintf("Farrington-Manning, canary - baseline = %.6g vs delta %g: %s", res.Difference, delta, res.Reason)
	return res, nil
}

// FarringtonManningInterval returns the score confidence interval for
// p_canary - p_baseline at the two-sided level, by inverting the
// Farrington-Manning test: the set of delta with |Z(delta)| < z. Bounds are
// found by bisection to 1e-12 and lie in [-1, 1].
//
// Assumptions: as for FarringtonManning; Trials >= 1 in each arm. Errors:
// invalid counts, an arm with no trials, level outside (0, 1).
//
// References: Farrington and Manning (1990); Miettinen and Nurminen (1985)
// (their interval differs by the N/(N-1) variance factor).
func FarringtonManningInterval(canary, baseline ArmCounts, level float64) (Interval, error) {
	const fn = "farrington-manning-interval"
	if err := checkArms(fn, canary, baseline); err != nil {
		return Interval{}, err
	}
	if canary.Trials == 0 {
		return Interval{}, invalidf(fn, "canary.Trials", "canary.Trials 0 < 1 (an interval needs trials in both arms)")
	}
	if baseline.Trials == 0 {
		return Interval{}, invalidf(fn, "baseline.Trials", "baseline.Trials 0 < 1 (an interval needs trials in both arms)")
	}
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return Interval{}, err
	}
	return fmInterval(canary, baseline, level), nil
}

func fmInterval(canary, baseline ArmCounts, level float64) Interval {
	z := twoSidedZ(level)
	est := canary.Rate() - baseline.Rate()
	f := func(d float64) float64 { return fmZ(canary, baseline, d) }
	const edge = 1e-13
	lower, upper := -1.0, 1.0
	if lo := -1 + edge; est > lo && f(lo) > z {
		lower = bisect(f, z, lo, est, 1e-12)
	}
	if hi := 1 - edge; est < hi && f(hi) < -z {
		upper = bisect(f, -z, est, hi, 1e-12)
	}
	return Interval{Lower: lower, Upper: upper, Estimate: est, Level: level, Method: "farrington-manning"}
}

// RateNonInferiority judges whether a canary's event rate is no worse than
// the baseline's by more than margin: Pass when the upper bound of the
// two-sided Farrington-Manning interval at level for p_canary - p_baseline
// is below margin, Fail when its lower bound is above margin, Inconclusive
// otherwise and when an arm has no trials. Z is the score statistic at
// delta = margin and PValue = Phi(Z), the one-sided p-value for "the canary
// is worse by margin or more".
//
// Assumptions: as for FarringtonManning; margin in [0, 1). Errors: invalid
// counts, margin outside [0, 1), level outside (0, 1).
//
// References: Farrington and Manning (1990); FDA, Non-Inferiority Clinical
// Trials to Establish Effectiveness (2016).
func RateNonInferiority(canary, baseline ArmCounts, margin, level float64) (NonInferiorityResult, error) {
	const fn = "rate-non-inferiority"
	if err := checkArms(fn, canary, baseline); err != nil {
		return NonInferiorityResult{}, err
	}
	if !(margin >= 0 && margin < 1) {
		return NonInferiorityResult{}, invalidf(fn, "margin", "margin %v outside [0, 1)", margin)
	}
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return NonInferiorityResult{}, err
	}
	res := NonInferiorityResult{Margin: margin, Z: math.NaN(), PValue: math.NaN()}
	if canary.Trials == 0 || baseline.Trials == 0 {
		res.Reason = fmt.Sprintf("an arm has no trials (canary %d, baseline %d): non-inferiority is never assumed without data", canary.Trials, baseline.Trials)
		return res, nil
	}
	iv := fmInterval(canary, baseline, level)
	res.Interval = iv
	if num, sd := fmScore(canary, baseline, margin); sd > 0 {
		res.Z = num / sd
		res.PValue = normCDF(res.Z)
	}
	const what = "canary - baseline event rate"
	switch {
	case iv.Upper < margin:
		res.Outcome = Pass
		res.Reason = fmt.Sprintf("%s %g%% interval [%.6g, %.6g] lies below margin %g: non-inferior", what, 100*level, iv.Lower, iv.Upper, margin)
	case iv.Lower > margin:
		res.Outcome = Fail
		res.Reason = fmt.Sprintf("%s %g%% interval [%.6g, %.6g] lies above margin %g: worse by more than the margin", what, 100*level, iv.Lower, iv.Upper, margin)
	default:
		res.Reason = fmt.Sprintf("%s %g%% interval [%.6g, %.6g] straddles margin %g: more requests needed", what, 100*level, iv.Lower, iv.Upper, margin)
	}
	return res, nil
}

func checkArms(fn string, canary, baseline ArmCounts) error {
	if err := canary.check(fn, "canary"); err != nil {
		return err
	}
	return baseline.check(fn, "baseline")
}

// fmZ is the Farrington-Manning statistic at delta, with 0 when the data sit
// exactly on the null and +-Inf when the restricted variance vanishes; it is
// non-increasing in delta, which the interval inversion relies on.
func fmZ(canary, baseline ArmCounts, delta float64) float64 {
	num, sd := fmScore(canary, baseline, delta)
	switch {
	case num == 0:
		return 0
	case !(sd > 0):
		return math.Copysign(math.Inf(1), num)
	}
	return num / sd
}

// fmScore returns the numerator p1 - p2 - delta and the standard deviation
// under the restricted MLE of the Farrington-Manning statistic, arm 1 being
// the canary.
func fmScore(canary, baseline ArmCounts, delta float64) (num, sd float64) {
	n1, n2 := float64(canary.Trials), float64(baseline.Trials)
	p1, p2 := canary.Rate(), baseline.Rate()
	r1 := restrictedMLE(p1, p2, n1, n2, delta)
	r2 := r1 - delta
	v := r1*(1-r1)/n1 + r2*(1-r2)/n2
	return p1 - p2 - delta, math.Sqrt(math.Max(0, v))
}

// restrictedMLE returns the maximum-likelihood estimate of p1 under the
// constraint p1 - p2 = delta, the root of the Miettinen-Nurminen cubic in
// Farrington and Manning's trigonometric closed form, clamped to the feasible
// range [max(0, delta), min(1, 1+delta)].
func restrictedMLE(p1, p2, n1, n2, delta float64) float64 {
	theta := n2 / n1
	a := 1 + theta
	b := -(1 + theta + p1 + theta*p2 + delta*(theta+2))
	c := delta*delta + delta*(2*p1+theta+1) + p1 + theta*p2
	d := -p1 * delta * (1 + delta)
	v := b*b*b/(27*a*a*a) - b*c/(6*a*a) + d/(2*a)
	u := math.Sqrt(math.Max(0, b*b/(9*a*a)-c/(3*a)))
	if v < 0 {
		u = -u
	}
	var r float64
	if u == 0 {
		r = -b / (3 * a)
	} else {
		cosArg := math.Max(-1, math.Min(1, v/(u*u*u)))
		w := (math.Pi + math.Acos(cosArg)) / 3
		r = 2*u*math.Cos(w) - b/(3*a)
	}
	return math.Max(math.Max(0, delta), math.Min(r, math.Min(1, 1+delta)))
}
