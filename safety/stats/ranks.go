package stats

import (
	"math"
	"slices"
)

// midranks returns the 1-based mid-ranks of xs (tied values share the mean
// of the ranks they span), the tie sum sum(t^3 - t) over groups of t tied
// values, and whether any tie occurred. xs must not contain NaN.
func midranks(xs []float64) (ranks []float64, tieSum float64, tied bool) {
	n := len(xs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	ranks = make([]float64, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && xs[order[j]] == xs[order[i]] {
			j++
		}
		// positions i..j-1 (0-based) hold ranks i+1..j; their mean:
		r := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			ranks[order[k]] = r
		}
		if t := float64(j - i); t > 1 {
			tieSum += t*t*t - t
			tied = true
		}
		i = j
	}
	return ranks, tieSum, tied
}

// median returns the median of xs (the mean of the two middle values for an
// even count) without modifying xs; NaN for an empty slice.
func median(xs []float64) float64 {
	return quantile7(xs, 0.5)
}

// quantile7 returns the p-quantile of xs by linear interpolation between
// order statistics (R's default, type 7) without modifying xs; NaN for an
// empty slice.
func quantile7(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return sortedQuantile7(s, p)
}

func sortedQuantile7(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
