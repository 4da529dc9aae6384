package raftstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/seed70a3350f/vigil/api"
)

// ApplyResult is what the FSM returns for every entry: the entry's index and, when the
// command was refused, why. A refused command changes nothing.
type ApplyResult struct {
	Index uint64
	Err   *api.Error
}

// FSM applies commands to a State. It is deterministic: Apply depends only on the state
// and the entry (times and actors travel in the command header).
type FSM struct {
	state *State
}

// NewFSM returns an FSM over state.
func NewFSM(state *State) *FSM { return &FSM{state: state} }

// State returns the state the FSM applies to.
func (f *FSM) State() *State { return f.state }

// change is what an applier did, for the audit log.
type change struct {
	table  string
	object string
	old    any
	new    any
	// silent changes update the table but are not audited (a rollout's per-round clocks).
	silent bool
}

// applier checks a command against the state and, only when every check passes, writes
// it. It runs under the state's write lock.
type applier func(s *State, index uint64, h Header, body json.RawMessage) ([]change, *api.Error)

var appliers = map[CommandType]applier{
	CmdRegisterService:   applyRegisterService,
	CmdDeregisterService: applyDeregisterService,
	CmdUpsertVersion:     applyUpsertVersion,
	CmdRemoveVersion:     applyRemoveVersion,
	CmdSetRoutes:         applySetRoutes,
	CmdRegisterMember:    applyRegisterMember,
	CmdRemoveMember:      applyRemoveMember,
	CmdApplyPolicy:       applyPolicy,
	CmdDeletePolicy:      applyDeletePolicy,
	CmdStartRollout:      applyStartRollout,
	CmdUpdateRollout:     applyUpdateRollout,
	CmdRolloutCommand:    applyRolloutCommand,
	CmdStartValidation:   applyStartValidation,
	CmdFinishValidation:  applyFinishValidation,
	CmdUpdateMonitor:     applyUpdateMonitor,
}

// Apply implements raft.FSM. An entry that cannot be decoded, or of an unknown type, was
// written by a newer or broken Vigil: applying anything else would fork the replicas, so
// it panics.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return &ApplyResult{Index: l.Index}
	}
	t, env, err := decode(l.Data)
	if err != nil {
		panic(fmt.Sprintf("raftstore: log entry %d: %v", l.Index, err))
	}
	apply, ok := appliers[t]
	if !ok {
		panic(fmt.Sprintf("raftstore: log entry %d: no applier for %s", l.Index, t))
	}
	s := f.state
	s.mu.Lock()
	defer s.mu.Unlock()
	changes, refused := apply(s, l.Index, env.Header, env.Body)
	s.applied = l.Index
	if refused != nil {
		return &ApplyResult{Index: l.Index, Err: refused}
	}
	for _, c := range changes {
		s.tableIndex[c.table] = l.Index
		if !c.silent {
			s.appendAuditLocked(l.Index, env.Header, t.String(), c)
		}
	}
	if len(changes) > 0 {
		s.notifyLocked()
	}
	return &ApplyResult{Index: l.Index}
}

// appendAuditLocked adds a hash-chained audit entry.
func (s *State) appendAuditLocked(index uint64, h Header, action string, c change) {
	e := api.AuditEntry{
		Seq:    uint64(len(s.audit)) + 1,
		Index:  index,
		Time:   h.Time.UTC(),
		Actor:  h.Actor,
		Action: action,
		Object: c.object,
		Old:    mustJSON(c.old),
		New:    mustJSON(c.new),
		Reason: h.Reason,
	}
	if n := len(s.audit); n > 0 {
		e.PrevHash = s.audit[n-1].Hash
	}
	e.Hash = AuditHash(e)
	s.audit = append(s.audit, e)
}

// AuditHash is the SHA-256 of an entry's canonical JSON with Hash left empty.
func AuditHash(e api.AuditEntry) string {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("raftstore: audit entry %d: %v", e.Index, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// VerifyAudit checks the hash chain of entries (a prefix or a window of the log: the first
// entry's PrevHash is taken as given). It names the first broken entry.
func VerifyAudit(entries []api.AuditEntry) error {
	for i, e := range entries {
		if got := AuditHash(e); got != e.Hash {
			return fmt.Errorf("audit entry %d: hash %s does not match its content (recomputed %s): the entry was altered", e.Seq, e.Hash, got)
		}
		if i > 0 && (e.PrevHash != entries[i-1].Hash || e.Seq != entries[i-1].Seq+1) {
			return fmt.Errorf("audit entry %d: does not follow entry %d: an entry was removed or altered", e.Seq, entries[i-1].Seq)
		}
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("raftstore: audit value: %v", err))
	}
	return b
}

// Snapshot implements raft.FSM. Records are immutable, so capturing the maps' contents
// under the read lock is enough; encoding happens outside the lock in Persist.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	s := f.state
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &fsmSnapshot{image: s.imageLocked()}, nil
}

// Restore implements raft.FSM: it replaces the whole state with the snapshot's.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var img image
	if err := json.NewDecoder(rc).Decode(&img); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	if img.Format != imageFormat {
		return fmt.Errorf("restore snapshot: format %d, want %d", img.Format, imageFormat)
	}
	return f.state.restore(img)
}

type fsmSnapshot struct{ image image }

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(s.image); err != nil {
		return errors.Join(fmt.Errorf("persist snapshot: %w", err), sink.Cancel())
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}
