package api

import (
	"encoding/json"
	"time"

	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// Meta carries the replicated-log indexes of a record: the index of the write that created
// it and of the last write that changed it. Writes may name the ModifyIndex they expect
// (check-and-set); 0 means "must not exist yet".
type Meta struct {
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Change records who made the last change of a record, when, and why.
type Change struct {
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// ServiceRecord is a stored service.
type ServiceRecord struct {
	router.Service
	Meta
	Change
}

// VersionRecord is a stored model version with its backends.
type VersionRecord struct {
	router.ModelVersion
	Meta
	Change
}

// RouteRecord is a stored route table.
type RouteRecord struct {
	router.RouteTable
	Meta
	Change
}

// Member is one xds-server node of the cluster.
type Member struct {
	ID        string `json:"id"`
	RaftAddr  string `json:"raft_addr"`
	AdminAddr string `json:"admin_addr"`
	XDSAddr   string `json:"xds_addr"`
	// Voter is false for non-voting members that only serve xDS.
	Voter bool `json:"voter"`
	// Leader and Reachable are filled in by the node answering, not stored.
	Leader    bool   `json:"leader,omitempty"`
	Suffrage  string `json:"suffrage,omitempty"`
	Reachable *bool  `json:"reachable,omitempty"`
}

// AuditEntry is one line of the append-only, hash-chained audit log. Hash covers every
// other field and PrevHash, so changing or removing an entry breaks the chain from there on.
type AuditEntry struct {
	// Seq is the entry's position in the log, from 1; Index the replicated-log index of the
	// write that made it (one write may make several entries).
	Seq      uint64          `json:"seq"`
	Index    uint64          `json:"index"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Old      json.RawMessage `json:"old,omitempty"`
	New      json.RawMessage `json:"new,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// WriteResult answers a committed write.
type WriteResult struct {
	// Index is the replicated-log index of the write.
	Index uint64 `json:"index"`
}

// PolicyRecord is one applied version of a policy file. The current version of each policy
// is kept with every earlier one (history); records are never changed once written.
type PolicyRecord struct {
	// Name identifies the policy (by default the file name without extension).
	Name string `json:"name"`
	// Hash is "sha256:<hex>" of the canonically formatted source: the version's identity.
	Hash     string            `json:"hash"`
	Filename string            `json:"filename"`
	Source   string            `json:"source"`
	Vars     map[string]string `json:"vars,omitempty"`
	// Services governed by this policy.
	Services []string `json:"services"`
	// Datasets maps each clinical validation data set the policy names (as written) to the
	// SHA-256 of the content uploaded with this version; the content is stored once per hash.
	Datasets map[string]string `json:"datasets,omitempty"`
	// Deleted marks the history entry of a deletion.
	Deleted bool `json:"deleted,omitempty"`
	Meta
	Change
}

// RolloutRecord is a rollout: what it was started with, where it is, and the operator
// commands it has not consumed yet.
type RolloutRecord struct {
	Spec   rollout.Spec   `json:"spec"`
	Status rollout.Status `json:"status"`
	// Pending are operator commands the controller applies at its next round, in order.
	Pending []RolloutCommand `json:"pending,omitempty"`
	// Triggers are the latest verdicts of the rollout's triggers (for people; the machine
	// uses Status.Clocks).
	Triggers []TriggerStatus `json:"triggers,omitempty"`
	// Events is the rollout's timeline, newest last (bounded).
	Events []RolloutEvent `json:"events,omitempty"`
	Meta
}

// RolloutCommand is an operator command as recorded.
type RolloutCommand struct {
	Kind   string    `json:"kind"` // promote | pause | resume | abort | rollback
	Full   bool      `json:"full,omitempty"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// TriggerStatus is one trigger's latest verdict for one version.
type TriggerStatus struct {
	Key       string    `json:"key"` // target/name, e.g. canary/error_rate
	Version   string    `json:"version"`
	Verdict   string    `json:"verdict"` // Healthy, Pending, Breached, NoData, Error
	Value     *float64  `json:"value,omitempty"`
	Threshold *float64  `json:"threshold,omitempty"`
	Query     string    `json:"query,omitempty"`
	Message   string    `json:"message,omitempty"`
	At        time.Time `json:"at"`
}

// RolloutEvent is one line of a rollout's timeline.
type RolloutEvent struct {
	At      time.Time `json:"at"`
	Index   uint64    `json:"index"`
	Phase   string    `json:"phase"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
}

// ValidationRecord is a clinical validation run of one version.
type ValidationRecord struct {
	ID            string `json:"id"`
	Service       string `json:"service"`
	Version       string `json:"version"`
	Against       string `json:"against,omitempty"`
	Validation    string `json:"validation"` // the policy's clinical_validation block
	Policy        string `json:"policy,omitempty"`
	PolicyHash    string `json:"policy_hash,omitempty"`
	Dataset       string `json:"dataset"`
	DatasetSHA256 string `json:"dataset_sha256"`
	Rollout       string `json:"rollout,omitempty"`
	// State is running or finished; Verdict PASSED, FAILED or INCONCLUSIVE when finished.
	State   string `json:"state"`
	Verdict string `json:"verdict,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Evidence is the run's complete evidence record (safety/clinical's Result).
	Evidence   json.RawMessage `json:"evidence,omitempty"`
	StartedBy  string          `json:"started_by"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at,omitzero"`
	Meta
}

// MonitorRecord holds the trigger clocks and latest verdicts of a service's stable
// version while no rollout runs, so a new leader continues the clocks.
type MonitorRecord struct {
	Service  string                     `json:"service"`
	Version  string                     `json:"version"`
	Clocks   map[string]json.RawMessage `json:"clocks,omitempty"`
	Triggers []TriggerStatus            `json:"triggers,omitempty"`
	Meta
}
