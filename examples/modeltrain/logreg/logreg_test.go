package logreg

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
)

// mtcars columns wt, hp and am (R datasets::mtcars).
var (
	mtcarsWt = []float64{2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424, 5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78}
	mtcarsHp = []float64{110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215, 230, 66, 52, 65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109}
	mtcarsAm = []int{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}
)

func mtcars() ([][]float64, []bool) {
	x := make([][]float64, len(mtcarsWt))
	y := make([]bool, len(mtcarsWt))
	for i := range x {
		x[i] = []float64{mtcarsWt[i], mtcarsHp[i]}
		y[i] = mtcarsAm[i] == 1
	}
	return x, y
}

// TestNearlyUnpenalisedFitMatchesR compares with
// glm(am ~ scale(wt) + scale(hp), data = mtcars, family = binomial) in R 4.x:
// intercept -1.82201906321, wt -7.90933645749, hp 2.48578766619.
func TestNearlyUnpenalisedFitMatchesR(t *testing.T) {
	x, y := mtcars()
	fit, err := Train(x, y, Config{L2: 1e-12, Iterations: 40, Tolerance: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-1.82201906321, -7.90933645749, 2.48578766619}
	got := []float64{fit.Bias, fit.Weights[0], fit.Weights[1]}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("coefficient %d = %.11f, want %.11f (R glm)", i, got[i], want[i])
		}
	}
}

// TestPenalisedFitSatisfiesTheOptimalityCondition checks that at the returned coefficients
// the score equals the penalty gradient: sum_i (y_i - p_i) z_ij = L2 * w_j, and the
// intercept score is zero.
func TestPenalisedFitSatisfiesTheOptimalityCondition(t *testing.T) {
	x, y := mtcars()
	const l2 = 2.5
	fit, err := Train(x, y, Config{L2: l2, Iterations: 30, Tolerance: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	score := make([]float64, 3)
	for i, row := range x {
		z := []float64{1, (row[0] - fit.Mean[0]) / fit.Std[0], (row[1] - fit.Mean[1]) / fit.Std[1]}
		prob := demomodel.Sigmoid(fit.Bias + fit.Weights[0]*z[1] + fit.Weights[1]*z[2])
		target := 0.0
		if y[i] {
			target = 1
		}
		for j := range score {
			score[j] += (target - prob) * z[j]
		}
	}
	want := []float64{0, l2 * fit.Weights[0], l2 * fit.Weights[1]}
	for j := range score {
		if math.Abs(score[j]-want[j]) > 1e-9 {
			t.Errorf("score %d = %g, want %g", j, score[j], want[j])
		}
	}
	if math.Abs(fit.Weights[0]) >= 7.9 {
		t.Errorf("penalised wt coefficient %v is not shrunk below the unpenalised 7.91", fit.Weights[0])
	}
}

func TestTrainRejectsBadInput(t *testing.T) {
	good := Config{L2: 1, Iterations: 10, Tolerance: 1e-8}
	tests := []struct {
		name    string
		x       [][]float64
		y       []bool
		cfg     Config
		wantErr string
	}{
		{name: "zero penalty", x: [][]float64{{1}, {2}}, y: []bool{true, false}, cfg: Config{Iterations: 1, Tolerance: 1}, wantErr: "l2 0"},
		{name: "no iterations", x: [][]float64{{1}, {2}}, y: []bool{true, false}, cfg: Config{L2: 1, Tolerance: 1}, wantErr: "iterations 0"},
		{name: "length mismatch", x: [][]float64{{1}, {2}}, y: []bool{true}, cfg: good, wantErr: "2 rows and 1 labels"},
		{name: "ragged rows", x: [][]float64{{1}, {2, 3}}, y: []bool{true, false}, cfg: good, wantErr: "row 1 has 2 columns"},
		{name: "one class", x: [][]float64{{1}, {2}}, y: []bool{true, true}, cfg: good, wantErr: "both classes"},
		{name: "constant column", x: [][]float64{{1, 5}, {2, 5}}, y: []bool{true, false}, cfg: good, wantErr: "column 1 is constant"},
		{name: "nan value", x: [][]float64{{1}, {math.NaN()}}, y: []bool{true, false}, cfg: good, wantErr: "non-finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Train(tt.x, tt.y, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTooFewIterationsIsNotConverged(t *testing.T) {
	x, y := mtcars()
	_, err := Train(x, y, Config{L2: 1e-6, Iterations: 1, Tolerance: 1e-9})
	if !errors.Is(err, ErrNotConverged) {
		t.Errorf("error %v, want ErrNotConverged", err)
	}
}
