package stats

import (
	"fmt"
	"math"
	"slices"
)

// Classification is the verdict on one canary metric.
type Classification int

const (
	// ClassInconclusive: the data do not decide (too few observations, all
	// values equal, a NaN or infinite value, or an interval straddling the
	// effect-size floor).
	ClassInconclusive Classification = iota
	// ClassPass: the shift's interval lies within the effect-size floor on
	// the harmful side.
	ClassPass
	// ClassHigh: the canary is higher than the baseline by more than the
	// floor, and higher is harmful.
	ClassHigh
	// ClassLow: the canary is lower than the baseline by more than the
	// floor, and lower is harmful.
	ClassLow
)

// String returns "inconclusive", "pass", "high" or "low".
func (c Classification) String() string {
	switch c {
	case ClassInconclusive:
		return "inconclusive"
	case ClassPass:
		return "pass"
	case ClassHigh:
		return "high"
	case ClassLow:
		return "low"
	default:
		return fmt.Sprintf("classification(%d)", int(c))
	}
}

// Outcome maps High and Low to Fail, Pass to Pass and Inconclusive to
// Inconclusive.
func (c Classification) Outcome() Outcome {
	switch c {
	case ClassPass:
		return Pass
	case ClassHigh, ClassLow:
		return Fail
	default:
		return Inconclusive
	}
}

// MetricSpec configures the judgement of one canary metric. Every field
// except Name and the two booleans must be set; nothing is defaulted.
type MetricSpec struct {
	// Name identifies the metric in results.
	Name string
	// Direction is the harmful change: Increase (higher is worse),
	// Decrease or Either.
	Direction Direction
	// EffectSize is the effect-size floor relative to the baseline median,
	// >= 0: 0.05 means shifts smaller than 5 % of |median(baseline)| are
	// never a failure. A floor of 0 can never Pass (no finite sample shows
	// a shift of exactly zero) unless the whole interval lies on the
	// harmless side.
	EffectSize float64
	// Critical marks a metric whose failure fails the whole analysis. The
	// classification itself does not depend on it; it is carried into the
	// result for the caller that aggregates metrics.
	Critical bool
	// Level is the two-sided confidence level of the Hodges-Lehmann
	// interval, in (0, 1); Kayenta uses 0.98.
	Level float64
	// RemoveOutliers drops, per arm, values outside
	// [Q1 - 3 IQR, Q3 + 3 IQR] (quartiles by R's type 7) before judging.
	RemoveOutliers bool
	// MinSamples is the minimum number of observations per arm (after
	// outlier removal) below which the metric is Inconclusive; >= 1.
	MinSamples int
}

// MetricResult is the judgement of one canary metric with its evidence.
type MetricResult struct {
	// Name and Critical are copied from the spec.
	Name     string
	Critical bool
	// Classification is the verdict; Outcome is Classification.Outcome().
	Classification Classification
	Outcome        Outcome
	// Shift is the Hodges-Lehmann shift canary - baseline with its
	// interval at the spec's level.
	Shift ShiftResult
	// Floor is the absolute effect-size floor, EffectSize *
	// |median(baseline)|, in the metric's units.
	Floor float64
	// BaselineMedian and CanaryMedian are the medians of the samples
	// judged (after outlier removal).
	BaselineMedian, CanaryMedian float64
	// NBaseline and NCanary are the sample sizes judged;
	// BaselineOutliers and CanaryOutliers the values removed.
	NBaseline, NCanary               int
	BaselineOutliers, CanaryOutliers int
	// MannWhitneyP is the two-sided Mann-Whitney p-value, reported as
	// evidence only: the classification is decided on the interval.
	MannWhitneyP float64
	// Reason explains the classification.
	Reason string
}

