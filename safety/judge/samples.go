package judge

import (
	"context"
	"math"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// judgeSamples runs mann_whitney: the Samples query of each arm as a range query over the
// window, one value per step with ${interval} = the step, classified by
// stats.ClassifyMetric on the Hodges-Lehmann interval of the shift at the judge's
// confidence, with the margin as effect-size floor relative to the baseline's median.
func judgeSamples(ctx context.Context, src metrics.Source, j *policies.Judge, s Subject, w Window, r *Result) error {
	rng := metrics.Range{Start: w.Start, End: w.End, Step: w.Step}
	tasks := []*task{
		rangeTask(s, candidateArm, roleSamples, j.Samples, rng),
		rangeTask(s, baselineArm, roleSamples, j.Samples, rng),
	}
	runTasks(ctx, src, &r.Evidence, tasks...)
	if err := taskErrors(tasks...); err != nil {
		return err
	}
	canary, baseline := values(tasks[0].points), values(tasks[1].points)
	ev := &r.Evidence
	nc, nb := len(canary), len(baseline)
	ev.Candidate.Samples, ev.Baseline.Samples = &nc, &nb

	minimum := int(min(j.MinSamples, math.MaxInt32))
	if nc < minimum || nb < minimum {
		decide(r, stats.Inconclusive, "candidate has %d and baseline %d samples, min_samples is %d per version", nc, nb, minimum)
		return nil
	}
	mr, err := stats.ClassifyMetric(baseline, canary, stats.MetricSpec{
		Name: j.Name, Direction: harm(j.Direction), EffectSize: j.Margin, Critical: j.Critical,
		Level: j.Confidence, MinSamples: minimum,
	})
	if err != nil {
		return err
	}
	ev.Candidate.Median, ev.Baseline.Median = finite(mr.CanaryMedian), finite(mr.BaselineMedian)
	ev.Estimate = finite(mr.Shift.Estimate)
	if iv := mr.Shift.Interval; finite(iv.Lower) != nil && finite(iv.Upper) != nil {
		ev.Interval = &Interval{Lower: iv.Lower, Upper: iv.Upper, Level: iv.Level, Method: iv.Method}
	}
	ev.Floor = finite(mr.Floor)
	ev.StatisticName = ""
	ev.PValue = finite(mr.MannWhitneyP)
	decide(r, mr.Outcome, "candidate median %.4g (%d samples) vs baseline %.4g (%d samples), classified %s: %s",
		mr.CanaryMedian, nc, mr.BaselineMedian, nb, mr.Classification, mr.Reason)
	return nil
}

// values are the points' values in time order.
func values(ps []metrics.Point) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Value
	}
	return out
}
