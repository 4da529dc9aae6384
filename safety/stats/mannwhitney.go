package stats

import (
	"fmt"
	"math"
)

// RankMethod selects how a rank test or interval computes its null
// distribution.
type RankMethod int

const (
	// RankAuto uses the exact distribution when both arms have fewer than
	// 50 observations and there are no ties, and the normal approximation
	// otherwise (R's wilcox.test rule).
	RankAuto RankMethod = iota + 1
	// RankExact forces the exact distribution; it needs untied samples.
	RankExact
	// RankNormal forces the normal approximation with tie correction.
	RankNormal
)

// String returns "auto", "exact" or "normal".
func (m RankMethod) String() string {
	switch m {
	case RankAuto:
		return "auto"
	case RankExact:
		return "exact"
	case RankNormal:
		return "normal"
	default:
		return fmt.Sprintf("rank-method(%d)", int(m))
	}
}

// MannWhitneyOptions configure MannWhitney. Every field without a stated
// default must be set.
type MannWhitneyOptions struct {
	// Harm is the canary shift that is harmful; it fixes the alternative:
	// Increase tests "canary stochastically greater", Decrease "less",
	// Either two-sided.
	Harm Direction
	// Alpha is the significance level in (0, 1).
	Alpha float64
	// Method is RankAuto, RankExact or RankNormal.
	Method RankMethod
	// NoContinuityCorrection drops the 1/2 continuity correction of the
	// normal approximation. Leave it false (corrected) except to reproduce
	// references that omit it.
	NoContinuityCorrection bool
}

