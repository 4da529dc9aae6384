package judge

import (
	"context"
	"fmt"
	"math"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// judgeRates runs farrington_manning and fisher: events and trials of each arm as instant
// queries at the window's end, with ${interval} = the window's length.
func judgeRates(ctx context.Context, src metrics.Source, j *policies.Judge, s Subject, w Window, r *Result) error {
	length := w.Length()
	tasks := []*task{
		instantTask(s, candidateArm, roleEvents, j.Events, length, w.End),
		instantTask(s, candidateArm, roleTrials, j.Trials, length, w.End),
		instantTask(s, baselineArm, roleEvents, j.Events, length, w.End),
		instantTask(s, baselineArm, roleTrials, j.Trials, length, w.End),
	}
	runTasks(ctx, src, &r.Evidence, tasks...)
	if err := taskErrors(tasks...); err != nil {
		return err
	}
	c, err := armCounts(candidateArm, tasks[0].sample.Value, tasks[1].sample.Value)
	if err != nil {
		return err
	}
	b, err := armCounts(baselineArm, tasks[2].sample.Value, tasks[3].sample.Value)
	if err != nil {
		return err
	}
	recordCounts(&r.Evidence, c, b)
	if why := belowMinimum(j.MinSamples, c, b); why != "" {
		decide(r, stats.Inconclusive, "%s", why)
		return nil
	}
	if j.Method == policies.MethodFisher {
		return fisher(j, c, b, r)
	}
	return farringtonManning(j, c, b, r)
}

// recordCounts puts both arms' counts and the difference of their rates in ev.
func recordCounts(ev *Evidence, c, b stats.ArmCounts) {
	ev.Candidate.Events, ev.Candidate.Trials = count64(c.Events), count64(c.Trials)
	ev.Baseline.Events, ev.Baseline.Trials = count64(b.Events), count64(b.Trials)
	ev.Estimate = finite(c.Rate() - b.Rate())
}

// complement counts the non-events of an arm as its events, so that a test for "more
// events is worse" becomes one for "fewer events is worse".
func complement(a stats.ArmCounts) stats.ArmCounts {
	return stats.ArmCounts{Events: a.Trials - a.Events, Trials: a.Trials}
}

// farringtonManning decides on the Farrington-Manning interval of candidate - baseline
// event rate at the judge's confidence: with direction increase it fails when the lower
// bound is above the margin and passes when the upper bound is below it; decrease mirrors
// this (fails when the upper bound is below -margin, passes when the lower bound is above
// -margin); either needs both passes and fails on either failure.
func farringtonManning(j *policies.Judge, c, b stats.ArmCounts, r *Result) error {
	higher, err := stats.RateNonInferiority(c, b, j.Margin, j.Confidence)
	if err != nil {
		return err
	}
	lower, err := stats.RateNonInferiority(complement(c), complement(b), j.Margin, j.Confidence)
	if err != nil {
		return err
	}
	var tests []stats.NonInferiorityResult
	switch j.Direction {
	case policies.DirectionIncrease:
		tests = []stats.NonInferiorityResult{higher}
	case policies.DirectionDecrease:
		tests = []stats.NonInferiorityResult{lower}
	default:
		tests = []stats.NonInferiorityResult{higher, lower}
	}
	outcome, deciding := stats.Pass, tests[0]
	for _, t := range tests {
		switch {
		case t.Outcome == stats.Fail:
			outcome, deciding = stats.Fail, t
		case t.Outcome == stats.Inconclusive && outcome == stats.Pass:
			outcome, deciding = stats.Inconclusive, t
		}
	}
	iv := higher.Interval // of the event-rate difference, whatever the direction
	ev := &r.Evidence
	ev.Interval = &Interval{Lower: iv.Lower, Upper: iv.Upper, Level: iv.Level, Method: iv.Method}
	ev.StatisticName, ev.Statistic, ev.PValue = "z", finite(deciding.Z), finite(deciding.PValue)
	decide(r, outcome, "candidate event rate %s vs baseline %s, difference %+.4g, %g%% interval [%.4g, %.4g]; %s",
		formatRate(c), formatRate(b), iv.Estimate, 100*j.Confidence, iv.Lower, iv.Upper, rateReason(j, outcome))
	return nil
}

// rateReason says what an outcome of a rate judge means for its direction and margin.
func rateReason(j *policies.Judge, o stats.Outcome) string {
	m := j.Margin
	switch {
	case o == stats.Pass && j.Direction == policies.DirectionIncrease:
		return fmt.Sprintf("the upper bound is below the margin %g: not worse", m)
	case o == stats.Pass && j.Direction == policies.DirectionDecrease:
		return fmt.Sprintf("the lower bound is above -%g: not worse", m)
	case o == stats.Pass:
		return fmt.Sprintf("the interval lies within ±%g: no harmful change", m)
	case o == stats.Fail && j.Direction == policies.DirectionIncrease:
		return fmt.Sprintf("the candidate's rate is higher by more than the margin %g", m)
	case o == stats.Fail && j.Direction == policies.DirectionDecrease:
		return fmt.Sprintf("the candidate's rate is lower by more than the margin %g", m)
	case o == stats.Fail:
		return fmt.Sprintf("the candidate's rate differs by more than the margin %g", m)
	default:
		return fmt.Sprintf("the interval reaches the margin %g: more trials needed to decide", m)
	}
}

// fisher decides with Fisher's exact test, which tests equal rates and cannot carry a
// margin: it fails when the test (one-sided in the harmful direction, two-sided for
// either) rejects at alpha and the observed difference exceeds the margin in the harmful
// direction; a rejection within the margin is inconclusive; without a rejection it passes
// when a conservative exact interval of the difference (each arm's Clopper-Pearson
// interval at level 1 - (1-confidence)/2, combined) lies within the margin on the harmful
// side; otherwise it is inconclusive.
func fisher(j *policies.Judge, c, b stats.ArmCounts, r *Result) error {
	alt := map[policies.Direction]stats.Alternative{
		policies.DirectionIncrease: stats.Greater,
		policies.DirectionDecrease: stats.Less,
		policies.DirectionEither:   stats.TwoSided,
	}[j.Direction]
	fr, err := stats.FisherExact(c, b, alt, j.Alpha)
	if err != nil {
		return err
	}
	iv, err := exactDifferenceInterval(c, b, j.Confidence)
	if err != nil {
		return err
	}
	diff, m := c.Rate()-b.Rate(), j.Margin
	var beyond, within bool
	switch j.Direction {
	case policies.DirectionIncrease:
		beyond, within = diff > m, iv.Upper < m
	case policies.DirectionDecrease:
		beyond, within = diff < -m, iv.Lower > -m
	default:
		beyond, within = math.Abs(diff) > m, iv.Lower > -m && iv.Upper < m
	}
	significant := fr.PValue < j.Alpha // false for NaN (an empty margin of the table)
	var outcome stats.Outcome
	var why string
	switch {
	case significant && beyond:
		outcome, why = stats.Fail, fmt.Sprintf("Fisher's exact p = %.4g < alpha %g (%s) and the difference is beyond the margin %g", fr.PValue, j.Alpha, alt, m)
	case significant:
		// A significant change in the harmful direction is never promoted automatically,
		// even when it stays inside the margin: a person decides.
		why = fmt.Sprintf("Fisher's exact p = %.4g < alpha %g (%s) but the difference is within the margin %g", fr.PValue, j.Alpha, alt, m)
	case within:
		outcome, why = stats.Pass, fmt.Sprintf("the exact interval lies within the margin %g on the harmful side", m)
	default:
		why = fmt.Sprintf("Fisher's exact p = %.4g (%s) does not reject and the exact interval reaches the margin %g", fr.PValue, alt, m)
	}
	ev := &r.Evidence
	ev.Interval = &iv
	ev.PValue = finite(fr.PValue)
	decide(r, outcome, "candidate event rate %s vs baseline %s, difference %+.4g, %g%% exact interval [%.4g, %.4g]; %s",
		formatRate(c), formatRate(b), diff, 100*j.Confidence, iv.Lower, iv.Upper, why)
	return nil
}

// exactDifferenceInterval bounds p_candidate - p_baseline at two-sided level by combining
// each arm's Clopper-Pearson interval at 1 - (1-level)/2 (Bonferroni): coverage is at least
// level. Both arms need at least one trial.
func exactDifferenceInterval(c, b stats.ArmCounts, level float64) (Interval, error) {
	armLevel := 1 - (1-level)/2
	ci, err := stats.ClopperPearson(c.Events, c.Trials, armLevel)
	if err != nil {
		return Interval{}, err
	}
	bi, err := stats.ClopperPearson(b.Events, b.Trials, armLevel)
	if err != nil {
		return Interval{}, err
	}
	return Interval{Lower: ci.Lower - bi.Upper, Upper: ci.Upper - bi.Lower, Level: level,
		Method: "clopper-pearson-bonferroni"}, nil
}
