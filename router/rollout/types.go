// Package rollout is Vigil's rollout state machine: a pure function Next(spec, status,
// observation) -> (status, actions) over an explicit phase enum. It reads no clock and does
// no I/O: the controller observes the world (proxy ACKs, trigger verdicts, judge results,
// validation runs, gates, operator commands), calls Next, commits the new status through
// Raft together with any route change, and only then performs the other actions
// (notifications, gate calls, validation runs, analyses).
//
// Safety rules the machine enforces:
//   - a rollout advances only on positive evidence: bake time accrues only in rounds where
//     every trigger had data, a step counts as applied only when proxies ACKed its routes,
//     an analysis must pass, a validation must be PASSED;
//   - missing data or failed measurements hold the rollout, never advance it;
//   - a critical trigger rolls back at once, from any active phase (paused and waiting for
//     approval included), in one route change;
//   - a NACK pauses the rollout and alerts;
//   - manual promote, pause, resume, abort and rollback are accepted in every active phase.
package rollout

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/router"
)

// Phase is where a rollout is.
type Phase uint8

const (
	Pending Phase = iota + 1
	Validating
	Progressing
	Paused
	AwaitingApproval
	Promoting
	Promoted
	RollingBack
	RolledBack
	Aborted
	Failed
)

var phaseNames = map[Phase]string{
	Pending: "Pending", Validating: "Validating", Progressing: "Progressing", Paused: "Paused",
	AwaitingApproval: "AwaitingApproval", Promoting: "Promoting", Promoted: "Promoted",
	RollingBack: "RollingBack", RolledBack: "RolledBack", Aborted: "Aborted", Failed: "Failed",
}

