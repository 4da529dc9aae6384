package trigger

import (
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// Verdict is the result of one evaluation of one trigger for one subject.
type Verdict struct {
	// Trigger is the trigger's name.
	Trigger string `json:"trigger"`
	// Category and Action are copied from the trigger.
	Category policies.Category `json:"category"`
	Action   policies.Action   `json:"action"`
	Kind     VerdictKind       `json:"kind"`
	// Ignored is set on a VerdictNoData of a trigger with on_no_data = "ignore": the
	// evaluation is skipped and must neither hold nor advance the rollout.
	Ignored bool `json:"ignored,omitzero"`
	// Evidence is what a person needs to see why.
	Evidence Evidence `json:"evidence"`
}

// Evidence records what one evaluation measured and why it ended as it did. It is
// JSON-encodable: values that were not measured are nil, never NaN.
type Evidence struct {
	// Query is the trigger's query exactly as sent to Prometheus.
	Query string `json:"query"`
	// Value is the query's value; nil when it returned none.
	Value *float64 `json:"value"`
	// At is the evaluation time.
	At time.Time `json:"at"`
	// BaselineQuery is the same query rendered for the baseline version, for a baseline
	// comparison; BaselineValue its value (nil when not measured).
	BaselineQuery string   `json:"baseline_query,omitzero"`
	BaselineValue *float64 `json:"baseline_value,omitzero"`
	// Threshold is the effective bound: the fixed threshold, or baseline value times
	// ratio; nil when it could not be computed.
	Threshold *float64 `json:"threshold"`
	// Delta is the least absolute difference from the baseline that counts (baseline
	// comparisons only).
	Delta *float64 `json:"delta,omitzero"`
	// Condition is "above" or "below".
	Condition string `json:"condition"`
	// MinSamplesQuery is the rendered min_samples query, MinSamples its value and
	// MinSamplesRequired the trigger's count; empty, nil and 0 without min_samples.
	MinSamplesQuery    string   `json:"min_samples_query,omitzero"`
	MinSamples         *float64 `json:"min_samples,omitzero"`
	MinSamplesRequired uint64   `json:"min_samples_required,omitzero"`
	// For and Consecutive are the trigger's spec: how long and how many evaluations in a
	// row the condition must hold to fire. For is in nanoseconds in JSON.
	For         time.Duration `json:"for"`
	Consecutive uint32        `json:"consecutive"`
	// Breaches is the number of breaching evaluations in a row after this evaluation, and
	// BreachingSince when the run began (zero when none).
	Breaches       uint32    `json:"breaches"`
	BreachingSince time.Time `json:"breaching_since,omitzero"`
	// Error is the measurement error of a VerdictError, each failed query's error in full
	// (with the query text); empty otherwise.
	Error string `json:"error,omitzero"`
	// NoData says why a VerdictNoData (or a no-data breach with on_no_data = "fail") had
	// nothing to judge; empty otherwise.
	NoData string `json:"no_data,omitzero"`
	// Warnings are Prometheus's warnings on the queries (for example a partial response).
	Warnings []string `json:"warnings,omitzero"`
	// Message is one sentence for a person, e.g. "error_rate = 0.134, above the threshold
	// 0.1 for 3 evaluations over 2s (3 evaluations needed); firing".
	Message string `json:"message"`
	// PolicyRange is where the trigger is written, "file.hcl:40".
	PolicyRange string `json:"policy_range,omitzero"`
}
