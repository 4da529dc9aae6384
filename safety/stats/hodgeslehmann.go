package stats

import (
	"fmt"
	"math"
)

// ShiftResult is a Hodges-Lehmann location-shift estimate with its
// distribution-free confidence interval.
type ShiftResult struct {
	// Estimate is the median of all pairwise differences canary - baseline.
	Estimate float64
	// Interval is the two-sided confidence interval for the shift, Method
	// "hodges-lehmann-exact" or "hodges-lehmann-normal"; bounds are NaN
	// when Reason is set.
	Interval Interval
	// Reason is empty when Interval is defined and otherwise says why it
	// is not (too few observations for the level, an empty arm, a NaN or
	// infinite value).
	Reason string
}

// HodgesLehmann returns the Hodges-Lehmann estimate of the shift of the
// canary relative to the baseline (the median of the n1*n2 differences
// canary_j - baseline_i) and its distribution-free confidence interval at
// the two-sided level (Moses' construction, as in Bauer): with the ordered
// differences D(1) <= ... <= D(n1 n2) and k the smallest q with
// P(U <= q) >= (1-level)/2, the interval is [D(k), D(n1 n2 + 1 - k)]. The
// quantile of U is exact when both arms have fewer than 50 observations and
// there are no ties (matching R's wilcox.test(conf.int = TRUE)), and
// otherwise from the normal approximation with tie-corrected variance and
// continuity correction, k = ceil(n1 n2/2 - 1/2 - z sigma).
//
// Assumptions: two independent samples from distributions that differ by a
// location shift; coverage is at least level under that model (exact
// method). When k < 1 the sample is too small for the level and the interval
// is undefined (Reason set). An empty arm or a NaN or infinite value gives
// an undefined estimate and interval. Errors: level outside (0, 1).
//
// References: J. L. Hodges and E. L. Lehmann, Ann Math Stat 34 (1963)
// 598-611; L. E. Moses, in Walker and Lev, Statistical Inference (1953);
// D. F. Bauer, JASA 67 (1972) 687-690; Hollander and Wolfe (1999) 4.3.
func HodgesLehmann(baseline, canary []float64, level float64) (ShiftResult, error) {
	const fn = "hodges-lehmann"
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return ShiftResult{}, err
	}
	nan := math.NaN()
	res := ShiftResult{Estimate: nan, Interval: Interval{Lower: nan, Upper: nan, Estimate: nan, Level: level, Method: "hodges-lehmann"}}
	if reason := unusableSamples(baseline, canary); reason != "" {
		res.Reason = reason
		return res, nil
	}
	diffs := pairwiseDifferences(baseline, canary)
	res.Estimate = medianInPlace(diffs)
	res.Interval.Estimate = res.Estimate
	st := rankSum(baseline, canary)
	k, method := shiftCIRank(st, len(baseline), len(canary), level)
	res.Interval.Method = method
	if k < 1 {
		res.Reason = fmt.Sprintf("arms of %d and %d observations are too small for a %g%% interval", len(baseline), len(canary), 100*level)
		return res, nil
	}
	res.Interval.Lower = selectKth(diffs, k-1)
	res.Interval.Upper = selectKth(diffs, len(diffs)-k)
	return res, nil
}

// shiftCIRank returns the 1-based rank k of the lower bound among the sorted
// pairwise differences, and the method name; k < 1 when the level cannot be
// reached. The order statistics are found by selection, not sorting.
func shiftCIRank(st rankStats, nBaseline, nCanary int, level float64) (int, string) {
	tail := (1 - level) / 2
	if !st.tied && nBaseline < exactUMax && nCanary < exactUMax {
		return newUDistribution(nCanary, nBaseline).lowerQuantile(tail), "hodges-lehmann-exact"
	}
	if !(st.sigma > 0) {
		return 0, "hodges-lehmann-normal"
	}
	z := normQuantile(1 - tail)
	return int(math.Ceil(st.mean - 0.5 - z*st.sigma)), "hodges-lehmann-normal"
}

// pairwiseDifferences returns the differences c - b over all pairs, in no
// particular order.
func pairwiseDifferences(baseline, canary []float64) []float64 {
	d := make([]float64, 0, len(baseline)*len(canary))
	for _, c := range canary {
		for _, b := range baseline {
			d = append(d, c-b)
		}
	}
	return d
}

// medianInPlace returns the median of a non-empty slice, reordering it.
func medianInPlace(a []float64) float64 {
	n := len(a)
	hi := selectKth(a, n/2)
	if n%2 == 1 {
		return hi
	}
	// a[:n/2] now holds the n/2 smallest values; the lower middle is their
	// maximum.
	lo := a[0]
	for _, v := range a[1 : n/2] {
		lo = max(lo, v)
	}
	return lo + (hi-lo)/2
}
