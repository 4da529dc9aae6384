// Package trigger evaluates a service's rollback triggers against Prometheus, once per
// evaluation round, on logical time.
//
// Step is the whole state machine of one trigger for one subject (a version of a service in
// a role: canary, green or stable). It is a pure function of the trigger spec, the previous
// Clock, what the queries of this evaluation returned (an Observation) and the evaluation
// time: it reads no wall clock and runs no query. The rollout controller commits the Clock
// it returns through Raft, so a new leader continues pending-since times and consecutive
// counts where the old one stopped.
//
// Every evaluation ends in one VerdictKind:
//
//   - Healthy: the value was measured and the condition is false. The clock is reset.
//   - Pending: the condition holds but not yet for the trigger's `for` duration and
//     `consecutive` count.
//   - Breached: the trigger fires; the controller carries out its Action.
//   - NoData: nothing to judge (no series, NaN, or fewer samples than min_samples); what it
//     counts as is the trigger's on_no_data (hold, fail, ignore). Never healthy.
//   - Error: a query failed (bad query, wrong result shape, Prometheus unreachable). The
//     breach state is neither reset nor advanced; never healthy.
//
// Evaluator runs a round: it renders the queries of every (subject, trigger) item, sends each
// distinct query once through a metrics.Source with bounded concurrency and a per-round
// deadline, and steps every trigger. A failing query makes only the triggers that need it
// Error.
//
// The semantics, with examples, are documented in docs/triggers.md.
package trigger
