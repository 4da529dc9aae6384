package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// McNemarMethod names a variant of McNemar's test.
type McNemarMethod int

const (
	// McNemarMethodZ is the asymptotic z test without continuity
	// correction: z = (b-c)/sqrt(b+c).
	McNemarMethodZ McNemarMethod = iota + 1
	// McNemarMethodCorrected is the continuity-corrected chi-square:
	// (|b-c|-1)^2/(b+c), one degree of freedom.
	McNemarMethodCorrected
	// McNemarMethodExact is the exact conditional binomial test.
	McNemarMethodExact
	// McNemarMethodMidP is the mid-p version of the exact test.
	McNemarMethodMidP
)

// String returns "asymptotic", "corrected", "exact" or "mid-p".
func (m McNemarMethod) String() string {
	switch m {
	case McNemarMethodZ:
		return "asymptotic"
	case McNemarMethodCorrected:
		return "corrected"
	case McNemarMethodExact:
		return "exact"
	case McNemarMethodMidP:
		return "mid-p"
	default:
		return fmt.Sprintf("mcnemar-method(%d)", int(m))
	}
}

// McNemarSmallSample is the number of discordant pairs below which
// McNemarChoose uses the mid-p test instead of the asymptotic one.
const McNemarSmallSample = 25

// McNemarResult is the result of McNemar's test on paired binary outcomes.
type McNemarResult struct {
	// Method is the variant that produced PValue.
	Method McNemarMethod
	// B counts cases the current model got right and the candidate wrong;
	// C counts cases the current model got wrong and the candidate right.
	B, C int
	// Statistic is z = (b-c)/sqrt(b+c) for McNemarMethodZ (positive when
	// the candidate is worse), the chi-square for McNemarMethodCorrected, and
	// min(b, c), the binomial tail point, for McNemarMethodExact and McNemarMethodMidP.
	// NaN when b+c = 0.
	Statistic float64
	// PValue is two-sided; NaN when b+c = 0.
	PValue float64
	// Alpha is the significance level the Outcome used.
	Alpha float64
	// Outcome is Fail when the test rejects at Alpha with b > c (the
	// candidate is wrong more often), Pass when it rejects with c > b,
	// Inconclusive otherwise, including b+c = 0.
	Outcome Outcome
	// Reason explains the Outcome.
	Reason string
}

// McNemarZ is McNemar's asymptotic test without continuity correction:
// z = (b-c)/sqrt(b+c), two-sided p = 2(1 - Phi(|z|)).
//
// Assumptions: paired binary outcomes of the current model and the candidate
// on the same cases; b = current right / candidate wrong, c = current wrong /
// candidate right. Tests H0: P(b-type discordance) = P(c-type). Two-sided.
// Reliable for b+c >= 25 (use McNemarMidP below that; McNemarChoose does).
// b+c = 0 is Inconclusive. Errors: negative counts, alpha outside (0, 1).
//
// References: Q. McNemar, Psychometrika 12 (1947) 153-157; M. W. Fagerland,
// S. Lydersen, P. Laake, BMC Med Res Methodol 13 (2013) 91.
func McNemarZ(b, c int, alpha float64) (McNemarResult, error) {
	return mcnemar("mcnemar-z", McNemarMethodZ, b, c, alpha)
}

// McNemarCorrected is McNemar's chi-square with continuity correction:
// chi2 = (max(0, |b-c|-1))^2/(b+c) on one degree of freedom.
//
// Assumptions as for McNemarZ; two-sided; conservative. When b = c the
// statistic is 0 and p = 1 (R's mcnemar.test gives 1/(b+c) there, an
// overshoot of the correction; it agrees everywhere else). b+c = 0 is
// Inconclusive.
//
// References: A. L. Edwards, Psychometrika 13 (1948) 185-187; R
// mcnemar.test(x, correct = TRUE).
func McNemarCorrected(b, c int, alpha float64) (McNemarResult, error) {
	return mcnemar("mcnemar-corrected", McNemarMethodCorrected, b, c, alpha)
}

// McNemarExact is the exact conditional McNemar test:
// p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b+c, 1/2).
//
// Assumptions as for McNemarZ; valid for any b+c >= 1; two-sided;
// conservative (its size is below alpha). b+c = 0 is Inconclusive.
//
// Reference: Fagerland et al. (2013); R binom.test(b, b+c).
func McNemarExact(b, c int, alpha float64) (McNemarResult, error) {
	return mcnemar("mcnemar-exact", McNemarMethodExact, b, c, alpha)
}

