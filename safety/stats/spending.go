package stats

import (
	"fmt"
	"math"
)

// SpendingFunction is a Lan-DeMets alpha-spending function: the cumulative
// type I error alpha*(t) that may be spent by information fraction t in
// [0, 1], with alpha*(0) = 0 and alpha*(1) = alpha.
type SpendingFunction int

const (
	// OBrienFlemingSpending is the O'Brien-Fleming-like function
	// alpha*(t) = 2 - 2 Phi(z_{alpha/2} / sqrt(t)): almost nothing is spent
	// early, so early looks need overwhelming evidence.
	OBrienFlemingSpending SpendingFunction = iota + 1
	// PocockSpending is the Pocock-like function
	// alpha*(t) = alpha ln(1 + (e - 1) t): spending is nearly even.
	PocockSpending
)

// String returns "obrien-fleming" or "pocock".
func (f SpendingFunction) String() string {
	switch f {
	case OBrienFlemingSpending:
		return "obrien-fleming"
	case PocockSpending:
		return "pocock"
	default:
		return fmt.Sprintf("spending-function(%d)", int(f))
	}
}

// Spent returns alpha*(t), the cumulative alpha spent by information
// fraction t, for a total alpha (both tails together for a two-sided
// design). Errors: an unknown function, alpha outside (0, 1), t outside
// [0, 1].
//
// Reference: K. K. G. Lan and D. L. DeMets, Biometrika 70 (1983) 659-663;
// C. Jennison and B. W. Turnbull, Group Sequential Methods (2000) 7.2.
func (f SpendingFunction) Spent(alpha, t float64) (float64, error) {
	const fn = "alpha-spending"
	if err := checkProbabilityArg(fn, "alpha", alpha); err != nil {
		return 0, err
	}
	if !(t >= 0 && t <= 1) {
		return 0, invalidf(fn, "t", "t %v outside [0, 1]", t)
	}
	switch f {
	case OBrienFlemingSpending:
		if t == 0 {
			return 0, nil
		}
		return 2 * normSF(normQuantile(1-alpha/2)/math.Sqrt(t)), nil
	case PocockSpending:
		return alpha * math.Log(1+(math.E-1)*t), nil
	default:
		return 0, invalidf(fn, "f", "spending function %d is not OBrienFlemingSpending or PocockSpending", int(f))
	}
}
