package policies

import (
	"fmt"
	"math"
	"strconv"
)

// BasisPoints is a traffic weight in hundredths of a percent: 0 (no traffic) to 10000 (all
// traffic). Policy files write weights as percentages with at most two decimals ("12.5"),
// which map exactly onto basis points; the replicated route tables use the same unit.
type BasisPoints uint32

// FullWeight is 100 % in basis points.
const FullWeight BasisPoints = 10000

// String renders the weight as a percentage without trailing zeros: "5%", "12.5%", "0.01%".
func (b BasisPoints) String() string {
	return b.Percent() + "%"
}

// Percent renders the weight as the policy-file number: "5", "12.5", "0.01".
func (b BasisPoints) Percent() string {
	return strconv.FormatFloat(float64(b)/100, 'f', -1, 64)
}

// percentToBasisPoints converts a percentage in [0, 100] with at most two decimals to basis
// points. The error says which of the two rules the value breaks.
func percentToBasisPoints(pct float64) (BasisPoints, error) {
	if math.IsNaN(pct) || pct < 0 || pct > 100 {
		return 0, fmt.Errorf("%s is outside 0-100", formatNumber(pct))
	}
	scaled := pct * 100
	rounded := math.Round(scaled)
	// Decimal inputs such as 12.34 are not exact in binary; 1e-6 of a basis point is far
	// below the smallest step a third decimal could express (0.1 basis points).
	if math.Abs(scaled-rounded) > 1e-6 {
		return 0, fmt.Errorf("%s has more than two decimals", formatNumber(pct))
	}
	return BasisPoints(rounded), nil
}

// formatNumber renders a policy number the way a person would write it: 0.1, 50, 1e-06.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
