package trigger

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// evaluation is one row of a Step sequence: what the queries returned at t0+at, and what
// the verdict and clock must be afterwards.
type evaluation struct {
	at          time.Duration
	obs         Observation
	kind        VerdictKind
	state       State
	consecutive uint32
	// errors and noData are the expected Clock.Errors and Clock.NoData.
	errors, noData uint32
	ignored        bool
	// pendingSince and firingSince are offsets from t0; -1 means the zero time.
	pendingSince, firingSince time.Duration
	// message fragments that must appear in the evidence message.
	message []string
}

const zeroTime time.Duration = -1

func TestStepSequences(t *testing.T) {
	tests := []struct {
		name    string
		trigger *policies.Trigger
		evals   []evaluation
	}{
		{
			name:    "fires at the first breach without for or consecutive",
			trigger: newTrigger(t),
			evals: []evaluation{
				{at: sec(0), obs: value(0.05), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime,
					message: []string{"error_rate = 0.05, not above the threshold 0.1"}},
				{at: sec(1), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 1, pendingSince: sec(1), firingSince: sec(1),
					message: []string{"error_rate = 0.2, above the threshold 0.1", "breaching for 1 evaluation over 0s (1 evaluation needed); firing since 2026-11-25T10:00:01.000Z"}},
			},
		},
		{
			name:    "breaches only after for",
			trigger: newTrigger(t, withFor(sec(3))),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime,
					message: []string{"breaching for 1 evaluation over 0s; fires at 1 evaluation and 3s"}},
				{at: sec(1), obs: value(0.3), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(2), obs: value(0.3), kind: VerdictPending, state: StatePending, consecutive: 3, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(3), obs: value(0.3), kind: VerdictBreached, state: StateFiring, consecutive: 4, pendingSince: sec(0), firingSince: sec(3)},
				{at: sec(4), obs: value(0.3), kind: VerdictBreached, state: StateFiring, consecutive: 5, pendingSince: sec(0), firingSince: sec(3)},
			},
		},
		{
			name:    "consecutive without for",
			trigger: newTrigger(t, withConsecutive(3)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(10), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(20), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 3, pendingSince: sec(0), firingSince: sec(20),
					message: []string{"breaching for 3 evaluations over 20s (3 evaluations needed)"}},
			},
		},
		{
			name:    "consecutive with for: the count is met first",
			trigger: newTrigger(t, withFor(sec(10)), withConsecutive(2)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(1), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(0), firingSince: zeroTime,
					message: []string{"fires at 2 evaluations and 10s"}},
				{at: sec(10), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 3, pendingSince: sec(0), firingSince: sec(10)},
			},
		},
		{
			name:    "consecutive with for: the duration is met first",
			trigger: newTrigger(t, withFor(sec(2)), withConsecutive(4)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(5), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(6), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 3, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(7), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 4, pendingSince: sec(0), firingSince: sec(7)},
			},
		},
		{
			name:    "a passing evaluation resets the consecutive count",
			trigger: newTrigger(t, withConsecutive(3)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(1), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(2), obs: value(0.1), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime},
				{at: sec(3), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(3), firingSince: zeroTime},
				{at: sec(4), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(3), firingSince: zeroTime},
				{at: sec(5), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 3, pendingSince: sec(3), firingSince: sec(5)},
			},
		},
		{
			name:    "a passing evaluation ends firing",
			trigger: newTrigger(t),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 1, pendingSince: sec(0), firingSince: sec(0)},
				{at: sec(1), obs: value(0.01), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime},
			},
		},
		{
			name:    "an error neither resets nor advances",
			trigger: newTrigger(t, withConsecutive(3)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(1), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(2), obs: failure(), kind: VerdictError, state: StatePending, consecutive: 2, errors: 1, pendingSince: sec(0), firingSince: zeroTime,
					message: []string{"measurement failed (the value query failed: transport error after 3 attempts: dial tcp", "breach state kept (pending, 2 breaches in a row), 1 error in a row"}},
				{at: sec(3), obs: failure(), kind: VerdictError, state: StatePending, consecutive: 2, errors: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(4), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 3, pendingSince: sec(0), firingSince: sec(4)},
				{at: sec(5), obs: failure(), kind: VerdictError, state: StateFiring, consecutive: 3, errors: 1, pendingSince: sec(0), firingSince: sec(4)},
			},
		},
		{
			name:    "an error while inactive is never healthy",
			trigger: newTrigger(t),
			evals: []evaluation{
				{at: sec(0), obs: failure(), kind: VerdictError, state: StateInactive, errors: 1, pendingSince: zeroTime, firingSince: zeroTime},
				{at: sec(1), obs: value(0.01), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime},
			},
		},
		{
			name:    "no data holds the clock",
			trigger: newTrigger(t, withConsecutive(2)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(1), obs: noValue(), kind: VerdictNoData, state: StatePending, consecutive: 1, noData: 1, pendingSince: sec(0), firingSince: zeroTime,
					message: []string{"error_rate: no data (the value query: no data: empty result); holding (on_no_data = hold): breach state kept (pending, 1 breach in a row), 1 evaluation without data in a row"}},
				{at: sec(2), obs: noValue(), kind: VerdictNoData, state: StatePending, consecutive: 1, noData: 2, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(3), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 2, pendingSince: sec(0), firingSince: sec(3)},
			},
		},
		{
			name:    "no data held while inactive stays inactive",
			trigger: newTrigger(t),
			evals: []evaluation{
				{at: sec(0), obs: noValue(), kind: VerdictNoData, state: StateInactive, noData: 1, pendingSince: zeroTime, firingSince: zeroTime},
			},
		},
		{
			name:    "no data counts as a breach with on_no_data fail",
			trigger: newTrigger(t, withNoData(policies.NoDataFail), withConsecutive(2)),
			evals: []evaluation{
				{at: sec(0), obs: noValue(), kind: VerdictPending, state: StatePending, consecutive: 1, noData: 1, pendingSince: sec(0), firingSince: zeroTime,
					message: []string{"counted as a breach (on_no_data = fail)"}},
				{at: sec(1), obs: noValue(), kind: VerdictBreached, state: StateFiring, consecutive: 2, noData: 2, pendingSince: sec(0), firingSince: sec(1)},
				{at: sec(2), obs: value(0.01), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime},
			},
		},
		{
			name:    "no data is skipped with on_no_data ignore",
			trigger: newTrigger(t, withNoData(policies.NoDataIgnore), withConsecutive(2)),
			evals: []evaluation{
				{at: sec(0), obs: value(0.2), kind: VerdictPending, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime},
				{at: sec(1), obs: noValue(), kind: VerdictNoData, ignored: true, state: StatePending, consecutive: 1, pendingSince: sec(0), firingSince: zeroTime,
					message: []string{"evaluation ignored (on_no_data = ignore)"}},
				{at: sec(2), obs: value(0.2), kind: VerdictBreached, state: StateFiring, consecutive: 2, pendingSince: sec(0), firingSince: sec(2)},
			},
		},
		{
			name:    "a NaN or infinite value is no data",
			trigger: newTrigger(t),
			evals: []evaluation{
				{at: sec(0), obs: value(nan()), kind: VerdictNoData, state: StateInactive, noData: 1, pendingSince: zeroTime, firingSince: zeroTime,
					message: []string{"the value query returned NaN"}},
				{at: sec(1), obs: value(inf()), kind: VerdictNoData, state: StateInactive, noData: 2, pendingSince: zeroTime, firingSince: zeroTime},
			},
		},
		{
			name:    "min_samples below count is no data, at count the value is judged",
			trigger: newTrigger(t, withMinSamples(t, 100)),
			evals: []evaluation{
				{at: sec(0), obs: counted(0.5, 99.5), kind: VerdictNoData, state: StateInactive, noData: 1, pendingSince: zeroTime, firingSince: zeroTime,
					message: []string{"only 99.5 samples, min_samples is 100"}},
				{at: sec(1), obs: counted(0.5, 100), kind: VerdictBreached, state: StateFiring, consecutive: 1, pendingSince: sec(1), firingSince: sec(1)},
				{at: sec(2), obs: Observation{Value: answer(valueQuery, 0.5), MinSamples: noDataAnswer(samplesQuery)}, kind: VerdictNoData,
					state: StateFiring, consecutive: 1, noData: 1, pendingSince: sec(1), firingSince: sec(1), message: []string{"the min_samples query: no data"}},
				{at: sec(3), obs: Observation{Value: answer(valueQuery, 0.5), MinSamples: failedAnswer(samplesQuery)}, kind: VerdictError,
					state: StateFiring, consecutive: 1, noData: 1, errors: 1, pendingSince: sec(1), firingSince: sec(1), message: []string{"the min_samples query failed"}},
			},
		},
		{
			name:    "baseline comparison with a ratio",
			trigger: newTrigger(t, withBaseline(1.5, 0)),
			evals: []evaluation{
				{at: sec(0), obs: compared(0.14, 0.1), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime,
					message: []string{"error_rate = 0.14, not above 0.15 (baseline 0.1 × ratio 1.5)"}},
				{at: sec(1), obs: compared(0.16, 0.1), kind: VerdictBreached, state: StateFiring, consecutive: 1, pendingSince: sec(1), firingSince: sec(1),
					message: []string{"error_rate = 0.16, above 0.15 (baseline 0.1 × ratio 1.5) and more than 0 from the baseline"}},
			},
		},
		{
			name:    "baseline comparison with a delta",
			trigger: newTrigger(t, withBaseline(1, 0.05)),
			evals: []evaluation{
				{at: sec(0), obs: compared(0.14, 0.1), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime,
					message: []string{"above 0.1 (baseline 0.1 × ratio 1) but within 0.05 of the baseline"}},
				{at: sec(1), obs: compared(0.16, 0.1), kind: VerdictBreached, state: StateFiring, consecutive: 1, pendingSince: sec(1), firingSince: sec(1)},
			},
		},
		{
			name:    "baseline comparison below with ratio and delta",
			trigger: newTrigger(t, withCondition(policies.ConditionBelow), withBaseline(0.9, 0.02)),
			evals: []evaluation{
				{at: sec(0), obs: compared(0.89, 0.95), kind: VerdictHealthy, state: StateInactive, pendingSince: zeroTime, firingSince: zeroTime},
				{at: sec(1), obs: compared(0.80, 0.95), kind: VerdictBreached, state: StateFiring, consecutive: 1, pendingSince: sec(1), firingSince: sec(1)},
			},
		},
		{
			name:    "baseline without data is no data, a failed baseline an error",
			trigger: newTrigger(t, withBaseline(1.5, 0)),
			evals: []evaluation{
				{at: sec(0), obs: Observation{Value: answer(valueQuery, 0.5), Baseline: noDataAnswer(baselineQuery)}, kind: VerdictNoData,
					state: StateInactive, noData: 1, pendingSince: zeroTime, firingSince: zeroTime, message: []string{"the baseline query: no data: empty result"}},
				{at: sec(1), obs: Observation{Value: answer(valueQuery, 0.5), Baseline: failedAnswer(baselineQuery)}, kind: VerdictError,
					state: StateInactive, noData: 1, errors: 1, pendingSince: zeroTime, firingSince: zeroTime, message: []string{"the baseline query failed"}},
				{at: sec(2), obs: Observation{Value: answer(valueQuery, 0.5)}, kind: VerdictError,
					state: StateInactive, noData: 1, errors: 2, pendingSince: zeroTime, firingSince: zeroTime, message: []string{"the baseline query was not run"}},
			},
		},
		{
			name:    "an error outweighs missing data",
			trigger: newTrigger(t, withBaseline(1.5, 0), withNoData(policies.NoDataFail)),
			evals: []evaluation{
				{at: sec(0), obs: Observation{Value: noDataAnswer(valueQuery), Baseline: failedAnswer(baselineQuery)}, kind: VerdictError,
					state: StateInactive, errors: 1, pendingSince: zeroTime, firingSince: zeroTime},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clock Clock
			for i, e := range tt.evals {
				now := t0.Add(e.at)
				next, v := Step(tt.trigger, clock, e.obs, now)
				checkEvaluation(t, i, e, next, v)
				if !next.LastEvaluated.Equal(now) {
					t.Errorf("evaluation %d: LastEvaluated = %v, want %v", i, next.LastEvaluated, now)
				}
				clock = next
			}
		})
	}
}

