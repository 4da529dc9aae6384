package stats

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidInput is wrapped by every error about an argument outside its
// domain. Test for it with errors.Is; use errors.As with *InputError to read
// which function and argument were rejected.
var ErrInvalidInput = errors.New("invalid input")

// InputError reports one argument outside its domain.
type InputError struct {
	// Func is the short name of the rejecting function, e.g. "wilson".
	Func string
	// Arg is the name of the rejected argument, e.g. "successes".
	Arg string
	// msg states the value and the rule it broke.
	msg string
}

// Error returns "<func>: <argument> <value> <rule>".
func (e *InputError) Error() string { return e.Func + ": " + e.msg }

// Unwrap returns ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

func invalidf(fn, arg, format string, a ...any) error {
	return &InputError{Func: fn, Arg: arg, msg: fmt.Sprintf(format, a...)}
}

// checkProbabilityArg checks that v (a confidence level or alpha) lies in the
// open interval (0, 1).
func checkProbabilityArg(fn, arg string, v float64) error {
	if !(v > 0 && v < 1) {
		return invalidf(fn, arg, "%s %v outside (0, 1)", arg, v)
	}
	return nil
}

// checkCounts checks 0 <= successes <= trials.
func checkCounts(fn, successName, trialName string, successes, trials int) error {
	if trials < 0 {
		return invalidf(fn, trialName, "%s %d < 0 (counts cannot be negative)", trialName, trials)
	}
	if successes < 0 {
		return invalidf(fn, successName, "%s %d < 0 (counts cannot be negative)", successName, successes)
	}
	if successes > trials {
		return invalidf(fn, successName, "%s %d > %s %d (%s must lie in [0, %s])", successName, successes, trialName, trials, successName, trialName)
	}
	return nil
}

// checkFinite checks that v is neither NaN nor infinite.
func checkFinite(fn, arg string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalidf(fn, arg, "%s %v is not a finite number", arg, v)
	}
	return nil
}

// firstNaN returns the index of the first NaN in xs, or -1.
func firstNaN(xs []float64) int {
	for i, x := range xs {
		if math.IsNaN(x) {
			return i
		}
	}
	return -1
}

// firstNonFinite returns the index of the first NaN or infinity in xs, or -1.
func firstNonFinite(xs []float64) int {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}
