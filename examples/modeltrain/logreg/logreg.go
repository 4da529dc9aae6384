// Package logreg fits L2-regularised logistic regression on standardised features with a
// fixed number of Newton (IRLS) steps. It uses no randomness: the same data always gives the
// same coefficients on a given platform.
package logreg

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
)

// Config controls a fit.
type Config struct {
	// L2 is the ridge penalty lambda (> 0) on the coefficients of the standardised features,
	// added to the negative log-likelihood summed (not averaged) over cases as
	// lambda/2 * ||w||^2. The intercept is not penalised.
	L2 float64
	// Iterations is the fixed number of Newton steps (>= 1).
	Iterations int
	// Tolerance is the largest coefficient change (absolute, > 0) allowed in the last step;
	// a larger change means the fit did not converge and Fit returns ErrNotConverged.
	Tolerance float64
}

// Validate reports the first field that is out of range.
func (c Config) Validate() error {
	switch {
	case !(c.L2 > 0) || math.IsInf(c.L2, 0):
		return fmt.Errorf("l2 %v: want a finite penalty > 0", c.L2)
	case c.Iterations < 1:
		return fmt.Errorf("iterations %d: want >= 1", c.Iterations)
	case !(c.Tolerance > 0):
		return fmt.Errorf("tolerance %v: want > 0", c.Tolerance)
	}
	return nil
}

// ErrNotConverged means the last Newton step still moved a coefficient by more than the
// configured tolerance.
var ErrNotConverged = errors.New("logistic regression did not converge")

// Fit holds fitted parameters on the standardised scale.
type Fit struct {
	Mean, Std []float64 // per feature: training mean and sample standard deviation
	Weights   []float64 // per standardised feature
	Bias      float64
	// LastStep is the largest absolute coefficient change in the final Newton step.
	LastStep float64
}

// Train fits y ~ x. x has one row per case with the same number of finite columns; y[i] is
// true for the positive class. Both classes must be present and every column must vary.
func Train(x [][]float64, y []bool, cfg Config) (Fit, error) {
	if err := cfg.Validate(); err != nil {
		return Fit{}, fmt.Errorf("logreg config: %w", err)
	}
	n := len(x)
	if n == 0 || n != len(y) {
		return Fit{}, fmt.Errorf("logreg: %d rows and %d labels: want the same non-zero number", n, len(y))
	}
	p := len(x[0])
	if p == 0 {
		return Fit{}, fmt.Errorf("logreg: rows have no columns")
	}
	positives := 0
	for i, row := range x {
		if len(row) != p {
			return Fit{}, fmt.Errorf("logreg: row %d has %d columns, want %d", i, len(row), p)
		}
		if y[i] {
			positives++
		}
	}
	if positives == 0 || positives == n {
		return Fit{}, fmt.Errorf("logreg: %d of %d cases are positive: both classes are needed", positives, n)
	}
	mean, std, err := standardisation(x)
	if err != nil {
		return Fit{}, err
	}
	// design matrix with a leading intercept column of ones
	d := p + 1
	design := mat.NewDense(n, d, nil)
	for i, row := range x {
		design.Set(i, 0, 1)
		for j, v := range row {
			design.Set(i, j+1, (v-mean[j])/std[j])
		}
	}
	beta := make([]float64, d)
	var lastStep float64
	for iter := 0; iter < cfg.Iterations; iter++ {
		step, err := newtonStep(design, y, beta, cfg.L2)
		if err != nil {
			return Fit{}, fmt.Errorf("logreg: newton step %d: %w", iter+1, err)
		}
		lastStep = 0
		for j := range beta {
			beta[j] += step[j]
			lastStep = math.Max(lastStep, math.Abs(step[j]))
		}
	}
	if lastStep > cfg.Tolerance {
		return Fit{}, fmt.Errorf("%w: last of %d steps moved a coefficient by %g (tolerance %g)", ErrNotConverged, cfg.Iterations, lastStep, cfg.Tolerance)
	}
	return Fit{Mean: mean, Std: std, Weights: beta[1:], Bias: beta[0], LastStep: lastStep}, nil
}

// newtonStep solves (X'WX + L) step = X'(y - p) - L beta, with L = l2 on the diagonal except
// for the intercept.
func newtonStep(design *mat.Dense, y []bool, beta []float64, l2 float64) ([]float64, error) {
	n, d := design.Dims()
	hessian := mat.NewSymDense(d, nil)
	gradient := make([]float64, d)
	row := make([]float64, d)
	for i := 0; i < n; i++ {
		mat.Row(row, i, design)
		z := 0.0
		for j, v := range row {
			z += beta[j] * v
		}
		prob := demomodel.Sigmoid(z)
		target := 0.0
		if y[i] {
			target = 1
		}
		w := prob * (1 - prob)
		for j := 0; j < d; j++ {
			gradient[j] += (target - prob) * row[j]
			for k := j; k < d; k++ {
				hessian.SetSym(j, k, hessian.At(j, k)+w*row[j]*row[k])
			}
		}
	}
	for j := 1; j < d; j++ {
		gradient[j] -= l2 * beta[j]
		hessian.SetSym(j, j, hessian.At(j, j)+l2)
	}
	var chol mat.Cholesky
	if ok := chol.Factorize(hessian); !ok {
		return nil, fmt.Errorf("penalised hessian is not positive definite")
	}
	step := mat.NewVecDense(d, nil)
	if err := chol.SolveVecTo(step, mat.NewVecDense(d, gradient)); err != nil {
		return nil, fmt.Errorf("solve for the newton step: %w", err)
	}
	return step.RawVector().Data, nil
}

// standardisation returns per-column means and sample standard deviations (n-1).
func standardisation(x [][]float64) (mean, std []float64, err error) {
	n, p := len(x), len(x[0])
	if n < 2 {
		return nil, nil, fmt.Errorf("logreg: %d rows: need at least 2 to estimate a standard deviation", n)
	}
	mean = make([]float64, p)
	std = make([]float64, p)
	for j := 0; j < p; j++ {
		sum := 0.0
		for _, row := range x {
			if math.IsNaN(row[j]) || math.IsInf(row[j], 0) {
				return nil, nil, fmt.Errorf("logreg: column %d has a non-finite value %v", j, row[j])
			}
			sum += row[j]
		}
		mean[j] = sum / float64(n)
		ss := 0.0
		for _, row := range x {
			dv := row[j] - mean[j]
			ss += dv * dv
		}
		std[j] = math.Sqrt(ss / float64(n-1))
		if std[j] == 0 {
			return nil, nil, fmt.Errorf("logreg: column %d is constant (%v): it cannot be standardised", j, mean[j])
		}
	}
	return mean, std, nil
}