func checkEvaluation(t *testing.T, i int, e evaluation, c Clock, v Verdict) {
	t.Helper()
	if v.Kind != e.kind || v.Ignored != e.ignored {
		t.Errorf("evaluation %d at +%v: verdict %v (ignored %v), want %v (ignored %v); message %q", i, e.at, v.Kind, v.Ignored, e.kind, e.ignored, v.Evidence.Message)
	}
	if c.State != e.state || c.Consecutive != e.consecutive || c.Errors != e.errors || c.NoData != e.noData {
		t.Errorf("evaluation %d at +%v: clock state %v consecutive %d errors %d noData %d, want %v %d %d %d",
			i, e.at, c.State, c.Consecutive, c.Errors, c.NoData, e.state, e.consecutive, e.errors, e.noData)
	}
	checkTime(t, fmt.Sprintf("evaluation %d: PendingSince", i), c.PendingSince, e.pendingSince)
	checkTime(t, fmt.Sprintf("evaluation %d: FiringSince", i), c.FiringSince, e.firingSince)
	for _, want := range e.message {
		if !strings.Contains(v.Evidence.Message, want) {
			t.Errorf("evaluation %d: message %q does not contain %q", i, v.Evidence.Message, want)
		}
	}
	if v.Evidence.Breaches != c.Consecutive || !v.Evidence.BreachingSince.Equal(c.PendingSince) {
		t.Errorf("evaluation %d: evidence breaches %d since %v, clock %d since %v", i, v.Evidence.Breaches, v.Evidence.BreachingSince, c.Consecutive, c.PendingSince)
	}
	if _, err := json.Marshal(v); err != nil {
		t.Errorf("evaluation %d: verdict does not encode as JSON: %v", i, err)
	}
}

func checkTime(t *testing.T, what string, got time.Time, want time.Duration) {
	t.Helper()
	if want == zeroTime {
		if !got.IsZero() {
			t.Errorf("%s = %v, want the zero time", what, got)
		}
		return
	}
	if !got.Equal(t0.Add(want)) {
		t.Errorf("%s = %v, want t0+%v", what, got, want)
	}
}
