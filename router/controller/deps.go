// Package controller runs rollouts on the Raft leader. Step(ctx, now) advances every
// active rollout once, deterministically given what it observes; Run owns the ticker,
// leadership and shutdown. Every transition is committed through Raft (with the route
// change it makes, in the same entry) before any other effect, so a new leader resumes
// exactly where the old one stopped and a deposed leader cannot act: its commits fail.
//
// The controller declares the interfaces it needs; the agent wires the replicated store,
// the proxies' ACK ledgers, trigger and judge evaluation against Prometheus, clinical
// validation runs, gate webhooks and notifications into them.
package controller

import (
	"context"
	"encoding/json"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// Store is the replicated state as the controller uses it: reads of the leader's local
// state and writes committed through Raft.
type Store interface {
	Rollouts() []*api.RolloutRecord
	Routes(service string) *api.RouteRecord
	Version(service string, v router.Version) *api.VersionRecord
	Policies() []*api.PolicyRecord
	// PolicyVersion returns the policy record of a name at a hash (from its history).
	PolicyVersion(name, hash string) *api.PolicyRecord
	Monitor(service string) *api.MonitorRecord
	// UpdateRollout commits a transition; cas is the rollout's ModifyIndex as read.
	UpdateRollout(ctx context.Context, t Transition, cas uint64) (uint64, error)
	UpdateMonitor(ctx context.Context, m api.MonitorRecord) error
}

// Transition is one committed step of a rollout.
type Transition struct {
	ID       string
	Status   rollout.Status
	Routes   *router.RouteTable
	Consumed int
	Triggers []api.TriggerStatus
	Events   []api.RolloutEvent
}

// Proxies lists the connected proxies of the whole cluster.
type Proxies interface {
	ClusterProxies(ctx context.Context) []api.Proxy
}

// Subject is one version a round of triggers watches.
type Subject struct {
	Target   policies.Target
	Version  router.Version
	Baseline router.Version
}

// TriggerRequest asks for one owner's triggers (a rollout or a monitor) to be evaluated.
type TriggerRequest struct {
	Owner    string
	Service  *policies.Service
	Subjects []Subject
	// Clocks are the owner's persisted trigger clocks, by "target/trigger".
	Clocks map[string]json.RawMessage
}

// TriggerResponse is one owner's verdicts and new clocks.
type TriggerResponse struct {
	Results  []rollout.TriggerResult
	Statuses []api.TriggerStatus
	Clocks   map[string]json.RawMessage
}

// Triggers evaluates the triggers of many owners in one round, sending every distinct
// query once.
type Triggers interface {
	Round(ctx context.Context, now time.Time, reqs []TriggerRequest) []TriggerResponse
}

// Judges evaluates a step's judges over a window ending now.
type Judges interface {
	Analyse(ctx context.Context, now time.Time, svc *policies.Service, judges []string, candidate, baseline router.Version, window time.Duration) []rollout.AnalysisResult
}

// Validations runs clinical validations of rollouts asynchronously.
type Validations interface {
	// Start begins (or, after a failover, begins again) the named validation of a rollout's
	// candidate through its pin; it returns at once.
	Start(ctx context.Context, r *api.RolloutRecord, name string) error
	// Result returns the finished result of the rollout's current validation, if any.
	Result(rolloutID string) (*rollout.ValidationResult, bool)
}

// Gates asks gate webhooks asynchronously.
type Gates interface {
	// Ask starts (or continues) asking the gates of a position; nil while undecided.
	Ask(ctx context.Context, r *api.RolloutRecord, position string) *rollout.GateAnswer
}

// Notifier delivers rollout events to the policy's webhooks, with retries.
type Notifier interface {
	Notify(r *api.RolloutRecord, e api.RolloutEvent)
}
