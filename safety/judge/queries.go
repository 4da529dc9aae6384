package judge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// Query roles.
const (
	roleEvents  = "events"
	roleTrials  = "trials"
	roleSamples = "samples"
)

// task is one query of a judge and its answer.
type task struct {
	arm   arm
	role  string
	query string
	// at is the evaluation time of an instant query; rng is set for a range query.
	at  time.Time
	rng *metrics.Range

	sample metrics.Sample
	points []metrics.Point
	err    error
}

// instantTask renders tmpl for a with ${interval} = interval, to run at at.
func instantTask(s Subject, a arm, role string, tmpl policies.QueryTemplate, interval time.Duration, at time.Time) *task {
	return &task{arm: a, role: role, query: tmpl.Render(s.vars(a, interval)), at: at}
}

// rangeTask renders tmpl for a with ${interval} = r.Step, to run over r.
func rangeTask(s Subject, a arm, role string, tmpl policies.QueryTemplate, r metrics.Range) *task {
	return &task{arm: a, role: role, query: tmpl.Render(s.vars(a, r.Step)), rng: &r}
}

// runTasks runs every task at once and returns when all have answered. Each task's query
// is recorded in ev, in the order given.
func runTasks(ctx context.Context, src metrics.Source, ev *Evidence, tasks ...*task) {
	var wg sync.WaitGroup
	for _, t := range tasks {
		q := Query{Arm: string(t.arm), Role: t.role, Query: t.query, At: t.at}
		if t.rng != nil {
			q.Range = t.rng.String()
		}
		ev.Queries = append(ev.Queries, q)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if t.rng != nil {
				t.points, t.err = src.QueryRange(ctx, t.query, *t.rng)
			} else {
				t.sample, t.err = src.Query(ctx, t.query, t.at)
			}
		}()
	}
	wg.Wait()
}

// taskErrors joins the errors of the tasks that failed, each naming its arm and role.
// Missing data is an error too: a judge never decides on data it does not have.
func taskErrors(tasks ...*task) error {
	var errs []error
	for _, t := range tasks {
		switch {
		case t.err == nil:
		case errors.Is(t.err, metrics.ErrNoData):
			errs = append(errs, fmt.Errorf("%s %s query has no data (if no %s means zero, append `or vector(0)` to the query): %w",
				t.arm, t.role, t.role, t.err))
		default:
			errs = append(errs, fmt.Errorf("%s %s query failed: %w", t.arm, t.role, t.err))
		}
	}
	return errors.Join(errs...)
}

// maxCount bounds counts: above it a float64 no longer holds every whole number.
const maxCount = 1 << 53

// toCount turns a counter increase into a whole count. Prometheus's increase()
// extrapolates to the window's edges, so counts of whole events come back fractional;
// they are rounded to the nearest whole number.
func toCount(v float64, what string) (int, error) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s is %v; want a finite count", what, v)
	case v < -0.5:
		return 0, fmt.Errorf("%s is %v, negative; count with increase() over a counter", what, v)
	case v > maxCount:
		return 0, fmt.Errorf("%s is %v, too large to count exactly", what, v)
	}
	return int(math.Round(v)), nil
}

// armCounts turns one arm's events and trials values into counts.
func armCounts(a arm, events, trials float64) (stats.ArmCounts, error) {
	e, err := toCount(events, fmt.Sprintf("%s events", a))
	if err != nil {
		return stats.ArmCounts{}, err
	}
	n, err := toCount(trials, fmt.Sprintf("%s trials", a))
	if err != nil {
		return stats.ArmCounts{}, err
	}
	if e > n {
		return stats.ArmCounts{}, fmt.Errorf("%s events %d exceed its trials %d (raw %v and %v); the events query must count a subset of what the trials query counts",
			a, e, n, events, trials)
	}
	return stats.ArmCounts{Events: e, Trials: n}, nil
}

// look is the counts of one step of a sequential judge.
type look struct {
	at                  time.Time
	candidate, baseline stats.ArmCounts
}

// stepLooks aligns per-step events and trials by timestamp into looks, in time order.
// Steps where any series has no point are skipped and counted. Without baseline series
// (bEvents and bTrials nil) only the candidate is read.
func stepLooks(cEvents, cTrials, bEvents, bTrials []metrics.Point) (looks []look, skipped int, err error) {
	withBaseline := bEvents != nil || bTrials != nil
	series := [][]metrics.Point{cEvents, cTrials}
	if withBaseline {
		series = append(series, bEvents, bTrials)
	}
	byTime := make([]map[int64]float64, len(series))
	steps := map[int64]bool{}
	for i, ps := range series {
		byTime[i] = make(map[int64]float64, len(ps))
		for _, p := range ps {
			ms := p.Timestamp.UnixMilli()
			byTime[i][ms] = p.Value
			steps[ms] = true
		}
	}
	times := make([]int64, 0, len(steps))
	for ms := range steps {
		times = append(times, ms)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })

	for _, ms := range times {
		vals := make([]float64, len(series))
		complete := true
		for i := range series {
			v, ok := byTime[i][ms]
			complete = complete && ok
			vals[i] = v
		}
		if !complete {
			skipped++
			continue
		}
		at := time.UnixMilli(ms).UTC()
		l := look{at: at}
		if l.candidate, err = armCounts(candidateArm, vals[0], vals[1]); err != nil {
			return nil, 0, fmt.Errorf("step at %s: %w", formatTime(at), err)
		}
		if withBaseline {
			if l.baseline, err = armCounts(baselineArm, vals[2], vals[3]); err != nil {
				return nil, 0, fmt.Errorf("step at %s: %w", formatTime(at), err)
			}
		}
		looks = append(looks, l)
	}
	return looks, skipped, nil
}
