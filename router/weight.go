package router

import (
	"fmt"
	"strconv"
	"strings"
)

// BasisPoints is a traffic share in units of 0.01 %: 0 to TotalWeight.
type BasisPoints uint32

// TotalWeight is the exact sum of a route table's split: 10000 basis points = 100 %.
const TotalWeight BasisPoints = 10000

// String renders the share as a percentage with two decimals, e.g. "12.50%".
func (b BasisPoints) String() string {
	return fmt.Sprintf("%d.%02d%%", b/100, b%100)
}

// Percent returns the share as a float percentage, for display and metrics only.
func (b BasisPoints) Percent() float64 { return float64(b) / 100 }

// ParsePercent converts a decimal percentage with at most two decimals ("12.5", "100",
// "0.01") exactly into basis points. It never rounds: "12.345" is an error.
func ParsePercent(s string) (BasisPoints, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || hasFrac && frac == "" {
		return 0, fmt.Errorf("percentage %q is not a number like 12.5", s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("percentage %q has %d decimals; at most 2 are allowed (0.01 %% steps)", s, len(frac))
	}
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("percentage %q is not a number like 12.5", s)
	}
	var f uint64
	if frac != "" {
		f, err = strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("percentage %q is not a number like 12.5", s)
		}
		if len(frac) == 1 {
			f *= 10
		}
	}
	if w > 100 || w*100+f > uint64(TotalWeight) {
		return 0, fmt.Errorf("percentage %q is above 100", s)
	}
	return BasisPoints(w*100 + f), nil
}
