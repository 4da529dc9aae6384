package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// normCDF is the standard normal distribution function Phi(x).
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normSF is the standard normal upper tail 1 - Phi(x), accurate far into
// the tail.
func normSF(x float64) float64 { return 0.5 * math.Erfc(x/math.Sqrt2) }

// normPDF is the standard normal density.
func normPDF(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }

// normQuantile is the standard normal quantile function for p in [0, 1].
func normQuantile(p float64) float64 { return mathext.NormalQuantile(p) }

// twoSidedZ returns the normal quantile z with P(|Z| <= z) = level.
func twoSidedZ(level float64) float64 { return normQuantile(0.5 + level/2) }

// normPValue returns the p-value of a standard normal statistic z for alt.
func normPValue(z float64, alt Alternative) float64 {
	switch alt {
	case Greater:
		return normSF(z)
	case Less:
		return normCDF(z)
	default:
		return math.Min(1, 2*normSF(math.Abs(z)))
	}
}
