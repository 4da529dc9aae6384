package stats

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// oracleTol is the relative tolerance against values computed with R or
// SciPy (printed to 12 significant digits by the scripts in
// testdata/oracle).
const oracleTol = 1e-6

// near reports whether got is within rel of want relatively, with an
// absolute floor of 1e-12 so that exact zeros compare sensibly. NaN is near
// only NaN; infinities only themselves.
func near(got, want, rel float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= rel*math.Abs(want)+1e-12
}

// checkNear fails the test when got is not near want (relative tolerance).
func checkNear(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if !near(got, want, rel) {
		t.Errorf("%s = %.12g, want %.12g (relative tolerance %g)", what, got, want, rel)
	}
}

// checkWithin fails the test when |got - want| > abs; for published values
// given to a few decimals.
func checkWithin(t *testing.T, what string, got, want, abs float64) {
	t.Helper()
	if !(math.Abs(got-want) <= abs) {
		t.Errorf("%s = %.10g, want %.10g within %g", what, got, want, abs)
	}
}

// checkInvalid fails the test unless err is an *InputError for arg that
// wraps ErrInvalidInput and has the message want.
func checkInvalid(t *testing.T, err error, arg, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error about %s, got nil", arg)
	}
	if !errors.Is(err, ErrInvalidInput) {
		t.Errorf("error %q does not wrap ErrInvalidInput", err)
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %q is not an *InputError", err)
	}
	if ie.Arg != arg {
		t.Errorf("InputError.Arg = %q, want %q (error %q)", ie.Arg, arg, err)
	}
	if want != "" && err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func nan() float64 { return math.NaN() }

func fmtCase(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