// McNemarMidP is the mid-p McNemar test:
// p = 2 P(X <= k) - P(X = k) with k = min(b, c), X ~ Binomial(b+c, 1/2),
// which is 1 when b = c.
//
// Assumptions as for McNemarZ; any b+c >= 1; two-sided. Its size is close
// to alpha without exceeding it in the settings studied by Fagerland et al.
// (2013), who recommend it. b+c = 0 is Inconclusive.
//
// Reference: Fagerland et al. (2013).
func McNemarMidP(b, c int, alpha float64) (McNemarResult, error) {
	return mcnemar("mcnemar-mid-p", McNemarMethodMidP, b, c, alpha)
}

// McNemarChoose runs McNemarMidP when b+c < McNemarSmallSample (25) and
// McNemarZ otherwise, and reports which in the result's Method. The
// assumptions and references are those of the chosen test.
func McNemarChoose(b, c int, alpha float64) (McNemarResult, error) {
	if b+c < McNemarSmallSample {
		return mcnemar("mcnemar", McNemarMethodMidP, b, c, alpha)
	}
	return mcnemar("mcnemar", McNemarMethodZ, b, c, alpha)
}

func mcnemar(fn string, method McNemarMethod, b, c int, alpha float64) (McNemarResult, error) {
	if b < 0 {
		return McNemarResult{}, invalidf(fn, "b", "b %d < 0 (counts cannot be negative)", b)
	}
	if c < 0 {
		return McNemarResult{}, invalidf(fn, "c", "c %d < 0 (counts cannot be negative)", c)
	}
	if err := checkProbabilityArg(fn, "alpha", alpha); err != nil {
		return McNemarResult{}, err
	}
	res := McNemarResult{Method: method, B: b, C: c, Alpha: alpha}
	if b+c == 0 {
		res.Statistic, res.PValue = math.NaN(), math.NaN()
		res.Reason = "no discordant pairs (b + c = 0): the models never disagree on these cases, so McNemar's test has nothing to compare"
		return res, nil
	}
	n := float64(b + c)
	k := min(b, c)
	switch method {
	case McNemarMethodZ:
		res.Statistic = float64(b-c) / math.Sqrt(n)
		res.PValue = normPValue(res.Statistic, TwoSided)
	case McNemarMethodCorrected:
		d := math.Max(0, math.Abs(float64(b-c))-1)
		res.Statistic = d * d / n
		// chi-square(1) upper tail = P(|Z| >= sqrt(chi2)).
		res.PValue = math.Erfc(math.Sqrt(res.Statistic / 2))
	case McNemarMethodExact:
		res.Statistic = float64(k)
		res.PValue = math.Min(1, 2*binomHalfCDF(k, b+c))
	case McNemarMethodMidP:
		res.Statistic = float64(k)
		res.PValue = math.Min(1, 2*binomHalfCDF(k, b+c)-binomHalfPMF(k, b+c))
	}
	res.Outcome, res.Reason = decideTest(res.PValue, alpha, float64(b-c), true)
	res.Reason = fmt.Sprintf("%s McNemar, b = %d, c = %d: %s", method, b, c, res.Reason)
	return res, nil
}

// binomHalfCDF is P(X <= k) for X ~ Binomial(n, 1/2).
func binomHalfCDF(k, n int) float64 {
	if k >= n {
		return 1
	}
	if k < 0 {
		return 0
	}
	return mathext.RegIncBeta(float64(n-k), float64(k+1), 0.5)
}

// binomHalfPMF is P(X = k) for X ~ Binomial(n, 1/2).
func binomHalfPMF(k, n int) float64 {
	return math.Exp(logChoose(n, k) - float64(n)*math.Ln2)
}

// logChoose is log(n choose k) for 0 <= k <= n, via math.Lgamma.
func logChoose(n, k int) float64 {
	return logFactorial(n) - logFactorial(k) - logFactorial(n-k)
}

// logFactorial is log(n!) for n >= 0. Gamma is positive on [1, inf), so the
// sign Lgamma also returns is always +1 here.
func logFactorial(n int) float64 {
	v, sign := math.Lgamma(float64(n) + 1)
	if sign < 0 {
		panic("stats: logFactorial of a negative count")
	}
	return v
}
