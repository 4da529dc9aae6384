package trigger

import (
	"errors"
	"fmt"
	"math"

	"github.com/seed70a3350f/vigil/policies"
)

// checkTrigger returns an error naming the first field of t that Step cannot work with.
// Triggers from policies.Parse always pass; the check catches specs built by hand.
func checkTrigger(t *policies.Trigger) error {
	if t == nil {
		return errors.New("trigger is nil")
	}
	name := t.Name
	switch {
	case t.Query.IsZero():
		return fmt.Errorf("trigger %q has no query", name)
	case t.Condition != policies.ConditionAbove && t.Condition != policies.ConditionBelow:
		return fmt.Errorf("trigger %q has condition %v; want above or below", name, t.Condition)
	case (t.Threshold == nil) == (t.Baseline == nil):
		return fmt.Errorf("trigger %q must have exactly one of a threshold and a baseline comparison", name)
	case t.Threshold != nil && (math.IsNaN(*t.Threshold) || math.IsInf(*t.Threshold, 0)):
		return fmt.Errorf("trigger %q has threshold %v; want a finite number", name, *t.Threshold)
	case t.Baseline != nil && !(t.Baseline.Ratio > 0 && t.Baseline.Delta >= 0) ||
		t.Baseline != nil && (math.IsInf(t.Baseline.Ratio, 0) || math.IsInf(t.Baseline.Delta, 0)):
		return fmt.Errorf("trigger %q has baseline ratio %v and delta %v; want a finite ratio > 0 and delta >= 0", name, t.Baseline.Ratio, t.Baseline.Delta)
	case t.For < 0:
		return fmt.Errorf("trigger %q has for = %v; want 0 or more", name, t.For)
	case t.Consecutive < 1:
		return fmt.Errorf("trigger %q has consecutive = %d; want at least 1", name, t.Consecutive)
	case t.OnNoData < policies.NoDataHold || t.OnNoData > policies.NoDataIgnore:
		return fmt.Errorf("trigger %q has on_no_data %v; want hold, fail or ignore", name, t.OnNoData)
	case t.MinSamples != nil && (t.MinSamples.Query.IsZero() || t.MinSamples.Count < 1):
		return fmt.Errorf("trigger %q has a min_samples block without a query or with count 0", name)
	}
	return nil
}
