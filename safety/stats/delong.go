package stats

import (
	"fmt"
	"math"
)

// AUCResult is the area under an empirical ROC curve with DeLong's variance.
type AUCResult struct {
	// AUC is the Mann-Whitney estimate of P(score of a positive > score of
	// a negative), ties counting 1/2; higher scores are taken to indicate
	// the positive class.
	AUC float64
	// Variance and StdErr are DeLong's estimates; NaN when undefined.
	Variance, StdErr float64
	// Interval is AUC +- z StdErr at the requested level, clipped to
	// [0, 1] (as pROC's ci.auc); bounds NaN when undefined.
	Interval Interval
	// Positives and Negatives are the class sizes.
	Positives, Negatives int
	// Reason is empty when the variance and interval are defined and
	// otherwise says why not.
	Reason string
}

// DeLongAUC returns the AUC of scores for the labelled cases (positive[i]
// true for a diseased case) with DeLong's variance from structural
// components (placement values) and the normal confidence interval at the
// two-sided level.
//
// Assumptions: independent cases; higher scores mean "more likely
// positive" (negate the scores otherwise); at least 2 positives and 2
// negatives (the variance uses n-1 denominators), else Reason is set and
// the variance is NaN. A NaN score makes everything undefined. Errors:
// scores and labels of different lengths, level outside (0, 1).
//
// References: E. R. DeLong, D. M. DeLong, D. L. Clarke-Pearson, Biometrics
// 44 (1988) 837-845; X. Sun, W. Xu, IEEE Signal Process Lett 21 (2014)
// 1389-1393 (the rank computation used); pROC ci.auc(method = "delong").
func DeLongAUC(scores []float64, positive []bool, level float64) (AUCResult, error) {
	const fn = "delong-auc"
	if len(scores) != len(positive) {
		return AUCResult{}, invalidf(fn, "positive", "len(positive) %d != len(scores) %d (one label per score)", len(positive), len(scores))
	}
	if err := checkProbabilityArg(fn, "level", level); err != nil {
		return AUCResult{}, err
	}
	nan := math.NaN()
	res := AUCResult{AUC: nan, Variance: nan, StdErr: nan, Interval: Interval{Lower: nan, Upper: nan, Estimate: nan, Level: level, Method: "delong"}}
	pos, neg := splitByLabel(scores, positive)
	res.Positives, res.Negatives = len(pos), len(neg)
	if reason := rocUnusable(pos, neg, "scores"); reason != "" {
		res.Reason = reason
		return res, nil
	}
	pl := newPlacements(pos, neg)
	res.AUC = pl.auc()
	res.Interval.Estimate = res.AUC
	if len(pos) < 2 || len(neg) < 2 {
		res.Reason = fmt.Sprintf("%d positives and %d negatives: DeLong's variance needs at least 2 of each", len(pos), len(neg))
		return res, nil
	}
	res.Variance = covariance(pl.v10, pl.v10)/float64(len(pos)) + covariance(pl.v01, pl.v01)/float64(len(neg))
	res.StdErr = math.Sqrt(res.Variance)
	z := twoSidedZ(level)
	res.Interval.Lower = math.Max(0, res.AUC-z*res.StdErr)
	res.Interval.Upper = math.Min(1, res.AUC+z*res.StdErr)
	return res, nil
}

