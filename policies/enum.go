package policies

import (
	"fmt"
	"strings"
)

// enumSpec is the spelling table of one small enum: names[v] is the policy-file keyword of
// value v. Index 0 is the zero value, which every enum except Metric leaves unnamed so that
// an unset field is never mistaken for a real choice.
type enumSpec[T ~uint8] struct {
	kind  string
	names []string
}

func (e enumSpec[T]) name(v T) string {
	if int(v) < len(e.names) && e.names[v] != "" {
		return e.names[v]
	}
	return fmt.Sprintf("%s(%d)", e.kind, uint8(v))
}

// parse returns the value spelled s, or false when s names no value.
func (e enumSpec[T]) parse(s string) (T, bool) {
	for i, n := range e.names {
		if n != "" && n == s {
			return T(i), true
		}
	}
	return 0, false
}

// choices lists the accepted spellings as `"a", "b" or "c"`.
func (e enumSpec[T]) choices() string {
	var quoted []string
	for _, n := range e.names {
		if n != "" {
			quoted = append(quoted, fmt.Sprintf("%q", n))
		}
	}
	return joinChoices(quoted)
}

// keywords returns the accepted spellings, for did-you-mean suggestions.
func (e enumSpec[T]) keywords() []string {
	var out []string
	for _, n := range e.names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// joinChoices renders ["a","b","c"] as "a, b or c".
func joinChoices(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
