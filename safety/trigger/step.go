package trigger

import (
	"errors"
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// Step evaluates trigger t once, at evaluation time now, from the previous clock prev and
// what the evaluation's queries returned (obs). It returns the clock to persist and the
// verdict. It is pure: no wall clock, no I/O; the same arguments give the same result.
//
//   - A failed measurement (a query error other than no data, a needed query not run)
//     is VerdictError: the breach state is neither reset nor advanced, Errors grows.
//   - No data (metrics.ErrNoData, a NaN or infinite value, or a min_samples value below
//     its count) follows t.OnNoData: hold is VerdictNoData with the breach state kept and
//     NoData grown; ignore is VerdictNoData with Ignored set and the breach state and NoData
//     kept; fail counts as a breaching evaluation.
//   - A value that does not breach (t.Breached) is VerdictHealthy and resets the clock.
//   - A breaching value adds one to Consecutive; the first breach of a run makes the
//     trigger pending at now. It fires (VerdictBreached) once now - PendingSince >= t.For
//     and Consecutive >= t.Consecutive, and keeps firing while it breaches; until then the
//     verdict is VerdictPending.
//
// A trigger spec Step cannot use (see checkTrigger), a zero now, or a now before
// prev.LastEvaluated (time went backwards) is VerdictError with the reason, and prev's
// breach state is kept. Step never returns VerdictHealthy without a measured value.
func Step(t *policies.Trigger, prev Clock, obs Observation, now time.Time) (Clock, Verdict) {
	now = now.Round(0) // persisted times carry no monotonic reading
	if err := checkStep(t, prev, now); err != nil {
		return refuse(t, prev, obs, now, err)
	}
	ev := newEvidence(t, obs, now)
	m := measure(t, obs)
	ev.Value, ev.BaselineValue, ev.MinSamples, ev.Warnings = m.value, m.baseline, m.samples, m.warnings
	ev.Threshold = effectiveThreshold(t, m.baseline)

	switch {
	case len(m.failures) > 0:
		c := failed(prev, now)
		ev.Error = errors.Join(m.errs...).Error()
		ev.Message = fmt.Sprintf("%s: measurement failed (%s); %s", t.Name, joinReasons(m.failures), keptState(c))
		return c, finish(t, VerdictError, c, ev)
	case len(m.missing) > 0:
		return stepNoData(t, prev, now, ev, joinReasons(m.missing))
	}

	var base float64
	if m.baseline != nil {
		base = *m.baseline
	}
	if !t.Breached(*m.value, base) {
		c := reset(now)
		ev.Message = describeValue(t, *m.value, m.baseline, false)
		return c, finish(t, VerdictHealthy, c, ev)
	}
	c := breached(prev, now, t.For, t.Consecutive)
	c.NoData = 0
	ev.Message = describeValue(t, *m.value, m.baseline, true) + "; " + progress(t, c, now)
	return c, finish(t, breachKind(c), c, ev)
}

// stepNoData handles an evaluation without data according to t.OnNoData.
func stepNoData(t *policies.Trigger, prev Clock, now time.Time, ev Evidence, why string) (Clock, Verdict) {
	ev.NoData = why
	switch t.OnNoData {
	case policies.NoDataFail:
		c := breached(prev, now, t.For, t.Consecutive)
		c.NoData = inc(prev.NoData)
		ev.Message = fmt.Sprintf("%s: no data (%s), counted as a breach (on_no_data = fail); %s", t.Name, why, progress(t, c, now))
		return c, finish(t, breachKind(c), c, ev)
	case policies.NoDataIgnore:
		c := skipped(prev, now)
		ev.Message = fmt.Sprintf("%s: no data (%s); evaluation ignored (on_no_data = ignore): breach state kept (%s)", t.Name, why, stateText(c))
		v := finish(t, VerdictNoData, c, ev)
		v.Ignored = true
		return c, v
	default: // policies.NoDataHold; checkTrigger rejects anything else
		c := held(prev, now)
		ev.Message = fmt.Sprintf("%s: no data (%s); holding (on_no_data = hold): breach state kept (%s), %s", t.Name, why, stateText(c), countText(c.NoData, "evaluation", "without data in a row"))
		return c, finish(t, VerdictNoData, c, ev)
	}
}

// checkStep names what makes an evaluation impossible.
func checkStep(t *policies.Trigger, prev Clock, now time.Time) error {
	if err := checkTrigger(t); err != nil {
		return err
	}
	if now.IsZero() {
		return errors.New("evaluation time is the zero time; pass the round's evaluation time")
	}
	if now.Before(prev.LastEvaluated) {
		return fmt.Errorf("evaluation time %s is before the last evaluation at %s; the clock went backwards",
			formatTime(now), formatTime(prev.LastEvaluated))
	}
	return nil
}

// refuse is the result of an evaluation that could not be attempted: VerdictError with
// prev's breach state kept.
func refuse(t *policies.Trigger, prev Clock, obs Observation, now time.Time, err error) (Clock, Verdict) {
	c := prev
	c.Errors = inc(c.Errors)
	if !now.IsZero() && !now.Before(prev.LastEvaluated) {
		c.LastEvaluated = now
	}
	name := "trigger"
	var ev Evidence
	if t != nil {
		name = t.Name
		ev = newEvidence(t, obs, now)
	} else {
		t = &policies.Trigger{}
		ev = Evidence{Query: obs.Value.Query, At: now}
	}
	ev.Error = err.Error()
	ev.Message = fmt.Sprintf("%s: cannot evaluate: %v; %s", name, err, keptState(c))
	return c, finish(t, VerdictError, c, ev)
}

// newEvidence fills what the trigger spec and the queries asked say, before any value.
func newEvidence(t *policies.Trigger, obs Observation, now time.Time) Evidence {
	ev := Evidence{
		Query:       obs.Value.Query,
		At:          now,
		Condition:   t.Condition.String(),
		For:         t.For,
		Consecutive: t.Consecutive,
		PolicyRange: policyRange(t),
	}
	if t.Baseline != nil {
		ev.BaselineQuery = obs.Baseline.Query
		d := t.Baseline.Delta
		ev.Delta = &d
	}
	if t.MinSamples != nil {
		ev.MinSamplesQuery = obs.MinSamples.Query
		ev.MinSamplesRequired = t.MinSamples.Count
	}
	return ev
}

// effectiveThreshold is the bound the value is compared with: the fixed threshold, or the
// baseline value times ratio; nil when the baseline was not measured.
func effectiveThreshold(t *policies.Trigger, baseline *float64) *float64 {
	switch {
	case t.Threshold != nil:
		v := *t.Threshold
		return &v
	case baseline != nil:
		v := *baseline * t.Baseline.Ratio
		return &v
	}
	return nil
}

// finish builds the verdict and records the run of breaches in the evidence.
func finish(t *policies.Trigger, kind VerdictKind, c Clock, ev Evidence) Verdict {
	ev.Breaches = c.Consecutive
	ev.BreachingSince = c.PendingSince
	return Verdict{Trigger: t.Name, Category: t.Category, Action: t.Action, Kind: kind, Evidence: ev}
}

// breachKind is the verdict of a breaching evaluation that left the clock at c.
func breachKind(c Clock) VerdictKind {
	if c.State == StateFiring {
		return VerdictBreached
	}
	return VerdictPending
}

// policyRange renders where t is written as "file.hcl:40"; empty when unknown.
func policyRange(t *policies.Trigger) string {
	if t.Range.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", t.Range.Filename, t.Range.Start.Line)
}