func (p Phase) String() string {
	if n, ok := phaseNames[p]; ok {
		return n
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// Terminal reports whether the rollout is over.
func (p Phase) Terminal() bool {
	return p == Promoted || p == RolledBack || p == Aborted || p == Failed
}

func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *Phase) UnmarshalText(b []byte) error {
	for k, v := range phaseNames {
		if v == string(b) {
			*p = k
			return nil
		}
	}
	return fmt.Errorf("unknown rollout phase %q", b)
}

// Strategy is how traffic moves.
type Strategy uint8

const (
	// Canary moves traffic to the candidate in weighted steps.
	Canary Strategy = iota + 1
	// BlueGreen validates the green version before any traffic, then switches.
	BlueGreen
	// Restore takes production back to an earlier version: health check, clinical
	// validation (fast-tracked inside the rollback window), then a gradual restore.
	Restore
)

var strategyNames = map[Strategy]string{Canary: "canary", BlueGreen: "blue-green", Restore: "restore"}

func (s Strategy) String() string {
	if n, ok := strategyNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

func (s Strategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Strategy) UnmarshalText(b []byte) error {
	for k, v := range strategyNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("unknown rollout strategy %q", b)
}

// Step is one weight of a canary (or of a gradual switch or restore) and how long it bakes.
type Step struct {
	// Weight is the candidate's share at this step, in basis points.
	Weight router.BasisPoints `json:"weight"`
	// Bake is how long the step must be observed with data before the next one.
	Bake router.Duration `json:"bake"`
	// Analysis names the judges that must pass at the end of the bake.
	Analysis []string `json:"analysis,omitempty"`
	// Confirm waits for an approval before this step's weight is applied.
	Confirm bool `json:"confirm,omitempty"`
}

// Limits bound the analysis outcomes a rollout tolerates (Argo Rollouts' model): Failed
// (the condition was false) and Errors (the measurement failed, consecutively) beyond their
// limit roll back; Inconclusive beyond its limit waits for a person.
type Limits struct {
	Failed       uint32 `json:"failed"`
	Errors       uint32 `json:"errors"`
	Inconclusive uint32 `json:"inconclusive"`
}

// Spec is what a rollout was started with. It does not change.
type Spec struct {
	ID       string   `json:"id"`
	Service  string   `json:"service"`
	Strategy Strategy `json:"strategy"`
	Plan     string   `json:"plan"`
	Policy   string   `json:"policy"`
	// PolicyHash pins the policy version the rollout follows.
	PolicyHash string `json:"policy_hash"`
	// Stable is the version serving before the rollout (the baseline, blue, or the version
	// being restored away from); Candidate the version traffic moves to.
	Stable    router.Version `json:"stable"`
	Candidate router.Version `json:"candidate"`
	Steps     []Step         `json:"steps"`
	// TesterPin routes a header to the candidate for the whole rollout (canary testers, or
	// the validation route of blue-green and restore).
	TesterPin              *router.HeaderPin `json:"tester_pin,omitempty"`
	ConfirmBeforeStart     bool              `json:"confirm_before_start,omitempty"`
	ConfirmBeforePromotion bool              `json:"confirm_before_promotion,omitempty"`
	// AckCoverage is the fraction of the proxies routing the service that must ACK a route
	// change before it counts as applied (0 < x <= 1).
	AckCoverage float64 `json:"ack_coverage"`
	Limits      Limits  `json:"limits"`
	// Validation names the clinical validation run before traffic moves (blue-green, and
	// restore unless fast-tracked); "" for none.
	Validation string `json:"validation,omitempty"`
	// PostSwitchWindow is the monitoring after a blue-green switch; a breach rolls back to
	// blue. FastRollbackWindow is how long blue stays ready to take traffic back.
	PostSwitchWindow   router.Duration `json:"post_switch_window,omitempty"`
	FastRollbackWindow router.Duration `json:"fast_rollback_window,omitempty"`
	// ProgressDeadline bounds the wait for proxies to ACK a route change; past it the
	// rollout pauses and alerts.
	ProgressDeadline router.Duration `json:"progress_deadline"`
	// EvaluationInterval is the policy's trigger evaluation period; bake accrues between
	// evaluated rounds, at most two intervals at a time (a gap such as a leader failover
	// is not observed time).
	EvaluationInterval router.Duration `json:"evaluation_interval"`
	// FastTrack skips a restore's validation and gradual steps: the target was validated
	// within the rollback window.
	FastTrack bool      `json:"fast_track,omitempty"`
	StartedBy string    `json:"started_by"`
	StartedAt time.Time `json:"started_at"`
	Reason    string    `json:"reason,omitempty"`
}

// GateWait is an open gate: the rollout waits for an approval before Then.
type GateWait struct {
	// Position is before_start, before_step, before_promotion or validation_inconclusive.
	Position string    `json:"position"`
	Since    time.Time `json:"since"`
	// Step is the step the approval unlocks (before_step).
	Step int `json:"step,omitempty"`
}

// Status is a rollout's progress: everything Next needs besides the spec. The controller
// stores it through Raft after every transition.
type Status struct {
	Phase Phase `json:"phase"`
	// Step is the index of the current step; -1 before the first.
	Step int `json:"step"`
	// RoutesIndex is the replicated index of this rollout's last route change, and
	// RoutesApplied whether proxies have ACKed it (coverage reached).
	RoutesIndex   uint64    `json:"routes_index"`
	RoutesApplied bool      `json:"routes_applied"`
	RoutesSentAt  time.Time `json:"routes_sent_at,omitzero"`
	// RoutesPending is true between deciding a route change and committing it (the
	// controller fills RoutesIndex when it commits).
	RoutesPending bool `json:"routes_pending,omitempty"`
	// BakeObserved is the bake time accrued so far in the current step, counting only
	// rounds in which every trigger had data.
	BakeObserved router.Duration `json:"bake_observed"`
	LastTick     time.Time       `json:"last_tick,omitzero"`
	// LastEvaluated is the last round in which triggers were evaluated (or the step's
	// routes were ACKed); bake accrues from it.
	LastEvaluated time.Time `json:"last_evaluated,omitzero"`
	// AnalysisRequested is set while an analysis of the current step is outstanding.
	AnalysisRequested bool      `json:"analysis_requested,omitempty"`
	Gate              *GateWait `json:"gate,omitempty"`
	PausedFrom        Phase     `json:"paused_from,omitempty"`
	// Failed, Errors and Inconclusive count analysis outcomes against Spec.Limits.
	Failed       uint32 `json:"failed"`
	Errors       uint32 `json:"errors"`
	Inconclusive uint32 `json:"inconclusive"`
	// Warnings maps a trigger (target/name) to when its warning period started.
	Warnings map[string]time.Time `json:"warnings,omitempty"`
	// Clocks holds each trigger's persisted evaluation clock (opaque to the machine).
	Clocks map[string]json.RawMessage `json:"clocks,omitempty"`
	// ValidationRequested is set while a validation run is outstanding; Validation is the
	// last result.
	ValidationRequested bool              `json:"validation_requested,omitempty"`
	Validation          *ValidationResult `json:"validation,omitempty"`
	SwitchedAt          time.Time         `json:"switched_at,omitzero"`
	// Cause says why the rollout is rolling back or was stopped (abort, a trigger, an
	// analysis, an operator).
	Cause      string    `json:"cause,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Aborting marks a rollback that ends as Aborted (an operator's abort).
	Aborting bool `json:"aborting,omitempty"`
	// Approvals records every gate approval: position (before_step:N for steps) -> who,
	// when and why.
	Approvals map[string]Approval `json:"approvals,omitempty"`
}

// Approval is one recorded gate approval.
type Approval struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Initial returns the status of a rollout just started.
func Initial() Status { return Status{Phase: Pending, Step: -1} }
