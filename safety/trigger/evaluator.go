package trigger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// Item is one trigger to evaluate for one subject, with its clock from the last round.
type Item struct {
	Subject Subject
	Trigger *policies.Trigger
	Clock   Clock
}

// Outcome is the result of evaluating one Item: the clock to persist and the verdict.
type Outcome struct {
	Item    Item
	Clock   Clock
	Verdict Verdict
}

// RoundReport is the result of one round.
type RoundReport struct {
	// Outcomes has one entry per item, in the items' order.
	Outcomes []Outcome
	// QueriesNeeded counts the queries the items asked for (value, baseline and
	// min_samples queries of every item that could be evaluated); QueriesSent the distinct
	// ones sent to the Source. Needed - Sent is what deduplication saved.
	QueriesNeeded int
	QueriesSent   int
}

// Evaluator runs evaluation rounds. Its fields are read on every round; set them before the
// first and do not change them while a round runs. Validate reports unusable settings, and a
// round with unusable settings makes every verdict an error naming the field.
type Evaluator struct {
	// Source answers the queries. Required.
	Source metrics.Source
	// Concurrency is the most queries in flight at once, at least 1.
	Concurrency int
	// Timeout bounds a whole round (rendering, every query, stepping); queries still
	// running when it expires fail, and the triggers needing them are VerdictError.
	// Positive; keep it below the shortest evaluation interval of the services evaluated.
	// A deadline on the round's ctx that comes earlier wins.
	Timeout time.Duration
}

// Validate returns an error naming the first unusable field, or nil.
func (e *Evaluator) Validate() error {
	switch {
	case e.Source == nil:
		return errors.New("trigger: Evaluator.Source is nil; set the metrics source to query")
	case e.Concurrency < 1:
		return fmt.Errorf("trigger: Evaluator.Concurrency is %d; want at least 1", e.Concurrency)
	case e.Timeout <= 0:
		return fmt.Errorf("trigger: Evaluator.Timeout is %v; want a positive per-round deadline", e.Timeout)
	}
	return nil
}

// Round evaluates items at now and returns their outcomes in order (see Evaluate).
func (e *Evaluator) Round(ctx context.Context, now time.Time, items []Item) []Outcome {
	return e.Evaluate(ctx, now, items).Outcomes
}

// Evaluate evaluates every item at now: it renders each item's queries for its subject,
// sends each distinct (query, now) once through the Source with at most Concurrency in
// flight and within Timeout, and steps each trigger from its clock with what its queries
// returned. A query that fails makes VerdictError only for the items that need it; an item
// that cannot be evaluated (an unusable trigger or subject) is VerdictError on its own and
// sends nothing. Evaluate returns when every query has finished.
func (e *Evaluator) Evaluate(ctx context.Context, now time.Time, items []Item) RoundReport {
	report := RoundReport{Outcomes: make([]Outcome, len(items))}
	dedup, err := e.dedup()
	if err != nil {
		for i, it := range items {
			report.Outcomes[i] = refused(it, now, err)
		}
		return report
	}

	plans := make([]itemPlan, len(items))
	var reqs []metrics.Request
	for i, it := range items {
		plans[i], reqs = planItem(it, now, reqs)
	}
	report.QueriesNeeded = len(reqs)

	var results []metrics.Result
	if len(reqs) > 0 {
		rctx, cancel := context.WithTimeout(ctx, e.Timeout)
		defer cancel()
		results, report.QueriesSent = dedup.Round(rctx, reqs)
	}

	for i, it := range items {
		p := plans[i]
		if p.err != nil {
			report.Outcomes[i] = refused(it, now, p.err)
			continue
		}
		obs := Observation{
			Value:      p.value.result(reqs, results),
			Baseline:   p.baseline.result(reqs, results),
			MinSamples: p.samples.result(reqs, results),
		}
		c, v := Step(it.Trigger, it.Clock, obs, now)
		report.Outcomes[i] = Outcome{Item: it, Clock: c, Verdict: v}
	}
	return report
}

// dedup validates e and returns the Dedup that sends a round's queries.
func (e *Evaluator) dedup() (*metrics.Dedup, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	d, err := metrics.NewDedup(e.Source, e.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	return d, nil
}

// itemPlan records where an item's queries are in the round's request list.
type itemPlan struct {
	value, baseline, samples slot
	// err is why the item cannot be evaluated; nothing is asked for it.
	err error
}

// slot is a position in the round's requests, or notAsked.
type slot int

const notAsked slot = -1

// result is the answer at s, or a Result with Asked false.
func (s slot) result(reqs []metrics.Request, results []metrics.Result) Result {
	if s == notAsked {
		return Result{}
	}
	r := results[s]
	return Result{Query: reqs[s].Query, Sample: r.Sample, Err: r.Err, Asked: true}
}

// planItem renders the item's queries and appends them to reqs.
func planItem(it Item, now time.Time, reqs []metrics.Request) (itemPlan, []metrics.Request) {
	p := itemPlan{value: notAsked, baseline: notAsked, samples: notAsked}
	if err := checkTrigger(it.Trigger); err != nil {
		p.err = err
		return p, reqs
	}
	if err := it.Subject.check(it.Trigger); err != nil {
		p.err = err
		return p, reqs
	}
	add := func(q string) slot {
		reqs = append(reqs, metrics.Request{Query: q, Time: now})
		return slot(len(reqs) - 1)
	}
	t, vars := it.Trigger, it.Subject.vars()
	p.value = add(t.Query.Render(vars))
	if t.Baseline != nil {
		p.baseline = add(t.Query.Render(it.Subject.baselineVars()))
	}
	if t.MinSamples != nil {
		p.samples = add(t.MinSamples.Query.Render(vars))
	}
	return p, reqs
}

// refused is the outcome of an item that could not be evaluated.
func refused(it Item, now time.Time, err error) Outcome {
	c, v := refuse(it.Trigger, it.Clock, Observation{}, now.Round(0), err)
	return Outcome{Item: it, Clock: c, Verdict: v}
}
