package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// parseCounts parses a flag holding comma-separated positive integers ("1,16,64"). The
// error names the flag and the field that is wrong.
func parseCounts(flagName, value string) ([]int, error) {
	var out []int
	for _, field := range strings.Split(value, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s %q: %q is not a positive integer; give comma-separated counts such as 1,16,64", flagName, value, field)
		}
		out = append(out, n)
	}
	return out, nil
}
