package stats

import (
	"fmt"
	"math"
)

// PairedCounts summarise a paired comparison of the current model and a
// candidate on the same N labelled cases (a golden set or mirrored traffic).
type PairedCounts struct {
	// B counts cases the current model got right and the candidate wrong.
	B int
	// C counts cases the current model got wrong and the candidate right.
	C int
	// N counts all cases: both right, both wrong, B and C.
	N int
}

// Difference is the candidate's proportion correct minus the current
// model's, (C - B)/N; NaN when N = 0.
func (p PairedCounts) Difference() float64 {
	if p.N == 0 {
		return math.NaN()
	}
	return float64(p.C-p.B) / float64(p.N)
}

func (p PairedCounts) check(fn string) error {
	switch {
	case p.B < 0:
		return invalidf(fn, "B", "B %d < 0 (counts cannot be negative)", p.B)
	case p.C < 0:
		return invalidf(fn, "C", "C %d < 0 (counts cannot be negative)", p.C)
	case p.N < p.B+p.C:
		return invalidf(fn, "N", "N %d < B + C = %d (N counts all paired cases, discordant or not)", p.N, p.B+p.C)
	}
	return nil
}

// TangoZ returns Tango's score statistic for H0: Delta = d0, where Delta is
// the candidate's proportion correct minus the current model's (paired).
// Z is positive when the data favour the candidate over d0; under H0 it is
// approximately standard normal.
//
// With the counts mirrored into Tango's parametrisation (his n10 = C, n01 =
// B, his difference = -(our d0) after mirroring), Z = (C - B - N d0) /
// sqrt(N (2q + d0 (1 - d0))) where q = (sqrt(B'^2 - 4AC') - B')/(2A) is the
// restricted maximum-likelihood estimate of P(current right, candidate
// wrong) under H0, with A = 2N, B' = -C - B + (2N - C + B) d0 and
// C' = -B d0 (1 - d0).
//
// Assumptions: paired binary outcomes, N >= 1, d0 in (-1, 1). Errors:
// negative counts, N < B + C, N = 0, d0 outside (-1, 1) or NaN.
//
// Reference: T. Tango, Stat Med 17 (1998) 891-908 (and correction, Stat Med
// 18 (1999) 3511-3513); M. W. Fagerland, S. Lydersen, P. Laake, Stat Med
// 33 (2014) 2850-2875.
func TangoZ(p PairedCounts, d0 float64) (float64, error) {
	const fn = "tango"
	if err := p.check(fn); err != nil {
		return 0, err
	}
	if p.N == 0 {
		return 0, invalidf(fn, "N", "N 0 < 1 (the statistic needs at least one paired case)")
	}
	if !(d0 > -1 && d0 < 1) {
		return 0, invalidf(fn, "d0", "d0 %v outside (-1, 1)", d0)
	}
	return tangoZ(p, d0), nil
}

func tangoZ(p PairedCounts, d0 float64) float64 {
	n := float64(p.N)
	// Tango's n10 is the cell whose probability exceeds the other by the
	// difference under test: for candidate-minus-current that is C.
	n10, n01 := float64(p.C), float64(p.B)
	num := n10 - n01 - n*d0
	if num == 0 {
		return 0
	}
	a := 2 * n
	b := -n10 - n01 + (2*n-n10+n01)*d0
	c := -n01 * d0 * (1 - d0)
	disc := math.Max(0, b*b-4*a*c)
	q := (math.Sqrt(disc) - b) / (2 * a)
	v := n * (2*q + d0*(1-d0))
	if !(v > 0) {
		return math.Copysign(math.Inf(1), num)
	}
	return num / math.Sqrt(v)
}

