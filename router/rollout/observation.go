package rollout

import (
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/router"
)

// CommandKind is an operator's instruction.
type CommandKind uint8

const (
	// CmdPromote approves the open gate, or skips the rest of the current step's bake;
	// with Full it skips every remaining step and gate (never a failed validation).
	CmdPromote CommandKind = iota + 1
	CmdPause
	CmdResume
	// CmdAbort stops the rollout: traffic goes back to stable and it ends Aborted.
	CmdAbort
	// CmdRollback takes traffic back to stable and ends RolledBack.
	CmdRollback
)

// Command is an operator's instruction with who gave it and why.
type Command struct {
	Kind   CommandKind
	Full   bool
	By     string
	Reason string
}

// TriggerKind is a trigger's verdict in one evaluation round.
type TriggerKind uint8

const (
	TriggerHealthy TriggerKind = iota + 1
	TriggerPending
	TriggerBreached
	// TriggerNoData: no usable value; holds the rollout (unless Ignored).
	TriggerNoData
	// TriggerError: the measurement failed; holds the rollout.
	TriggerError
)

// String returns Healthy, Pending, Breached, NoData or Error (the spelling of
// api.TriggerStatus.Verdict).
func (k TriggerKind) String() string {
	switch k {
	case TriggerHealthy:
		return "Healthy"
	case TriggerPending:
		return "Pending"
	case TriggerBreached:
		return "Breached"
	case TriggerNoData:
		return "NoData"
	case TriggerError:
		return "Error"
	}
	return fmt.Sprintf("TriggerKind(%d)", uint8(k))
}

// TriggerAction is what a firing trigger asks for.
type TriggerAction uint8

const (
	ActRollbackImmediately TriggerAction = iota + 1
	ActRollbackAfterWarning
	ActPause
	ActAlert
)

// TriggerResult is one trigger's verdict for one of the rollout's versions.
type TriggerResult struct {
	// Key identifies the trigger and the version it watched ("canary/error_rate").
	Key           string
	Kind          TriggerKind
	Ignored       bool // no data that the policy says to ignore: does not hold
	Action        TriggerAction
	WarningPeriod time.Duration
	Message       string
}

// AnalysisOutcome is a judge's result.
type AnalysisOutcome uint8

const (
	AnalysisPass AnalysisOutcome = iota + 1
	AnalysisFail
	AnalysisInconclusive
	AnalysisError
)

// AnalysisResult is one judge's outcome at the end of a step.
type AnalysisResult struct {
	Judge    string
	Outcome  AnalysisOutcome
	Critical bool
	Message  string
}

// ValidationVerdict is the outcome of a clinical validation run.
type ValidationVerdict uint8

const (
	ValidationPassed ValidationVerdict = iota + 1
	ValidationFailed
	ValidationInconclusive
)

func (v ValidationVerdict) String() string {
	switch v {
	case ValidationPassed:
		return "PASSED"
	case ValidationFailed:
		return "FAILED"
	case ValidationInconclusive:
		return "INCONCLUSIVE"
	}
	return "UNKNOWN"
}

func (v ValidationVerdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

func (v *ValidationVerdict) UnmarshalText(b []byte) error {
	for _, k := range []ValidationVerdict{ValidationPassed, ValidationFailed, ValidationInconclusive} {
		if k.String() == string(b) {
			*v = k
			return nil
		}
	}
	return nil
}

// ValidationResult is a finished validation run.
type ValidationResult struct {
	RunID   string            `json:"run_id"`
	Verdict ValidationVerdict `json:"verdict"`
	Reason  string            `json:"reason,omitempty"`
}

// Coverage is how far the rollout's last route change has reached the proxies.
type Coverage struct {
	// Fraction of the proxies routing the service that ACKed it (1 when none route it).
	Fraction float64
	// Rejected lists proxies that NACKed it, with their errors.
	Rejected []string
}

// GateAnswer is the answer of a gate webhook (or an approval).
type GateAnswer struct {
	Approved bool
	By       string
	Reason   string
}

// Observation is everything the controller saw this round. Nil fields were not observed.
type Observation struct {
	Now     time.Time
	Command *Command
	// Coverage of Status.RoutesIndex (nil when no route change is outstanding).
	Coverage *Coverage
	// CandidateWarm reports whether every proxy holds the candidate's cluster and
	// endpoints (make-before-break).
	CandidateWarm bool
	// Triggers were evaluated this round (nil: not evaluated; the rollout holds its bake).
	Triggers []TriggerResult
	// Analysis answers an outstanding analysis request.
	Analysis []AnalysisResult
	// Validation answers an outstanding validation request.
	Validation *ValidationResult
	// Gate answers the open gate.
	Gate *GateAnswer
}

// weights returns the split for a candidate share w.
func (s *Spec) weights(w router.BasisPoints) []router.Split {
	return []router.Split{{Version: s.Stable, Weight: router.TotalWeight - w}, {Version: s.Candidate, Weight: w}}
}
