package policies

import (
	"math"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Trigger is a condition on a query that, while it holds, makes the controller act on the
// rollout: roll back, pause or alert.
type Trigger struct {
	Name     string
	Category Category
	// Query is a PromQL template returning a single number (see QueryTemplate).
	Query     QueryTemplate
	Condition Condition
	// Threshold is the fixed bound of the condition; nil when Baseline is set. Exactly one
	// of Threshold and Baseline is set. Its unit is the query's.
	Threshold *float64
	// Baseline compares the value with the same query run for the baseline version.
	Baseline *BaselineComparison
	// For is how long the condition must hold before the trigger fires; 0 fires at the
	// first breaching evaluation. When non-zero it is at least the evaluation interval.
	For time.Duration
	// Consecutive is how many breaching evaluations in a row fire the trigger (a passing
	// evaluation resets the count); at least 1. With For, both must be met.
	Consecutive uint32
	Action      Action
	// WarningPeriod is the time between the warning and the rollback; set exactly when
	// Action is ActionRollbackAfterWarning.
	WarningPeriod time.Duration
	// OnNoData is what an evaluation without data counts as. No data is never a pass.
	OnNoData NoDataPolicy
	// MinSamples, when set, turns an evaluation whose sample query is below Count into a
	// no-data evaluation.
	MinSamples *MinSamples
	// AppliesTo lists the versions the trigger watches, without duplicates.
	AppliesTo []Target
	Range     hcl.Range
}

// Watches reports whether the trigger evaluates target.
func (t *Trigger) Watches(target Target) bool {
	for _, a := range t.AppliesTo {
		if a == target {
			return true
		}
	}
	return false
}

// Breached evaluates the condition on one value. For a baseline comparison baseline is the
// baseline version's value of the same query; it is ignored for a fixed threshold.
//
// above: value > threshold, or value > baseline*ratio and |value-baseline| > delta.
// below: value < threshold, or value < baseline*ratio and |value-baseline| > delta.
func (t *Trigger) Breached(value, baseline float64) bool {
	if t.Threshold != nil {
		if t.Condition == ConditionBelow {
			return value < *t.Threshold
		}
		return value > *t.Threshold
	}
	b := t.Baseline
	far := math.Abs(value-baseline) > b.Delta
	if t.Condition == ConditionBelow {
		return value < baseline*b.Ratio && far
	}
	return value > baseline*b.Ratio && far
}

// BaselineComparison compares a value with the baseline version's value of the same query.
type BaselineComparison struct {
	// Ratio multiplies the baseline value: >= 1 with condition above, in (0, 1] with below.
	Ratio float64
	// Delta is the least absolute difference that counts, in the query's unit; >= 0.
	Delta float64
	Range hcl.Range
}

// MinSamples is the sample floor of a trigger.
type MinSamples struct {
	// Query returns the number of samples behind the trigger's value (e.g. requests).
	Query QueryTemplate
	// Count is the least acceptable value of Query; at least 1.
	Count uint64
	Range hcl.Range
}

// Category classifies a trigger as in Vigil's rollback-trigger table.
type Category uint8

const (
	CategoryCriticalSafety Category = iota + 1
	CategoryPerformanceDegradation
	CategoryComplianceViolation
	CategorySystemInstability
)

var categoryNames = enumSpec[Category]{kind: "Category", names: []string{"",
	"critical_safety", "performance_degradation", "compliance_violation", "system_instability"}}

func (c Category) String() string { return categoryNames.name(c) }

// Condition is the direction in which a value breaches.
type Condition uint8

const (
	ConditionAbove Condition = iota + 1
	ConditionBelow
)

var conditionNames = enumSpec[Condition]{kind: "Condition", names: []string{"", "above", "below"}}

func (c Condition) String() string { return conditionNames.name(c) }

// Action is what a fired trigger does.
type Action uint8

const (
	// ActionRollbackImmediately rolls back at once.
	ActionRollbackImmediately Action = iota + 1
	// ActionRollbackAfterWarning warns, waits WarningPeriod, and rolls back if the trigger
	// is still firing then.
	ActionRollbackAfterWarning
	// ActionPause holds the rollout where it is until a person resumes or aborts it.
	ActionPause
	// ActionAlert only notifies.
	ActionAlert
)

var actionNames = enumSpec[Action]{kind: "Action", names: []string{"",
	"rollback_immediately", "rollback_after_warning", "pause", "alert"}}

func (a Action) String() string { return actionNames.name(a) }

// NoDataPolicy is what an evaluation without data (an empty result, or fewer samples than
// MinSamples) counts as.
type NoDataPolicy uint8

const (
	// NoDataHold neither breaches nor passes: the rollout does not advance.
	NoDataHold NoDataPolicy = iota + 1
	// NoDataFail counts as a breaching evaluation.
	NoDataFail
	// NoDataIgnore skips the evaluation: it neither breaches, nor passes, nor holds.
	NoDataIgnore
)

var noDataNames = enumSpec[NoDataPolicy]{kind: "NoDataPolicy", names: []string{"", "hold", "fail", "ignore"}}

func (n NoDataPolicy) String() string { return noDataNames.name(n) }

// Target is a version role a trigger can watch.
type Target uint8

const (
	// TargetCanary is the canary version of a canary plan.
	TargetCanary Target = iota + 1
	// TargetGreen is the new version of a blue-green plan.
	TargetGreen
	// TargetStable is the version serving before the rollout.
	TargetStable
)

var targetNames = enumSpec[Target]{kind: "Target", names: []string{"", "canary", "green", "stable"}}

func (t Target) String() string { return targetNames.name(t) }