// ClassifyMetric judges one canary metric against its baseline the way
// Kayenta's Mann-Whitney judge does, but decided on the Hodges-Lehmann
// interval and an effect-size floor rather than a p-value. With F =
// EffectSize * |median(baseline)| and [L, U] the interval for the shift
// canary - baseline at spec.Level:
//
//   - Increase: High when L > F; Pass when U <= F; otherwise Inconclusive.
//   - Decrease: Low when U < -F; Pass when L >= -F; otherwise Inconclusive.
//   - Either: High when L > F; Low when U < -F; Pass when -F <= L and
//     U <= F; otherwise Inconclusive.
//
// So a shift under the floor is never a failure, and a Pass needs the whole
// interval within the floor on the harmful side: an interval that is merely
// wide (too little data, a noisy canary) is Inconclusive, never a Pass.
//
// Assumptions: independent samples (a fresh baseline beside the canary,
// same size and time window); a location-shift model. Samples below
// spec.MinSamples, with a NaN or infinite value, with all values equal in
// both arms, or too small for an interval at spec.Level are Inconclusive,
// and so is an interval of zero width: it arises only from heavily tied
// data such as zero-inflated event counts (Kayenta passes those,
// kayenta#426), where a median shift says nothing; use a rate test
// (FarringtonManning, FisherExact) for counts. Errors: an invalid spec.
//
// References: Spinnaker Kayenta, MannWhitneyClassifier; Hodges and Lehmann
// (1963); Hollander and Wolfe (1999).
func ClassifyMetric(baseline, canary []float64, spec MetricSpec) (MetricResult, error) {
	const fn = "classify-metric"
	if err := spec.validate(fn); err != nil {
		return MetricResult{}, err
	}
	nan := math.NaN()
	res := MetricResult{Name: spec.Name, Critical: spec.Critical, Floor: nan, BaselineMedian: nan, CanaryMedian: nan, MannWhitneyP: nan,
		Shift: ShiftResult{Estimate: nan, Interval: Interval{Lower: nan, Upper: nan, Estimate: nan, Level: spec.Level}}}
	if reason := unusableSamples(baseline, canary); reason != "" {
		return res.undecided(reason), nil
	}
	if spec.RemoveOutliers {
		var nb, nc int
		baseline, nb = withoutOutliers(baseline)
		canary, nc = withoutOutliers(canary)
		res.BaselineOutliers, res.CanaryOutliers = nb, nc
	}
	res.NBaseline, res.NCanary = len(baseline), len(canary)
	if len(baseline) < spec.MinSamples || len(canary) < spec.MinSamples {
		return res.undecided(fmt.Sprintf("baseline %d and canary %d observations, below the minimum %d per arm", len(baseline), len(canary), spec.MinSamples)), nil
	}
	res.BaselineMedian, res.CanaryMedian = median(baseline), median(canary)
	res.Floor = spec.EffectSize * math.Abs(res.BaselineMedian)
	st := rankSum(baseline, canary)
	if !(st.sigma > 0) {
		return res.undecided("all values in both arms are equal: no shift can be estimated"), nil
	}
	res.MannWhitneyP = normPValue(st.z(TwoSided, true), TwoSided)
	if !st.tied && len(baseline) < exactUMax && len(canary) < exactUMax {
		res.MannWhitneyP = exactUPValue(newUDistribution(len(canary), len(baseline)), int(math.Round(st.u)), TwoSided)
	}
	shift, err := HodgesLehmann(baseline, canary, spec.Level)
	if err != nil {
		return MetricResult{}, fmt.Errorf("%s: %w", fn, err)
	}
	res.Shift = shift
	if shift.Reason != "" {
		return res.undecided(shift.Reason), nil
	}
	if shift.Interval.Lower == shift.Interval.Upper {
		return res.undecided(fmt.Sprintf("the shift interval collapses to the single value %.6g because most pairwise differences are tied (e.g. zero-inflated counts): judge such a metric with a rate test (FarringtonManning, FisherExact)", shift.Interval.Lower)), nil
	}
	res.Classification, res.Reason = classifyShift(shift.Interval, res.Floor, spec.Direction)
	res.Outcome = res.Classification.Outcome()
	return res, nil
}

func (r MetricResult) undecided(reason string) MetricResult {
	r.Classification, r.Outcome, r.Reason = ClassInconclusive, Inconclusive, reason
	return r
}

func classifyShift(iv Interval, floor float64, dir Direction) (Classification, string) {
	ci := fmt.Sprintf("shift %g%% interval [%.6g, %.6g]", 100*iv.Level, iv.Lower, iv.Upper)
	higherHarmful := dir == Increase || dir == Either
	lowerHarmful := dir == Decrease || dir == Either
	switch {
	case higherHarmful && iv.Lower > floor:
		return ClassHigh, fmt.Sprintf("%s lies above the floor +%.6g: the canary is higher", ci, floor)
	case lowerHarmful && iv.Upper < -floor:
		return ClassLow, fmt.Sprintf("%s lies below the floor -%.6g: the canary is lower", ci, floor)
	case (!higherHarmful || iv.Upper <= floor) && (!lowerHarmful || iv.Lower >= -floor):
		return ClassPass, fmt.Sprintf("%s is within the effect-size floor %.6g on the harmful side (%s)", ci, floor, dir)
	default:
		return ClassInconclusive, fmt.Sprintf("%s straddles the effect-size floor %.6g (%s): more data needed", ci, floor, dir)
	}
}

func (s MetricSpec) validate(fn string) error {
	switch {
	case !s.Direction.valid():
		return invalidf(fn, "Direction", "Direction %d is not Increase, Decrease or Either (metric %q)", int(s.Direction), s.Name)
	case !(s.EffectSize >= 0) || math.IsInf(s.EffectSize, 1):
		return invalidf(fn, "EffectSize", "EffectSize %v is not a finite number >= 0 (metric %q)", s.EffectSize, s.Name)
	case !(s.Level > 0 && s.Level < 1):
		return invalidf(fn, "Level", "Level %v outside (0, 1) (metric %q; Kayenta uses 0.98)", s.Level, s.Name)
	case s.MinSamples < 1:
		return invalidf(fn, "MinSamples", "MinSamples %d < 1 (metric %q: set the minimum observations per arm)", s.MinSamples, s.Name)
	}
	return nil
}

// withoutOutliers returns the values of xs within [Q1 - 3 IQR, Q3 + 3 IQR]
// and how many were dropped.
func withoutOutliers(xs []float64) ([]float64, int) {
	s := slices.Clone(xs)
	slices.Sort(s)
	q1, q3 := sortedQuantile7(s, 0.25), sortedQuantile7(s, 0.75)
	lo, hi := q1-3*(q3-q1), q3+3*(q3-q1)
	kept := make([]float64, 0, len(xs))
	for _, x := range xs {
		if x >= lo && x <= hi {
			kept = append(kept, x)
		}
	}
	return kept, len(xs) - len(kept)
}