// TangoInterval returns Tango's score confidence interval for the paired
// difference Delta = candidate proportion correct minus current, (C - B)/N,
// at the two-sided level in (0, 1): the set of d0 with |TangoZ(d0)| < z.
// The bounds are found by bisection to 1e-12 (the statistic is monotone in
// d0) and lie in [-1, 1].
//
// Assumptions: paired binary outcomes, N >= 1 (B + C = 0 is allowed: the
// interval then shrinks with N around 0). Two-sided. Errors: invalid counts,
// N = 0, level outside (0, 1).
//
// References: Tango (1998); Fagerland, Lydersen, Laake (2014), who
// recommend it for paired differences.
func TangoInterval(p PairedCounts, level float64) (Interval, error) {
	const fn = "tango-interval"
	if err := p.check(fn); err != nil {
		return Interval{}, err
	}
	if p.N == 0 {
		return Interval{}, invalidf(fn, "N", "N 0 < 1 (an interval needs at least one paired case)")
	}
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return Interval{}, err
	}
	z := twoSidedZ(level)
	est := p.Difference()
	f := func(d float64) float64 { return tangoZ(p, d) }
	const edge = 1e-13
	lower, upper := -1.0, 1.0
	if lo := -1 + edge; est > lo && f(lo) > z {
		lower = bisect(f, z, lo, est, 1e-12)
	}
	if hi := 1 - edge; est < hi && f(hi) < -z {
		upper = bisect(f, -z, est, hi, 1e-12)
	}
	return Interval{Lower: lower, Upper: upper, Estimate: est, Level: level, Method: "tango"}, nil
}

// NonInferiorityResult is a confidence-bound judgement of a difference
// against a non-inferiority margin.
type NonInferiorityResult struct {
	// Interval is the two-sided interval for the difference.
	Interval Interval
	// Margin is the largest harm tolerated, >= 0.
	Margin float64
	// Z is the score statistic at the margin (for TangoNonInferiority,
	// TangoZ at d0 = -Margin; for RateNonInferiority, FarringtonManning's Z
	// at delta = +Margin); NaN when undefined.
	Z float64
	// PValue is the one-sided p-value for "harm exceeds the margin"
	// against "harm is within the margin"; NaN when undefined.
	PValue float64
	// Outcome is Pass when the whole interval lies on the safe side of the
	// margin, Fail when it lies wholly beyond it, Inconclusive otherwise.
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// TangoNonInferiority judges whether a candidate is non-inferior to the
// current model on a paired binary outcome (sensitivity on diseased cases,
// specificity on non-diseased cases) with margin: Pass when the lower bound
// of Tango's two-sided interval at level for candidate-minus-current is
// greater than -margin, Fail when its upper bound is below -margin,
// Inconclusive otherwise and when N = 0.
//
// A two-sided interval at level is a one-sided test at (1-level)/2: level
// 0.95 is the customary one-sided 2.5 % non-inferiority test. PValue is
// 1 - Phi(TangoZ(-margin)).
//
// Assumptions: as for TangoInterval; margin in [0, 1). Errors: invalid
// counts, margin outside [0, 1), level outside (0, 1).
//
// References: Tango (1998); FDA, Non-Inferiority Clinical Trials to
// Establish Effectiveness (2016).
func TangoNonInferiority(p PairedCounts, margin, level float64) (NonInferiorityResult, error) {
	const fn = "tango-non-inferiority"
	if err := p.check(fn); err != nil {
		return NonInferiorityResult{}, err
	}
	if !(margin >= 0 && margin < 1) {
		return NonInferiorityResult{}, invalidf(fn, "margin", "margin %v outside [0, 1)", margin)
	}
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return NonInferiorityResult{}, err
	}
	res := NonInferiorityResult{Margin: margin, Z: math.NaN(), PValue: math.NaN()}
	if p.N == 0 {
		res.Reason = "no paired cases (N = 0): non-inferiority is never assumed without data"
		return res, nil
	}
	iv, err := TangoInterval(p, level)
	if err != nil {
		return NonInferiorityResult{}, fmt.Errorf("%s: %w", fn, err)
	}
	res.Interval = iv
	res.Z = tangoZ(p, -margin)
	res.PValue = normSF(res.Z)
	res.Outcome, res.Reason = judgeLowerMargin(iv, -margin, "candidate - current")
	return res, nil
}

// judgeLowerMargin decides a difference where smaller is worse against the
// threshold bound (= -margin).
func judgeLowerMargin(iv Interval, bound float64, what string) (Outcome, string) {
	switch {
	case iv.Lower > bound:
		return Pass, fmt.Sprintf("%s %g%% interval [%.6g, %.6g] lies above -margin = %g: non-inferior", what, 100*iv.Level, iv.Lower, iv.Upper, bound)
	case iv.Upper < bound:
		return Fail, fmt.Sprintf("%s %g%% interval [%.6g, %.6g] lies below -margin = %g: inferior", what, 100*iv.Level, iv.Lower, iv.Upper, bound)
	default:
		return Inconclusive, fmt.Sprintf("%s %g%% interval [%.6g, %.6g] straddles -margin = %g: more cases needed", what, 100*iv.Level, iv.Lower, iv.Upper, bound)
	}
}
