package trigger

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

func TestStepRefusesWhatItCannotEvaluate(t *testing.T) {
	pending := Clock{State: StatePending, PendingSince: t0, Consecutive: 2, LastEvaluated: t0.Add(sec(5))}
	tests := []struct {
		name    string
		trigger *policies.Trigger
		now     timeOffset
		want    string
	}{
		{"nil trigger", nil, 6, "trigger is nil"},
		{"consecutive zero", newTrigger(t, withConsecutive(0)), 6, `trigger "error_rate" has consecutive = 0; want at least 1`},
		{"no threshold and no baseline", newTrigger(t, func(tr *policies.Trigger) { tr.Threshold = nil }), 6, "exactly one of a threshold and a baseline comparison"},
		{"unknown on_no_data", newTrigger(t, withNoData(0)), 6, "on_no_data"},
		{"unknown condition", newTrigger(t, withCondition(7)), 6, "want above or below"},
		{"zero evaluation time", newTrigger(t), zeroNow, "evaluation time is the zero time"},
		{"time going backwards", newTrigger(t), 4, "evaluation time 2026-11-25T10:00:04.000Z is before the last evaluation at 2026-11-25T10:00:05.000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, v := Step(tt.trigger, pending, value(0.5), tt.now.time())
			if v.Kind != VerdictError {
				t.Fatalf("verdict %v, want error; message %q", v.Kind, v.Evidence.Message)
			}
			if !strings.Contains(v.Evidence.Message, tt.want) || !strings.Contains(v.Evidence.Error, tt.want) {
				t.Errorf("message %q / error %q do not contain %q", v.Evidence.Message, v.Evidence.Error, tt.want)
			}
			if c.State != StatePending || c.Consecutive != 2 || !c.PendingSince.Equal(t0) || c.Errors != 1 {
				t.Errorf("clock %+v: breach state must be kept and Errors grow to 1", c)
			}
			if tt.now != zeroNow && tt.now.time().After(pending.LastEvaluated) && !c.LastEvaluated.Equal(tt.now.time()) {
				t.Errorf("LastEvaluated = %v, want %v", c.LastEvaluated, tt.now.time())
			}
			if (tt.now == zeroNow || tt.now.time().Before(pending.LastEvaluated)) && !c.LastEvaluated.Equal(pending.LastEvaluated) {
				t.Errorf("LastEvaluated = %v, want it kept at %v", c.LastEvaluated, pending.LastEvaluated)
			}
		})
	}
}

// timeOffset is an evaluation time in seconds after t0; zeroNow stands for the zero time.
type timeOffset int

const zeroNow timeOffset = -1

func (o timeOffset) time() (at time.Time) {
	if o == zeroNow {
		return at
	}
	return t0.Add(sec(int(o)))
}

