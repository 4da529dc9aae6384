package judge

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// Evaluate runs judge j for subject s over window w, querying src, and returns its result.
// It never returns Pass without measured data: a failed query, missing data, unusable
// counts or an invalid judge, subject or window give a Result with Error set (Outcome
// Inconclusive). The queries run concurrently under ctx; Evaluate returns when all have
// answered. The methods are described in the package documentation.
func Evaluate(ctx context.Context, src metrics.Source, j *policies.Judge, s Subject, w Window) Result {
	r := newResult(j, s, w)
	if src == nil {
		return failed(r, errors.New("metrics source is nil"))
	}
	if err := check(j, s, w); err != nil {
		return failed(r, err)
	}
	var err error
	switch j.Method {
	case policies.MethodFarringtonManning, policies.MethodFisher:
		err = judgeRates(ctx, src, j, s, w, &r)
	case policies.MethodMannWhitney:
		err = judgeSamples(ctx, src, j, s, w, &r)
	case policies.MethodMSPRT:
		err = judgeMSPRT(ctx, src, j, s, w, &r)
	case policies.MethodSPRT:
		err = judgeSPRT(ctx, src, j, s, w, &r)
	}
	if err != nil {
		return failed(r, err)
	}
	return r
}

// newResult fills what the judge, subject and window say before anything is measured.
func newResult(j *policies.Judge, s Subject, w Window) Result {
	r := Result{Outcome: stats.Inconclusive, Evidence: Evidence{
		WindowStart: w.Start, WindowEnd: w.End,
		Candidate: Arm{Version: s.Version}, Baseline: Arm{Version: s.BaselineVersion},
	}}
	if j == nil {
		return r
	}
	r.Judge, r.Method, r.Critical = j.Name, j.Method.String(), j.Critical
	ev := &r.Evidence
	ev.Margin, ev.Alpha, ev.Confidence, ev.MinSamples = j.Margin, j.Alpha, j.Confidence, j.MinSamples
	if usesRanges(j.Method) {
		ev.Step = w.Step
	}
	if j.Range.Filename != "" {
		ev.PolicyRange = fmt.Sprintf("%s:%d", j.Range.Filename, j.Range.Start.Line)
	}
	return r
}

// failed turns r into the result of a judge that could not measure.
func failed(r Result, err error) Result {
	r.Outcome = stats.Inconclusive
	r.Error = err.Error()
	name := r.Judge
	if name == "" {
		name = "judge"
	}
	r.Evidence.Message = fmt.Sprintf("%s: could not measure: %v", name, err)
	return r
}

// decide records the outcome and the message "<judge>: <what> : <outcome>".
func decide(r *Result, o stats.Outcome, format string, args ...any) {
	r.Outcome = o
	r.Evidence.Message = fmt.Sprintf("%s (%s): %s: %s", r.Judge, r.Method, fmt.Sprintf(format, args...), o)
}

// harm converts a policy direction to the stats package's.
func harm(d policies.Direction) stats.Direction {
	switch d {
	case policies.DirectionDecrease:
		return stats.Decrease
	case policies.DirectionEither:
		return stats.Either
	default:
		return stats.Increase
	}
}

// finite returns a pointer to v, or nil when v is NaN or infinite (JSON has neither).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func count64(n int) *int64 {
	v := int64(n)
	return &v
}

// formatRate renders "0.0123 (25/2034)".
func formatRate(c stats.ArmCounts) string {
	return fmt.Sprintf("%.4g (%d/%d)", c.Rate(), c.Events, c.Trials)
}

// belowMinimum says which arm has fewer than min trials; "" when both have enough.
func belowMinimum(min uint64, c, b stats.ArmCounts) string {
	switch {
	case uint64(c.Trials) < min && uint64(b.Trials) < min:
		return fmt.Sprintf("candidate has %d and baseline %d trials, min_samples is %d per version", c.Trials, b.Trials, min)
	case uint64(c.Trials) < min:
		return fmt.Sprintf("candidate has %d trials, min_samples is %d", c.Trials, min)
	case uint64(b.Trials) < min:
		return fmt.Sprintf("baseline has %d trials, min_samples is %d", b.Trials, min)
	}
	return ""
}
