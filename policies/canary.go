package policies

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Defaults of a canary block.
const (
	DefaultInitialWeight     BasisPoints = 500 // 5 %
	DefaultMaxWeight                     = FullWeight
	DefaultAckCoverage                   = 1.0
	DefaultProgressDeadline              = 10 * time.Minute
	DefaultFailedLimit                   = 0
	DefaultErrorsLimit                   = 4
	DefaultInconclusiveLimit             = 0
	DefaultGateTimeout                   = 30 * time.Second
)

// CanaryPlan moves traffic to a new version in weighted steps, checking triggers all along
// and judges at the steps that name them.
type CanaryPlan struct {
	Name string
	// InitialWeight is the canary's weight when the rollout starts, before the first step.
	InitialWeight BasisPoints
	// MaxWeight is the most traffic the canary gets before promotion; no step exceeds it.
	MaxWeight BasisPoints
	// Steps in order; weights strictly increase, the first is at least InitialWeight.
	Steps []CanaryStep
	// ConfirmBeforeStart holds the rollout until a person confirms it may start.
	ConfirmBeforeStart bool
	// ConfirmBeforePromotion holds the promotion to 100 % until a person confirms it;
	// triggers keep being evaluated while it waits.
	ConfirmBeforePromotion bool
	// HeaderRoute, when set, sends requests carrying the header to the canary whatever its
	// weight (testers reach it from the first moment).
	HeaderRoute *HeaderRoute
	// AckCoverage is the fraction (0, 1] of connected proxies that must ACK a weight change
	// before its bake time starts counting.
	AckCoverage float64
	// Limits are the analysis outcome limits.
	Limits AnalysisLimits
	// ProgressDeadline is the longest a weight change may take to become effective (proxies
	// ACKing it at AckCoverage) before the rollout fails and rolls back. Bake time and time
	// spent waiting for a person or a gate do not count.
	ProgressDeadline time.Duration
	// RollbackWindow: a rollback to a version that completed validation within this window
	// skips re-validation. Zero disables fast-tracking.
	RollbackWindow time.Duration
	// Gates are external webhooks consulted at fixed positions, in source order.
	Gates []Gate
	// Notifications receive rollout events, in source order.
	Notifications []Notification
	Range         hcl.Range
}

func (c *CanaryPlan) PlanName() string   { return c.Name }
func (c *CanaryPlan) PlanKind() PlanKind { return PlanCanary }
func (c *CanaryPlan) PlanNotifications() []Notification {
	return c.Notifications
}
func (c *CanaryPlan) DefRange() hcl.Range {
	return c.Range
}

// CanaryStep is one weight increase and the observation after it.
type CanaryStep struct {
	// Weight is the canary's weight during the step, in basis points.
	Weight BasisPoints
	// Bake is how long the step observes the canary at Weight before the next increase;
	// at least the service's evaluation interval.
	Bake time.Duration
	// Analysis names judges of the same service that run over the bake and must pass.
	Analysis []string
	// Confirm holds the increase to Weight until a person confirms it.
	Confirm bool
	Range   hcl.Range
}

// HeaderRoute pins requests whose header Header equals Value to the candidate version.
type HeaderRoute struct {
	// Header is a lowercase HTTP header name.
	Header string
	Value  string
	Range  hcl.Range
}

// AnalysisLimits are Argo-style limits on analysis outcomes. An outcome beyond its limit
// fails the rollout: Failed counts failed measurements (the condition was false), Errors
// consecutive measurement errors (query failed or timed out), Inconclusive inconclusive
// results (which otherwise pause for a person). Counts, not rates.
type AnalysisLimits struct {
	Failed       uint32
	Errors       uint32
	Inconclusive uint32
	// Range is the limits block, or the zero Range when the defaults apply.
	Range hcl.Range
}

// Gate is a webhook that must approve the rollout at the given positions.
type Gate struct {
	Name string
	// URL is an absolute http or https URL.
	URL string
	// Timeout bounds one call; a timed-out call is a refusal, never an approval.
	Timeout time.Duration
	// At lists the positions, each at most once.
	At    []GatePosition
	Range hcl.Range
}

// GatePosition is where in a rollout a gate is consulted.
type GatePosition uint8

const (
	// GateBeforeStart: before the first weight change.
	GateBeforeStart GatePosition = iota + 1
	// GateBeforeStep: before every weight increase.
	GateBeforeStep
	// GateBeforePromotion: before promotion to 100 %.
	GateBeforePromotion
)

var gatePositionNames = enumSpec[GatePosition]{kind: "GatePosition",
	names: []string{"", "before_start", "before_step", "before_promotion"}}

func (g GatePosition) String() string { return gatePositionNames.name(g) }

// Notification sends rollout events to a webhook.
type Notification struct {
	// URL is an absolute http or https URL.
	URL    string
	Format NotifyFormat
	// Events filters what is sent; empty means every event.
	Events []NotifyEvent
	Range  hcl.Range
}

// NotifyFormat is the body format of a notification.
type NotifyFormat uint8

const (
	// NotifyJSON posts Vigil's event record as JSON.
	NotifyJSON NotifyFormat = iota + 1
	// NotifySlack posts a Slack incoming-webhook message.
	NotifySlack
)

var notifyFormatNames = enumSpec[NotifyFormat]{kind: "NotifyFormat", names: []string{"", "json", "slack"}}

func (f NotifyFormat) String() string { return notifyFormatNames.name(f) }

// NotifyEvent is a rollout event a notification can subscribe to.
type NotifyEvent uint8

const (
	EventStarted NotifyEvent = iota + 1
	EventAdvanced
	EventPaused
	EventAwaitingConfirmation
	EventWarning
	EventPromoted
	EventRolledBack
	EventAborted
)

var notifyEventNames = enumSpec[NotifyEvent]{kind: "NotifyEvent", names: []string{"",
	"started", "advanced", "paused", "awaiting_confirmation", "warning", "promoted", "rolled_back", "aborted"}}

func (e NotifyEvent) String() string { return notifyEventNames.name(e) }
