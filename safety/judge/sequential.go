package judge

import (
	"context"
	"errors"
	"fmt"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// DefaultMSPRTTau2 is msprt's mixing variance tau² when the judge's margin is 0: the
// square of one percentage point, the scale of the rate differences Vigil's judges look
// for. With a margin m > 0, tau² is m²: the mSPRT is most powerful near differences of
// size tau, and its p-values are valid whatever tau is.
const DefaultMSPRTTau2 = 1e-4

// msprtTau2 is the mixing variance for a judge with margin m.
func msprtTau2(m float64) float64 {
	if m > 0 {
		return m * m
	}
	return DefaultMSPRTTau2
}

// stepRange is the range of per-step queries: one evaluation at the end of every step of
// the window, so that each point counts the step before it.
func stepRange(w Window) metrics.Range {
	return metrics.Range{Start: w.Start.Add(w.Step), End: w.End, Step: w.Step}
}

// judgeMSPRT runs msprt: per-step events and trials of both arms (range queries with
// ${interval} = the step) are fed, in time order, to stats.MSPRTRate as one look per step,
// and its always-valid p-value decides at alpha. Direction increase fails when the test
// rejects with the candidate's rate higher and passes when it rejects with it lower;
// decrease mirrors this (non-events are fed as events); either fails on any rejection.
// The first look waits until each arm has MinSamples trials.
func judgeMSPRT(ctx context.Context, src metrics.Source, j *policies.Judge, s Subject, w Window, r *Result) error {
	looks, skipped, err := fetchLooks(ctx, src, j, s, w, r, true)
	if err != nil {
		return err
	}
	tau2 := msprtTau2(j.Margin)
	m, err := stats.NewMSPRTRate(stats.MSPRTRateConfig{Tau2: tau2, MinTrials: int(min(j.MinSamples, 1<<31-1))})
	if err != nil {
		return err
	}
	var c, b stats.ArmCounts
	for _, l := range looks {
		lc, lb := l.candidate, l.baseline
		if j.Direction == policies.DirectionDecrease {
			lc, lb = complement(lc), complement(lb)
		}
		if err := m.Update(lc, lb); err != nil {
			return fmt.Errorf("msprt look at %s: %w", formatTime(l.at), err)
		}
		c, b = add(c, l.candidate), add(b, l.baseline)
	}
	verdict, reason, err := m.Verdict(j.Alpha)
	if err != nil {
		return err
	}
	if j.Direction == policies.DirectionEither && verdict == stats.Pass {
		verdict = stats.Fail // a rejection in either direction is the harm
	}
	recordCounts(&r.Evidence, c, b)
	ev := &r.Evidence
	ev.Tau2, ev.Looks = &tau2, len(looks)
	ev.StatisticName, ev.Statistic, ev.PValue = "log_lambda", finite(m.LogLambda()), finite(m.PValue())
	if why := belowMinimum(j.MinSamples, c, b); why != "" {
		decide(r, stats.Inconclusive, "%s over %d looks", why, len(looks))
		return nil
	}
	decide(r, verdict, "candidate event rate %s vs baseline %s over %d looks of %v%s; always-valid p = %.4g at alpha %g (tau² %g): %s",
		formatRate(c), formatRate(b), len(looks), w.Step, skippedText(skipped), m.PValue(), j.Alpha, tau2, reason)
	return nil
}

// judgeSPRT runs sprt, Wald's test of the candidate's event rate P0 against P1: per-step
// events and trials of the candidate (range queries with ${interval} = the step) are fed
// in time order, one look per step; the first look waits until the candidate has
// MinSamples trials. Accepting P1 (the harmful rate) fails, accepting P0 passes, neither
// is inconclusive. With direction decrease (P1 < P0) non-events are fed as events against
// 1-P0 and 1-P1. The baseline is not queried.
func judgeSPRT(ctx context.Context, src metrics.Source, j *policies.Judge, s Subject, w Window, r *Result) error {
	looks, skipped, err := fetchLooks(ctx, src, j, s, w, r, false)
	if err != nil {
		return err
	}
	cfg := stats.SPRTConfig{P0: j.P0, P1: j.P1, Alpha: j.Alpha, Beta: j.Beta}
	if j.Direction == policies.DirectionDecrease {
		cfg.P0, cfg.P1 = 1-j.P0, 1-j.P1
	}
	test, err := stats.NewSPRT(cfg)
	if err != nil {
		return err
	}
	var total, pending stats.ArmCounts // pending: counts not yet looked at
	taken := 0
	for _, l := range looks {
		lc := l.candidate
		if j.Direction == policies.DirectionDecrease {
			lc = complement(lc)
		}
		pending = add(pending, lc)
		total = add(total, l.candidate)
		if uint64(total.Trials) < j.MinSamples {
			continue
		}
		if err := test.Observe(pending.Events, pending.Trials); err != nil {
			return fmt.Errorf("sprt look at %s: %w", formatTime(l.at), err)
		}
		pending = stats.ArmCounts{}
		taken++
	}
	ev := &r.Evidence
	ev.Candidate.Events, ev.Candidate.Trials = count64(total.Events), count64(total.Trials)
	ev.Estimate = finite(total.Rate())
	p0, p1, beta := j.P0, j.P1, j.Beta
	ev.P0, ev.P1, ev.Beta, ev.Looks = &p0, &p1, &beta, taken
	ev.StatisticName, ev.Statistic = "log_likelihood_ratio", finite(test.LogLikelihoodRatio())
	ev.DecidedAtTrials = int64(test.DecidedAt())
	if uint64(total.Trials) < j.MinSamples {
		decide(r, stats.Inconclusive, "candidate has %d trials, min_samples is %d", total.Trials, j.MinSamples)
		return nil
	}
	lower, upper := test.Bounds()
	decide(r, test.Outcome(), "candidate event rate %s over %d looks of %v%s, p0 %g p1 %g: log-likelihood ratio %.4g, bounds [%.4g, %.4g], %s",
		formatRate(total), taken, w.Step, skippedText(skipped), j.P0, j.P1, test.LogLikelihoodRatio(), lower, upper, test.Decision())
	return nil
}

// fetchLooks runs the per-step events and trials queries of the candidate (and, when
// withBaseline, of the baseline) and aligns them into looks.
func fetchLooks(ctx context.Context, src metrics.Source, j *policies.Judge, s Subject, w Window, r *Result, withBaseline bool) ([]look, int, error) {
	rng := stepRange(w)
	tasks := []*task{
		rangeTask(s, candidateArm, roleEvents, j.Events, rng),
		rangeTask(s, candidateArm, roleTrials, j.Trials, rng),
	}
	if withBaseline {
		tasks = append(tasks,
			rangeTask(s, baselineArm, roleEvents, j.Events, rng),
			rangeTask(s, baselineArm, roleTrials, j.Trials, rng))
	}
	runTasks(ctx, src, &r.Evidence, tasks...)
	if err := taskErrors(tasks...); err != nil {
		return nil, 0, err
	}
	var bEvents, bTrials []metrics.Point
	if withBaseline {
		bEvents, bTrials = tasks[2].points, tasks[3].points
	}
	looks, skipped, err := stepLooks(tasks[0].points, tasks[1].points, bEvents, bTrials)
	if err != nil {
		return nil, 0, err
	}
	if len(looks) == 0 {
		return nil, 0, errors.New("no step of the window has a value in every events and trials series")
	}
	return looks, skipped, nil
}

func add(a, b stats.ArmCounts) stats.ArmCounts {
	return stats.ArmCounts{Events: a.Events + b.Events, Trials: a.Trials + b.Trials}
}

// skippedText notes steps left out for missing points: ", 2 steps without data skipped".
func skippedText(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return ", 1 step without data skipped"
	}
	return fmt.Sprintf(", %d steps without data skipped", n)
}