// DeLongResult compares the AUCs of two models scored on the same cases.
type DeLongResult struct {
	// Reference and Candidate are each model's AUC with its own DeLong
	// variance and interval at level 1 - Alpha.
	Reference, Candidate AUCResult
	// Difference is Candidate.AUC - Reference.AUC.
	Difference float64
	// Variance is DeLong's variance of Difference,
	// var(ref) + var(cand) - 2 cov(ref, cand); NaN when undefined.
	Variance float64
	// Covariance is DeLong's covariance of the two AUCs.
	Covariance float64
	// Z is Difference / sqrt(Variance): positive when the candidate
	// ranks cases better; NaN when undefined.
	Z float64
	// PValue is two-sided; NaN when undefined.
	PValue float64
	// Interval is the two-sided interval Difference +- z sqrt(Variance) at
	// level 1 - Alpha.
	Interval Interval
	// Alpha is the significance level the Outcome used.
	Alpha float64
	// Outcome is Fail when the test rejects with the candidate's AUC lower,
	// Pass when it rejects with the candidate's AUC higher, Inconclusive
	// otherwise and when the variance is zero or undefined.
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// DeLongTest is DeLong's test for two correlated ROC AUCs: the reference
// (current) and the candidate model scored on the same labelled cases. The
// variance of the difference comes from the covariance of the structural
// components (placement values) of the two models over the positives and
// over the negatives. Two-sided at alpha; the interval for the difference
// has level 1 - alpha.
//
// Assumptions: paired scores on the same independent cases; higher scores
// mean "more likely positive" for both models; at least 2 positives and 2
// negatives; a zero variance of the difference (e.g. identical rankings)
// is Inconclusive, as is a NaN score. Errors: slices of different lengths,
// alpha outside (0, 1).
//
// References: DeLong, DeLong, Clarke-Pearson (1988); Sun and Xu (2014);
// pROC roc.test(method = "delong", paired = TRUE).
func DeLongTest(reference, candidate []float64, positive []bool, alpha float64) (DeLongResult, error) {
	const fn = "delong"
	if len(reference) != len(positive) {
		return DeLongResult{}, invalidf(fn, "reference", "len(reference) %d != len(positive) %d (one score per labelled case)", len(reference), len(positive))
	}
	if len(candidate) != len(positive) {
		return DeLongResult{}, invalidf(fn, "candidate", "len(candidate) %d != len(positive) %d (one score per labelled case)", len(candidate), len(positive))
	}
	if err := checkProbabilityArg(fn, "alpha", alpha); err != nil {
		return DeLongResult{}, err
	}
	level := 1 - alpha
	nan := math.NaN()
	res := DeLongResult{Difference: nan, Variance: nan, Covariance: nan, Z: nan, PValue: nan, Alpha: alpha,
		Interval: Interval{Lower: nan, Upper: nan, Estimate: nan, Level: level, Method: "delong"}}
	var err error
	if res.Reference, err = DeLongAUC(reference, positive, level); err != nil {
		return DeLongResult{}, fmt.Errorf("%s: reference: %w", fn, err)
	}
	if res.Candidate, err = DeLongAUC(candidate, positive, level); err != nil {
		return DeLongResult{}, fmt.Errorf("%s: candidate: %w", fn, err)
	}
	if res.Reference.Reason != "" {
		res.Reason = "reference: " + res.Reference.Reason
		return res, nil
	}
	if res.Candidate.Reason != "" {
		res.Reason = "candidate: " + res.Candidate.Reason
		return res, nil
	}
	rp, rn := splitByLabel(reference, positive)
	cp, cn := splitByLabel(candidate, positive)
	r, c := newPlacements(rp, rn), newPlacements(cp, cn)
	m, n := float64(len(rp)), float64(len(rn))
	res.Difference = c.auc() - r.auc()
	res.Interval.Estimate = res.Difference
	res.Covariance = covariance(r.v10, c.v10)/m + covariance(r.v01, c.v01)/n
	res.Variance = res.Reference.Variance + res.Candidate.Variance - 2*res.Covariance
	if !(res.Variance > 0) {
		res.Reason = fmt.Sprintf("the variance of the AUC difference is %g: the two models rank the cases alike, nothing to test", res.Variance)
		res.Variance = math.Max(0, res.Variance)
		return res, nil
	}
	se := math.Sqrt(res.Variance)
	res.Z = res.Difference / se
	res.PValue = normPValue(res.Z, TwoSided)
	z := twoSidedZ(level)
	res.Interval.Lower = res.Difference - z*se
	res.Interval.Upper = res.Difference + z*se
	res.Outcome, res.Reason = decideTest(res.PValue, alpha, res.Difference, false)
	res.Reason = fmt.Sprintf("DeLong, AUC candidate %.6g vs reference %.6g: %s", res.Candidate.AUC, res.Reference.AUC, res.Reason)
	return res, nil
}

// placements are DeLong's structural components: v10[i] is the fraction of
// negatives scored below positive i (ties 1/2), v01[j] the fraction of
// positives scored above negative j.
type placements struct {
	v10, v01 []float64
}

// newPlacements computes the components from mid-ranks in O(N log N):
// v10[i] = (rank of positive i among all - its rank among positives)/n and
// v01[j] = 1 - (rank of negative j among all - its rank among negatives)/m.
func newPlacements(pos, neg []float64) placements {
	m, n := len(pos), len(neg)
	all := make([]float64, 0, m+n)
	all = append(all, pos...)
	all = append(all, neg...)
	rAll, _, _ := midranks(all)
	rPos, _, _ := midranks(pos)
	rNeg, _, _ := midranks(neg)
	p := placements{v10: make([]float64, m), v01: make([]float64, n)}
	for i := range pos {
		p.v10[i] = (rAll[i] - rPos[i]) / float64(n)
	}
	for j := range neg {
		p.v01[j] = 1 - (rAll[m+j]-rNeg[j])/float64(m)
	}
	return p
}

func (p placements) auc() float64 {
	var s float64
	for _, v := range p.v10 {
		s += v
	}
	return s / float64(len(p.v10))
}

// covariance is the sample covariance of x and y (n-1 denominator).
func covariance(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var s float64
	for i := range x {
		s += (x[i] - mx) * (y[i] - my)
	}
	return s / float64(len(x)-1)
}

func splitByLabel(scores []float64, positive []bool) (pos, neg []float64) {
	for i, s := range scores {
		if positive[i] {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	return pos, neg
}

// rocUnusable returns why an ROC curve cannot be computed, or "".
func rocUnusable(pos, neg []float64, what string) string {
	switch {
	case len(pos) == 0:
		return "no positive cases"
	case len(neg) == 0:
		return "no negative cases"
	}
	if firstNaN(pos) >= 0 || firstNaN(neg) >= 0 {
		return what + " contain NaN"
	}
	return ""
}
