package api

import (
	"encoding/json"
	"time"

	"github.com/seed70a3350f/vigil/router"
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
	// Deleted marks the history entry of a deletion.
	Deleted bool `json:"deleted,omitempty"`
	Meta
	Change
}
