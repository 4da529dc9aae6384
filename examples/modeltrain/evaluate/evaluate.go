// Package evaluate scores a demo model on labelled cases: the confusion matrix with malignant
// as the positive class, sensitivity and specificity with Wilson score intervals.
package evaluate

import (
	"fmt"
	"math"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

// Confusion counts predictions against biopsy-confirmed labels; malignant is positive.
type Confusion struct {
	TP int // malignant called malignant
	FN int // malignant called benign
	TN int // benign called benign
	FP int // benign called malignant
}

// Add counts one case.
func (c *Confusion) Add(label, predicted wdbc.Class) error {
	switch {
	case label == wdbc.Malignant && predicted == wdbc.Malignant:
		c.TP++
	case label == wdbc.Malignant && predicted == wdbc.Benign:
		c.FN++
	case label == wdbc.Benign && predicted == wdbc.Benign:
		c.TN++
	case label == wdbc.Benign && predicted == wdbc.Malignant:
		c.FP++
	default:
		return fmt.Errorf("cannot count label %v predicted %v: both must be malignant or benign", label, predicted)
	}
	return nil
}

// Proportion is successes out of trials with its Wilson score interval.
type Proportion struct {
	Successes, Trials int
	// Estimate is Successes/Trials; NaN when Trials is 0 (no data is not a result).
	Estimate float64
	// Lower and Upper bound the two-sided Wilson score interval at the level used.
	Lower, Upper float64
}

// String renders "0.953 (81/85, 95% CI 0.885-0.982)".
func (p Proportion) String() string {
	return fmt.Sprintf("%.3f (%d/%d, 95%% CI %.3f-%.3f)", p.Estimate, p.Successes, p.Trials, p.Lower, p.Upper)
}

// z95 is the standard normal 0.975 quantile.
const z95 = 1.959963984540054

// Sensitivity is TP/(TP+FN) with its 95 % Wilson interval.
func (c Confusion) Sensitivity() Proportion { return Wilson(c.TP, c.TP+c.FN, z95) }

// Specificity is TN/(TN+FP) with its 95 % Wilson interval.
func (c Confusion) Specificity() Proportion { return Wilson(c.TN, c.TN+c.FP, z95) }

// Wilson returns successes/trials with the Wilson score interval for normal quantile z (for
// example 1.96 for 95 %). With zero trials every field but the counts is NaN.
func Wilson(successes, trials int, z float64) Proportion {
	p := Proportion{Successes: successes, Trials: trials}
	if trials <= 0 {
		p.Estimate, p.Lower, p.Upper = math.NaN(), math.NaN(), math.NaN()
		return p
	}
	n := float64(trials)
	est := float64(successes) / n
	z2 := z * z
	denom := 1 + z2/n
	centre := (est + z2/(2*n)) / denom
	half := z * math.Sqrt(est*(1-est)/n+z2/(4*n*n)) / denom
	p.Estimate = est
	p.Lower = math.Max(0, centre-half)
	p.Upper = math.Min(1, centre+half)
	return p
}
