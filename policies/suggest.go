package policies

import "strings"

// suggest returns the candidate closest to given, when it is close enough to be a likely
// typo (edit distance at most a third of the length, and at most 3), or else the only
// candidate containing given as a part ("critical" for "critical_safety"); "" if neither.
func suggest(given string, candidates []string) string {
	best, bestDist := "", 4
	limit := max(1, min(3, len(given)/3))
	for _, c := range candidates {
		d := editDistance(given, c)
		if d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || len(given) < 3 {
		return best
	}
	for _, c := range candidates {
		if strings.Contains(c, given) {
			if best != "" {
				return ""
			}
			best = c
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
