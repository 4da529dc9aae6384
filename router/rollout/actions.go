package rollout

import "github.com/seed70a3350f/vigil/router"

// Action is something the controller must do after committing the new status.
type Action interface{ isAction() }

// SetRoutes changes the service's split between Stable and Candidate (other versions get
// no share) and adds or removes the rollout's pin. It is committed in the same Raft entry
// as the status. Urgent marks a rollback: it skips the make-before-break wait (stable is
// already warm) and any batching.
type SetRoutes struct {
	Split     []router.Split
	Pin       *router.HeaderPin // add or keep this pin
	RemovePin bool              // remove the rollout's pin
	Urgent    bool
	Reason    string
}

// RunValidation starts the named clinical validation against the candidate through its pin.
type RunValidation struct{ Name string }

// RunAnalysis evaluates the named judges over the current step's bake window.
type RunAnalysis struct {
	Judges []string
	Step   int
}

// CallGate asks the gate webhooks of a position.
type CallGate struct{ Position string }

// EventKind classifies notifications.
type EventKind string

const (
	EventStarted     EventKind = "started"
	EventStep        EventKind = "step"
	EventPaused      EventKind = "paused"
	EventResumed     EventKind = "resumed"
	EventGate        EventKind = "gate"
	EventWarning     EventKind = "warning"
	EventRollingBack EventKind = "rolling_back"
	EventRolledBack  EventKind = "rolled_back"
	EventPromoted    EventKind = "promoted"
	EventFailed      EventKind = "failed"
	EventAborted     EventKind = "aborted"
	EventValidation  EventKind = "validation"
	EventAlert       EventKind = "alert"
)

// Notify sends an event to the configured webhooks.
type Notify struct {
	Event   EventKind
	Message string
}

func (SetRoutes) isAction()     {}
func (RunValidation) isAction() {}
func (RunAnalysis) isAction()   {}
func (CallGate) isAction()      {}
func (Notify) isAction()        {}