// MannWhitneyResult is the result of the Mann-Whitney U test.
type MannWhitneyResult struct {
	// NBaseline and NCanary are the sample sizes used.
	NBaseline, NCanary int
	// U is the canary's statistic: the number of (baseline, canary) pairs
	// with the canary value larger, ties counting 1/2. Its null mean is
	// NBaseline*NCanary/2.
	U float64
	// Z is the (tie- and, unless disabled, continuity-corrected) normal
	// statistic, positive when the canary tends to be larger; reported for
	// the exact method too; NaN when undefined.
	Z float64
	// PValue is the p-value for Alternative; NaN when undefined.
	PValue float64
	// Method is RankExact or RankNormal: how PValue was computed.
	Method RankMethod
	// Alternative is the alternative implied by the harmful direction.
	Alternative Alternative
	// Ties reports whether the pooled sample had ties.
	Ties bool
	// Alpha is the significance level the Outcome used.
	Alpha float64
	// Outcome is Fail when the test rejects at Alpha in the harmful
	// direction and Inconclusive otherwise: a rank test cannot show the
	// absence of a shift (ClassifyMetric can, with an effect-size floor).
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// MannWhitney is the Mann-Whitney U (Wilcoxon rank-sum) test of the canary
// sample against the baseline sample, with mid-ranks for ties. The normal
// approximation uses the tie-corrected variance
// n1 n2/12 ((N+1) - sum(t^3-t)/(N(N-1))) and a continuity correction of 1/2
// toward the null mean; the exact p-value uses the exact null distribution
// of U, available only without ties (RankAuto uses it when both arms have
// fewer than 50 observations and nothing is tied). The two-sided exact
// p-value is min(1, 2 min(P(U <= u), P(U >= u))), as in R and SciPy.
//
// Assumptions: two independent samples; H0: both come from the same
// distribution; the test is sensitive to location shifts and blind to
// changes of spread. One-sided for Harm Increase or Decrease, two-sided for
// Either. An empty arm, a NaN value or a pooled sample whose values are all
// equal is Inconclusive, and so is a NaN or infinite value (a metric sample
// holds finite numbers). Errors: invalid options.
//
// References: H. B. Mann and D. R. Whitney, Ann Math Stat 18 (1947) 50-60;
// M. Hollander, D. A. Wolfe, Nonparametric Statistical Methods (1999) 4.1;
// R wilcox.test; SciPy mannwhitneyu.
func MannWhitney(baseline, canary []float64, opt MannWhitneyOptions) (MannWhitneyResult, error) {
	const fn = "mann-whitney"
	if !opt.Harm.valid() {
		return MannWhitneyResult{}, invalidf(fn, "Harm", "Harm %d is not Increase, Decrease or Either", int(opt.Harm))
	}
	if err := checkProbabilityArg(fn, "Alpha", opt.Alpha); err != nil {
		return MannWhitneyResult{}, err
	}
	if opt.Method < RankAuto || opt.Method > RankNormal {
		return MannWhitneyResult{}, invalidf(fn, "Method", "Method %d is not RankAuto, RankExact or RankNormal", int(opt.Method))
	}
	alt := opt.Harm.alternative()
	res := MannWhitneyResult{NBaseline: len(baseline), NCanary: len(canary), U: math.NaN(), Z: math.NaN(), PValue: math.NaN(), Alternative: alt, Alpha: opt.Alpha}
	if reason := unusableSamples(baseline, canary); reason != "" {
		res.Reason = reason
		return res, nil
	}
	st := rankSum(baseline, canary)
	res.U, res.Ties = st.u, st.tied
	if !(st.sigma > 0) {
		res.Reason = "all values in both arms are equal: no ordering to test"
		return res, nil
	}
	res.Z = st.z(alt, !opt.NoContinuityCorrection)
	useExact := !st.tied && len(baseline) < exactUMax && len(canary) < exactUMax
	switch opt.Method {
	case RankExact:
		if st.tied {
			return MannWhitneyResult{}, invalidf(fn, "Method", "Method RankExact with tied values (the exact distribution assumes no ties; use RankAuto or RankNormal)")
		}
		useExact = true
	case RankNormal:
		useExact = false
	}
	if useExact {
		res.Method = RankExact
		res.PValue = exactUPValue(newUDistribution(len(canary), len(baseline)), int(math.Round(st.u)), alt)
	} else {
		res.Method = RankNormal
		res.PValue = normPValue(res.Z, alt)
	}
	shift := st.u - st.mean
	switch {
	case !(res.PValue < opt.Alpha):
		res.Reason = fmt.Sprintf("p = %.6g is not below alpha = %g: no significant %s shift (a rank test cannot show there is none)", res.PValue, opt.Alpha, opt.Harm)
	case opt.Harm == Either || (opt.Harm == Increase) == (shift > 0):
		res.Outcome = Fail
		res.Reason = fmt.Sprintf("p = %.6g < alpha = %g: the canary is shifted in the harmful direction (%s)", res.PValue, opt.Alpha, opt.Harm)
	default:
		res.Reason = fmt.Sprintf("p = %.6g < alpha = %g but the shift is not harmful", res.PValue, opt.Alpha)
	}
	return res, nil
}

// unusableSamples returns why two samples cannot be compared, or "".
func unusableSamples(baseline, canary []float64) string {
	switch {
	case len(baseline) == 0:
		return "the baseline sample is empty"
	case len(canary) == 0:
		return "the canary sample is empty"
	}
	if i := firstNonFinite(baseline); i >= 0 {
		return fmt.Sprintf("baseline[%d] = %v is not a finite number", i, baseline[i])
	}
	if i := firstNonFinite(canary); i >= 0 {
		return fmt.Sprintf("canary[%d] = %v is not a finite number", i, canary[i])
	}
	return ""
}

// rankStats are the pieces of the rank-sum statistic.
type rankStats struct {
	u, mean, sigma float64
	tied           bool
}

// rankSum computes the canary's U, its null mean and its tie-corrected
// null standard deviation.
func rankSum(baseline, canary []float64) rankStats {
	m, n := len(canary), len(baseline)
	pooled := make([]float64, 0, m+n)
	pooled = append(pooled, canary...)
	pooled = append(pooled, baseline...)
	ranks, tieSum, tied := midranks(pooled)
	var r float64
	for _, v := range ranks[:m] {
		r += v
	}
	fm, fn, total := float64(m), float64(n), float64(m+n)
	u := r - fm*(fm+1)/2
	variance := fm * fn / 12 * ((total + 1) - tieSum/(total*(total-1)))
	return rankStats{u: u, mean: fm * fn / 2, sigma: math.Sqrt(math.Max(0, variance)), tied: tied}
}

// z is the normal statistic with R's continuity correction for alt.
func (s rankStats) z(alt Alternative, correct bool) float64 {
	d := s.u - s.mean
	if correct {
		switch alt {
		case Greater:
			d -= 0.5
		case Less:
			d += 0.5
		default:
			switch {
			case d > 0:
				d -= 0.5
			case d < 0:
				d += 0.5
			}
		}
	}
	return d / s.sigma
}

// exactUPValue is the exact p-value of U = u for alt.
func exactUPValue(d uDistribution, u int, alt Alternative) float64 {
	switch alt {
	case Greater:
		return d.atLeast(u)
	case Less:
		return d.atMost(u)
	}
	var p float64
	if 2*u > d.m*d.n {
		p = d.atLeast(u)
	} else {
		p = d.atMost(u)
	}
	return math.Min(1, 2*p)
}
