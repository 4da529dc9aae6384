package stats

import "fmt"

// Outcome is the result of a judgement. The zero value is Inconclusive, and
// Inconclusive is never a pass.
type Outcome int

const (
	// Inconclusive means the evidence does not decide either way: too few
	// observations, a confidence bound straddling the margin, or a test that
	// did not reject its null hypothesis.
	Inconclusive Outcome = iota
	// Pass means the evidence shows the candidate is acceptable.
	Pass
	// Fail means the evidence shows the candidate is harmful.
	Fail
)

// String returns "inconclusive", "pass" or "fail".
func (o Outcome) String() string {
	switch o {
	case Inconclusive:
		return "inconclusive"
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	default:
		return fmt.Sprintf("outcome(%d)", int(o))
	}
}

// Alternative is the alternative hypothesis of a test, stated for the
// candidate (or canary) relative to the current model (or baseline).
// The zero value is not a valid alternative: callers must choose one.
type Alternative int

const (
	// TwoSided: the candidate differs from the reference in either direction.
	TwoSided Alternative = iota + 1
	// Greater: the candidate's parameter (event rate, location, difference)
	// is larger than under the null hypothesis.
	Greater
	// Less: the candidate's parameter is smaller than under the null.
	Less
)

// String returns "two-sided", "greater" or "less".
func (a Alternative) String() string {
	switch a {
	case TwoSided:
		return "two-sided"
	case Greater:
		return "greater"
	case Less:
		return "less"
	default:
		return fmt.Sprintf("alternative(%d)", int(a))
	}
}

func (a Alternative) valid() bool { return a >= TwoSided && a <= Less }

// Direction says which change of a metric in the canary is harmful.
// The zero value is not a valid direction: callers must choose one.
type Direction int

const (
	// Increase: higher canary values are worse (latency, error counts).
	Increase Direction = iota + 1
	// Decrease: lower canary values are worse (throughput, accuracy).
	Decrease
	// Either: a shift in either direction is harmful.
	Either
)

// String returns "increase", "decrease" or "either".
func (d Direction) String() string {
	switch d {
	case Increase:
		return "increase"
	case Decrease:
		return "decrease"
	case Either:
		return "either"
	default:
		return fmt.Sprintf("direction(%d)", int(d))
	}
}

func (d Direction) valid() bool { return d >= Increase && d <= Either }

// alternative returns the test alternative that looks for harm in d.
func (d Direction) alternative() Alternative {
	switch d {
	case Increase:
		return Greater
	case Decrease:
		return Less
	default:
		return TwoSided
	}
}

// decideTest maps a test with p-value p at level alpha and the sign of the
// observed effect (positive: the candidate's parameter is larger) onto an
// Outcome, given which sign is harmful. harmfulPositive says whether a
// positive effect is the harmful one. A test that does not reject is
// Inconclusive: failing to find a difference does not show there is none.
func decideTest(p, alpha, effect float64, harmfulPositive bool) (Outcome, string) {
	if !(p < alpha) {
		return Inconclusive, fmt.Sprintf("p = %.6g is not below alpha = %g: no significant difference (a test that does not reject cannot show equivalence)", p, alpha)
	}
	switch {
	case effect == 0:
		return Inconclusive, fmt.Sprintf("p = %.6g < alpha = %g but the observed effect is zero", p, alpha)
	case (effect > 0) == harmfulPositive:
		return Fail, fmt.Sprintf("p = %.6g < alpha = %g in the harmful direction", p, alpha)
	default:
		return Pass, fmt.Sprintf("p = %.6g < alpha = %g in the beneficial direction", p, alpha)
	}
}