func TestStepEvidence(t *testing.T) {
	t.Run("fixed threshold with min_samples", func(t *testing.T) {
		tr := newTrigger(t, withMinSamples(t, 50), withFor(sec(30)), withConsecutive(3))
		_, v := Step(tr, Clock{}, counted(0.25, 80), t0)
		ev := v.Evidence
		if v.Trigger != "error_rate" || v.Category != policies.CategoryPerformanceDegradation || v.Action != policies.ActionRollbackImmediately {
			t.Errorf("verdict names %q %v %v", v.Trigger, v.Category, v.Action)
		}
		if ev.Query != valueQuery || ev.MinSamplesQuery != samplesQuery || ev.BaselineQuery != "" {
			t.Errorf("queries %q %q %q", ev.Query, ev.MinSamplesQuery, ev.BaselineQuery)
		}
		if ev.Value == nil || *ev.Value != 0.25 || ev.MinSamples == nil || *ev.MinSamples != 80 || ev.MinSamplesRequired != 50 {
			t.Errorf("values %v %v %d", ptr(ev.Value), ptr(ev.MinSamples), ev.MinSamplesRequired)
		}
		if ev.Threshold == nil || *ev.Threshold != 0.1 || ev.Condition != "above" || ev.For != sec(30) || ev.Consecutive != 3 {
			t.Errorf("spec threshold %v condition %q for %v consecutive %d", ptr(ev.Threshold), ev.Condition, ev.For, ev.Consecutive)
		}
		if ev.PolicyRange != "policy.hcl:40" || !ev.At.Equal(t0) {
			t.Errorf("policy range %q at %v", ev.PolicyRange, ev.At)
		}
	})
	t.Run("baseline comparison", func(t *testing.T) {
		tr := newTrigger(t, withBaseline(1.5, 0.01))
		_, v := Step(tr, Clock{}, compared(0.3, 0.1), t0)
		ev := v.Evidence
		if ev.BaselineQuery != baselineQuery || ev.BaselineValue == nil || *ev.BaselineValue != 0.1 {
			t.Errorf("baseline %q = %v", ev.BaselineQuery, ptr(ev.BaselineValue))
		}
		base, ratio := 0.1, 1.5 // multiplied at run time, as Step does
		if ev.Threshold == nil || *ev.Threshold != base*ratio || ev.Delta == nil || *ev.Delta != 0.01 {
			t.Errorf("effective threshold %v delta %v, want 0.15 and 0.01", ptr(ev.Threshold), ptr(ev.Delta))
		}
	})
	t.Run("no data leaves values nil and encodes without NaN", func(t *testing.T) {
		tr := newTrigger(t, withBaseline(1.5, 0.01))
		_, v := Step(tr, Clock{}, Observation{Value: answer(valueQuery, nan()), Baseline: noDataAnswer(baselineQuery)}, t0)
		if v.Kind != VerdictNoData || v.Evidence.Value != nil || v.Evidence.BaselineValue != nil || v.Evidence.Threshold != nil {
			t.Fatalf("verdict %v value %v baseline %v threshold %v", v.Kind, ptr(v.Evidence.Value), ptr(v.Evidence.BaselineValue), ptr(v.Evidence.Threshold))
		}
		if !strings.Contains(v.Evidence.NoData, "the value query returned NaN") || !strings.Contains(v.Evidence.NoData, "the baseline query: no data") {
			t.Errorf("no-data reason %q names neither query", v.Evidence.NoData)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !strings.Contains(string(b), `"value":null`) || !strings.Contains(string(b), `"kind":"no_data"`) {
			t.Errorf("JSON %s: want value null and kind no_data", b)
		}
	})
	t.Run("an error carries the full query error", func(t *testing.T) {
		_, v := Step(newTrigger(t), Clock{}, failure(), t0)
		if !strings.Contains(v.Evidence.Error, valueQuery) || !strings.Contains(v.Evidence.Error, "connection refused") {
			t.Errorf("error %q lacks the query or the cause", v.Evidence.Error)
		}
	})
}

func ptr(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestClockJSON(t *testing.T) {
	tests := []struct {
		name  string
		clock Clock
		json  string
	}{
		{"never evaluated", Clock{}, `{"state":"inactive"}`},
		{"firing", Clock{State: StateFiring, PendingSince: t0, Consecutive: 3, FiringSince: t0.Add(sec(20)),
			Errors: 1, NoData: 2, LastEvaluated: t0.Add(sec(30))},
			`{"state":"firing","pending_since":"2026-11-25T10:00:00Z","consecutive":3,"firing_since":"2026-11-25T10:00:20Z","errors":1,"no_data":2,"last_evaluated":"2026-11-25T10:00:30Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.clock)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.json {
				t.Errorf("encoded %s, want %s", b, tt.json)
			}
			var back Clock
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back != tt.clock {
				t.Errorf("decoded %+v, want %+v", back, tt.clock)
			}
		})
	}
	t.Run("unknown state is an error", func(t *testing.T) {
		var c Clock
		err := json.Unmarshal([]byte(`{"state":"burning"}`), &c)
		if err == nil || !strings.Contains(err.Error(), `unknown state "burning"`) {
			t.Errorf("err = %v, want unknown state", err)
		}
	})
	t.Run("a clock from Step survives a round trip", func(t *testing.T) {
		c, _ := Step(newTrigger(t, withFor(sec(10))), Clock{}, value(1), t0.Add(1500*time.Millisecond))
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Clock
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		next1, v1 := Step(newTrigger(t, withFor(sec(10))), c, value(1), t0.Add(sec(12)))
		next2, v2 := Step(newTrigger(t, withFor(sec(10))), back, value(1), t0.Add(sec(12)))
		if v1.Kind != VerdictBreached || v2.Kind != v1.Kind || next1 != next2 {
			t.Errorf("stepping the decoded clock gave %v %+v, the original %v %+v", v2.Kind, next2, v1.Kind, next1)
		}
	})
}

func TestEnumText(t *testing.T) {
	for _, k := range []VerdictKind{VerdictHealthy, VerdictPending, VerdictBreached, VerdictNoData, VerdictError} {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatalf("%v: %v", k, err)
		}
		var back VerdictKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("%s decoded to %v, %v", b, back, err)
		}
	}
	if _, err := VerdictKind(0).MarshalText(); err == nil {
		t.Error("the zero VerdictKind encoded; it is not a verdict")
	}
	if got := VerdictKind(9).String(); got != "VerdictKind(9)" {
		t.Errorf("String of unknown kind = %q", got)
	}
	if got := StateFiring.String(); got != "firing" {
		t.Errorf("StateFiring.String() = %q", got)
	}
}
