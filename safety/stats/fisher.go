package stats

import (
	"fmt"
	"math"
)

// fisherRelErr is R's relative tolerance for "as or less probable than the
// observed table" in the two-sided test (fisher.test: relErr <- 1 + 10^-7).
const fisherRelErr = 1 + 1e-7

// FisherResult is the result of Fisher's exact test on the 2x2 table
// (canary events, canary non-events; baseline events, baseline
// non-events).
type FisherResult struct {
	// CanaryRate and BaselineRate are Events/Trials of each arm (NaN for an
	// arm without trials).
	CanaryRate, BaselineRate float64
	// Alternative is the alternative about the canary's event odds relative
	// to the baseline's (Greater: the canary has more events).
	Alternative Alternative
	// PValue is the exact conditional p-value; NaN when the table has an
	// empty margin.
	PValue float64
	// Alpha is the significance level the Outcome used.
	Alpha float64
	// Outcome is Fail when the test rejects with the canary's rate above the
	// baseline's, Pass when it rejects with the canary's rate below,
	// Inconclusive otherwise and when a margin is empty.
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// FisherExact is Fisher's exact test of the 2x2 table of events and
// non-events in two independent arms, conditional on all margins (the
// canary's event count is hypergeometric under H0: equal rates). Greater and
// Less are the one-sided tests (P(X >= observed), P(X <= observed)); the
// two-sided p-value is R's: the total probability of the tables no more
// probable than the observed one, with relative tolerance 1e-7. The
// hypergeometric probabilities use math.Lgamma, scaled by their maximum
// before summing.
//
// Assumptions: independent arms; exact at any size (cost grows with the
// smaller margin). A table with an empty margin (an arm without trials, no
// events at all, or only events) is Inconclusive. Errors: invalid counts, an
// unknown alternative, alpha outside (0, 1).
//
// References: R. A. Fisher, JRSS 85 (1922) 87-94; R fisher.test (stats
// package, R 4.2).
func FisherExact(canary, baseline ArmCounts, alt Alternative, alpha float64) (FisherResult, error) {
	const fn = "fisher"
	if err := checkArms(fn, canary, baseline); err != nil {
		return FisherResult{}, err
	}
	if !alt.valid() {
		return FisherResult{}, invalidf(fn, "alt", "alt %d is not TwoSided, Greater or Less", int(alt))
	}
	if err := checkProbabilityArg(fn, "alpha", alpha); err != nil {
		return FisherResult{}, err
	}
	res := FisherResult{CanaryRate: canary.Rate(), BaselineRate: baseline.Rate(), Alternative: alt, PValue: math.NaN(), Alpha: alpha}
	events := canary.Events + baseline.Events
	total := canary.Trials + baseline.Trials
	switch {
	case canary.Trials == 0 || baseline.Trials == 0:
		res.Reason = fmt.Sprintf("an arm has no trials (canary %d, baseline %d): nothing to compare", canary.Trials, baseline.Trials)
		return res, nil
	case events == 0:
		res.Reason = "no events in either arm: the exact test conditions on the event total and has nothing to compare"
		return res, nil
	case events == total:
		res.Reason = "every trial in both arms is an event: the exact test has nothing to compare"
		return res, nil
	}
	res.PValue = fisherPValue(canary.Events, canary.Trials, baseline.Trials, events, alt)
	res.Outcome, res.Reason = decideTest(res.PValue, alpha, res.CanaryRate-res.BaselineRate, true)
	res.Reason = fmt.Sprintf("Fisher exact (%s), canary %d/%d vs baseline %d/%d: %s", alt, canary.Events, canary.Trials, baseline.Events, baseline.Trials, res.Reason)
	return res, nil
}

// fisherPValue returns the p-value for x canary events given canary trials
// m, baseline trials n and k events in all.
func fisherPValue(x, m, n, k int, alt Alternative) float64 {
	lo := max(0, k-n)
	hi := min(m, k)
	logd := make([]float64, hi-lo+1)
	maxLog := math.Inf(-1)
	for i := range logd {
		v := lo + i
		logd[i] = logChoose(m, v) + logChoose(n, k-v)
		maxLog = math.Max(maxLog, logd[i])
	}
	var sum float64
	d := logd // reuse the slice for the scaled densities
	for i, l := range logd {
		d[i] = math.Exp(l - maxLog)
		sum += d[i]
	}
	obs := x - lo
	var p float64
	switch alt {
	case Greater:
		for i := obs; i < len(d); i++ {
			p += d[i]
		}
	case Less:
		for i := 0; i <= obs; i++ {
			p += d[i]
		}
	default:
		limit := d[obs] * fisherRelErr
		for _, v := range d {
			if v <= limit {
				p += v
			}
		}
	}
	return math.Min(1, p/sum)
}
