package evaluate

import (
	"math"
	"testing"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

// TestWilsonMatchesPublishedValues uses reference intervals from R's
// prop.test(x, n, correct=FALSE) (R 4.x) and Newcombe (Stat Med 1998).
func TestWilsonMatchesPublishedValues(t *testing.T) {
	tests := []struct {
		name              string
		successes, trials int
		wantLow, wantHigh float64
		tolerance         float64
	}{
		{name: "R prop.test 45 of 50", successes: 45, trials: 50, wantLow: 0.7863977, wantHigh: 0.9565242, tolerance: 1e-6},
		{name: "Newcombe 81 of 263", successes: 81, trials: 263, wantLow: 0.255289, wantHigh: 0.366210, tolerance: 1e-6},
		{name: "all successes", successes: 85, trials: 85, wantLow: 0.9567605, wantHigh: 1, tolerance: 1e-6},
		{name: "no successes", successes: 0, trials: 10, wantLow: 0, wantHigh: 0.2775328, tolerance: 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Wilson(tt.successes, tt.trials, z95)
			if math.Abs(p.Lower-tt.wantLow) > tt.tolerance || math.Abs(p.Upper-tt.wantHigh) > tt.tolerance {
				t.Errorf("Wilson(%d, %d) = [%.7f, %.7f], want [%.7f, %.7f]", tt.successes, tt.trials, p.Lower, p.Upper, tt.wantLow, tt.wantHigh)
			}
		})
	}
}

func TestWilsonWithoutTrialsIsNotAResult(t *testing.T) {
	p := Wilson(0, 0, z95)
	if !math.IsNaN(p.Estimate) || !math.IsNaN(p.Lower) || !math.IsNaN(p.Upper) {
		t.Errorf("Wilson(0, 0) = %+v, want NaN estimate and bounds", p)
	}
}

func TestConfusionCountsMalignantAsPositive(t *testing.T) {
	var c Confusion
	pairs := []struct{ label, predicted wdbc.Class }{
		{wdbc.Malignant, wdbc.Malignant}, {wdbc.Malignant, wdbc.Malignant}, {wdbc.Malignant, wdbc.Benign},
		{wdbc.Benign, wdbc.Benign}, {wdbc.Benign, wdbc.Malignant},
	}
	for _, p := range pairs {
		if err := c.Add(p.label, p.predicted); err != nil {
			t.Fatal(err)
		}
	}
	if c != (Confusion{TP: 2, FN: 1, TN: 1, FP: 1}) {
		t.Errorf("confusion %+v, want TP=2 FN=1 TN=1 FP=1", c)
	}
	if got := c.Sensitivity(); got.Successes != 2 || got.Trials != 3 {
		t.Errorf("sensitivity %s, want 2/3", got)
	}
	if got := c.Specificity(); got.Successes != 1 || got.Trials != 2 {
		t.Errorf("specificity %s, want 1/2", got)
	}
	if err := c.Add(wdbc.ClassUnknown, wdbc.Benign); err == nil {
		t.Error("Add accepted an unknown label")
	}
}
