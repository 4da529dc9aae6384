package stats

// selectKth rearranges a so that a[k] holds the value that would be at index
// k (0-based) if a were sorted, with smaller-or-equal values before it and
// greater-or-equal after, and returns a[k]. It is Hoare's quickselect with a
// median-of-three pivot and a three-way partition, so runs of equal values
// (common in tied pairwise differences) cost nothing extra. Expected O(len(a)).
// a must not contain NaN.
func selectKth(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		pivot := medianOfThree(a[lo], a[lo+(hi-lo)/2], a[hi])
		// Three-way partition of a[lo..hi]: < pivot | == pivot | > pivot.
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch {
			case a[i] < pivot:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case a[i] > pivot:
				a[i], a[gt] = a[gt], a[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return a[k]
		}
	}
	return a[k]
}

func medianOfThree(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}
