package trigger

import (
	"math"
	"time"
)

// Clock is the persisted state of one trigger for one subject. The controller commits it
// through Raft after every round, so a new leader continues it. It is JSON-encodable; the
// zero value means never evaluated. Times are evaluation times given to Step, without a
// monotonic clock reading.
type Clock struct {
	// State is where the trigger is in its cycle.
	State State `json:"state"`
	// PendingSince is the evaluation time at which the current run of breaching evaluations
	// began; zero while StateInactive.
	PendingSince time.Time `json:"pending_since,omitzero"`
	// Consecutive counts the breaching evaluations of the current run. A passing evaluation
	// resets it; an evaluation that errors or holds for lack of data leaves it as it is.
	Consecutive uint32 `json:"consecutive,omitzero"`
	// FiringSince is the evaluation time at which the trigger started firing; zero unless
	// StateFiring.
	FiringSince time.Time `json:"firing_since,omitzero"`
	// Errors counts the consecutive evaluations that failed to measure (VerdictError). Any
	// evaluation whose queries answered (with a value or without data) resets it.
	Errors uint32 `json:"errors,omitzero"`
	// NoData counts the consecutive evaluations without data (with on_no_data hold or
	// fail; an ignored one leaves it as it is). An evaluation with a value resets it;
	// an evaluation that errors leaves it as it is.
	NoData uint32 `json:"no_data,omitzero"`
	// LastEvaluated is the time of the last evaluation of any kind; zero if never.
	LastEvaluated time.Time `json:"last_evaluated,omitzero"`
}

// reset is the clock after a passing evaluation at now: everything cleared.
func reset(now time.Time) Clock {
	return Clock{LastEvaluated: now}
}

// failed is prev after an evaluation at now that could not measure: the breach state and
// the no-data count are kept, Errors grows.
func failed(prev Clock, now time.Time) Clock {
	c := prev
	c.Errors = inc(c.Errors)
	c.LastEvaluated = now
	return c
}

// held is prev after a no-data evaluation at now that holds: the breach state is kept,
// NoData grows.
func held(prev Clock, now time.Time) Clock {
	c := prev
	c.Errors = 0
	c.NoData = inc(c.NoData)
	c.LastEvaluated = now
	return c
}

// skipped is prev after a no-data evaluation at now that is ignored: only Errors (the
// queries answered) and LastEvaluated change.
func skipped(prev Clock, now time.Time) Clock {
	c := prev
	c.Errors = 0
	c.LastEvaluated = now
	return c
}

// breached is prev after a breaching evaluation at now, for a trigger that fires after
// holdFor and needed breaching evaluations in a row. The trigger goes pending at the first
// breach of a run and fires once both are met; a firing trigger keeps firing while it
// breaches.
func breached(prev Clock, now time.Time, holdFor time.Duration, needed uint32) Clock {
	c := prev
	c.Errors = 0
	c.LastEvaluated = now
	c.Consecutive = inc(c.Consecutive)
	if c.State == StateInactive {
		c.State = StatePending
		c.PendingSince = now
		c.FiringSince = time.Time{}
	}
	if c.State == StatePending && now.Sub(c.PendingSince) >= holdFor && c.Consecutive >= needed {
		c.State = StateFiring
		c.FiringSince = now
	}
	return c
}

// inc adds one without wrapping around.
func inc(n uint32) uint32 {
	if n == math.MaxUint32 {
		return n
	}
	return n + 1
}
