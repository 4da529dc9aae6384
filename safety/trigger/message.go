package trigger

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// describeValue says how the value compares with the bound: "error_rate = 0.134, above the
// threshold 0.1" or, for a baseline comparison, "error_rate = 0.08, above 0.075 (baseline
// 0.05 × ratio 1.5) and more than 0.01 from the baseline".
func describeValue(t *policies.Trigger, value float64, baseline *float64, breach bool) string {
	cond := t.Condition.String()
	head := fmt.Sprintf("%s = %s", t.Name, formatValue(value))
	if t.Threshold != nil {
		if breach {
			return fmt.Sprintf("%s, %s the threshold %s", head, cond, formatValue(*t.Threshold))
		}
		return fmt.Sprintf("%s, not %s the threshold %s", head, cond, formatValue(*t.Threshold))
	}
	b := *baseline
	bound := fmt.Sprintf("%s (baseline %s × ratio %s)", formatValue(b*t.Baseline.Ratio), formatValue(b), formatValue(t.Baseline.Ratio))
	delta := formatValue(t.Baseline.Delta)
	switch {
	case breach:
		return fmt.Sprintf("%s, %s %s and more than %s from the baseline", head, cond, bound, delta)
	case (cond == "above" && value > b*t.Baseline.Ratio) || (cond == "below" && value < b*t.Baseline.Ratio):
		return fmt.Sprintf("%s, %s %s but within %s of the baseline", head, cond, bound, delta)
	default:
		return fmt.Sprintf("%s, not %s %s", head, cond, bound)
	}
}

// progress describes a run of breaches after the clock became c at now: "breaching for 2
// evaluations over 1s; fires at 3 evaluations and 10s" or "breaching for 3 evaluations over
// 12s (3 evaluations and 10s needed); firing since 2026-11-25T10:00:03Z".
func progress(t *policies.Trigger, c Clock, now time.Time) string {
	run := fmt.Sprintf("breaching for %s over %v", countText(c.Consecutive, "evaluation", ""), now.Sub(c.PendingSince))
	if c.State == StateFiring {
		return fmt.Sprintf("%s (%s needed); firing since %s", run, neededText(t), formatTime(c.FiringSince))
	}
	return fmt.Sprintf("%s; fires at %s", run, neededText(t))
}

// neededText is what firing takes: "3 evaluations" or "1 evaluation and 10s".
func neededText(t *policies.Trigger) string {
	s := countText(t.Consecutive, "evaluation", "")
	if t.For > 0 {
		s += " and " + t.For.String()
	}
	return s
}

// keptState describes the breach state an error left as it was.
func keptState(c Clock) string {
	return fmt.Sprintf("breach state kept (%s), %s", stateText(c), countText(c.Errors, "error", "in a row"))
}

// stateText describes the breach state: "inactive" or "pending, 2 breaches in a row".
func stateText(c Clock) string {
	if c.State == StateInactive {
		return "inactive"
	}
	return fmt.Sprintf("%s, %s", c.State, countText(c.Consecutive, "breach", "in a row"))
}

// countText renders "1 evaluation", "3 evaluations in a row".
func countText(n uint32, noun, suffix string) string {
	s := fmt.Sprintf("%d %s", n, noun)
	if n != 1 {
		if strings.HasSuffix(noun, "ch") {
			s += "e"
		}
		s += "s"
	}
	if suffix != "" {
		s += " " + suffix
	}
	return s
}

// joinReasons joins reasons with "; ".
func joinReasons(reasons []string) string { return strings.Join(reasons, "; ") }

// formatValue renders a measured value with six significant digits: 0.134, 1.23457e+06.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// formatTime renders an evaluation time in UTC with millisecond precision.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
