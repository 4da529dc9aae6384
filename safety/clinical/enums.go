package clinical

import (
	"fmt"

	"github.com/seed70a3350f/vigil/safety/stats"
)

// Verdict is the decision of a validation run. The zero value is not a verdict.
type Verdict uint8

const (
	// Passed: every criterion passed overall and in every subgroup, the minimums were
	// met and the measurement can be trusted.
	Passed Verdict = iota + 1
	// Failed: some criterion failed, overall or in a powered subgroup.
	Failed
	// Inconclusive: the evidence does not decide (an inconclusive criterion, an unmet
	// minimum, an under-powered subgroup) or the measurement cannot be trusted (wrong
	// version answered, too many failed calls). Inconclusive is never a pass.
	Inconclusive
)

var verdictNames = [...]string{"", "PASSED", "FAILED", "INCONCLUSIVE"}

// String returns "PASSED", "FAILED" or "INCONCLUSIVE".
func (v Verdict) String() string {
	if int(v) > 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// MarshalText encodes the verdict as String does; the zero value is an error.
func (v Verdict) MarshalText() ([]byte, error) {
	if v < Passed || v > Inconclusive {
		return nil, fmt.Errorf("verdict %d is not PASSED, FAILED or INCONCLUSIVE", uint8(v))
	}
	return []byte(v.String()), nil
}

// UnmarshalText decodes "PASSED", "FAILED" or "INCONCLUSIVE".
func (v *Verdict) UnmarshalText(b []byte) error {
	for i := Passed; i <= Inconclusive; i++ {
		if string(b) == verdictNames[i] {
			*v = i
			return nil
		}
	}
	return fmt.Errorf("verdict %q: want PASSED, FAILED or INCONCLUSIVE", b)
}

// Outcome is the judgement of one criterion or subgroup. The zero value is
// OutcomeInconclusive, which is never a pass.
type Outcome uint8

const (
	// OutcomeInconclusive: the evidence does not decide.
	OutcomeInconclusive Outcome = iota
	// OutcomePass: the evidence shows the requirement is met.
	OutcomePass
	// OutcomeFail: the evidence shows the requirement is not met.
	OutcomeFail
)

var outcomeNames = [...]string{"inconclusive", "pass", "fail"}

// String returns "inconclusive", "pass" or "fail".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// MarshalText encodes the outcome as String does.
func (o Outcome) MarshalText() ([]byte, error) {
	if int(o) >= len(outcomeNames) {
		return nil, fmt.Errorf("outcome %d is not pass, fail or inconclusive", uint8(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText decodes "inconclusive", "pass" or "fail".
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, name := range outcomeNames {
		if string(b) == name {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("outcome %q: want pass, fail or inconclusive", b)
}

// outcomeOf converts a stats.Outcome.
func outcomeOf(o stats.Outcome) Outcome {
	switch o {
	case stats.Pass:
		return OutcomePass
	case stats.Fail:
		return OutcomeFail
	default:
		return OutcomeInconclusive
	}
}

// worse returns the worse of two outcomes: fail over inconclusive over pass.
func worse(a, b Outcome) Outcome {
	rank := func(o Outcome) int {
		switch o {
		case OutcomeFail:
			return 2
		case OutcomeInconclusive:
			return 1
		default:
			return 0
		}
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
