package raftstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

var (
	t0   = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	prod = router.MustParseVersion("2.2.0-PRODUCTION")
	cand = router.MustParseVersion("2.3.0-CLINICALVALID")
)

// logOf applies commands to a fresh FSM as consecutive log entries from index 1 and returns
// the FSM and each entry's result.
type fsmHarness struct {
	t     *testing.T
	fsm   *FSM
	index uint64
}

func newHarness(t *testing.T) *fsmHarness {
	return &fsmHarness{t: t, fsm: NewFSM(NewState())}
}

func (h *fsmHarness) apply(c Command) *ApplyResult {
	h.t.Helper()
	b, err := Encode(c)
	if err != nil {
		h.t.Fatal(err)
	}
	h.index++
	return h.fsm.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: b}).(*ApplyResult)
}

func (h *fsmHarness) must(c Command) uint64 {
	h.t.Helper()
	r := h.apply(c)
	if r.Err != nil {
		h.t.Fatalf("%s refused: %v", c.Type, r.Err)
	}
	return r.Index
}

func hdr(actor string) Header { return Header{Time: t0, Actor: actor} }

func addVersion(svc string, v router.Version, addrs ...string) Command {
	var bs []router.Backend
	for _, a := range addrs {
		bs = append(bs, router.Backend{Address: a})
	}
	return Command{Type: CmdUpsertVersion, Header: hdr("alice"), Body: UpsertVersionBody{Version: router.ModelVersion{Service: svc, Version: v, Backends: bs}}}
}

func setRoutes(svc string, split ...router.Split) Command {
	return Command{Type: CmdSetRoutes, Header: hdr("alice"), Body: SetRoutesBody{Routes: router.RouteTable{Service: svc, Split: split}}}
}

func snapshotBytes(t *testing.T, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	return sink.Bytes()
}

type memSink struct{ bytes.Buffer }

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { return nil }
func (m *memSink) Close() error  { return nil }

func TestApplyRoutingLifecycle(t *testing.T) {
	h := newHarness(t)
	i1 := h.must(addVersion("triage", prod, "10.0.0.1:9000"))
	i2 := h.must(addVersion("triage", cand, "10.0.0.2:9000"))
	i3 := h.must(setRoutes("triage", router.Split{Version: prod, Weight: 9000}, router.Split{Version: cand, Weight: 1000}))
	s := h.fsm.State()

	if svc := s.Service("triage"); svc == nil || svc.CreateIndex != i1 {
		t.Fatalf("service auto-created at %d: %+v", i1, svc)
	}
	if got := s.Version("triage", cand); got.CreateIndex != i2 || got.ModifyIndex != i2 || got.Change.By != "alice" {
		t.Fatalf("version record = %+v", got)
	}
	if rt := s.Routes("triage"); rt.ModifyIndex != i3 || rt.WeightOf(cand) != 1000 {
		t.Fatalf("routes = %+v", rt)
	}
	if s.TableIndex(TableRoutes) != i3 || s.TableIndex(TableVersions) != i2 || s.TableIndex(TableServices) != i1 {
		t.Fatalf("table indexes = %v", s.tableIndex)
	}

	// Removing a version that still receives traffic is refused and changes nothing.
	before := snapshotBytes(t, h.fsm)
	r := h.apply(Command{Type: CmdRemoveVersion, Header: hdr("bob"), Body: RemoveVersionBody{Service: "triage", Version: cand}})
	if r.Err == nil || r.Err.Code != api.CodeConflict || !strings.Contains(r.Err.Message, "still receives traffic (weight 10.00%") {
		t.Fatalf("remove of a weighted version = %+v", r.Err)
	}
	assertUnchangedExceptApplied(t, before, snapshotBytes(t, h.fsm))

	// Drain, then remove.
	h.must(setRoutes("triage", router.Split{Version: prod, Weight: 10000}))
	h.must(Command{Type: CmdRemoveVersion, Header: hdr("bob"), Body: RemoveVersionBody{Service: "triage", Version: cand}})
	if s.Version("triage", cand) != nil {
		t.Fatal("version still present after removal")
	}
}

func TestRefusedWritesChangeNothing(t *testing.T) {
	h := newHarness(t)
	h.must(addVersion("triage", prod, "10.0.0.1:9000"))
	routesAt := h.must(setRoutes("triage", router.Split{Version: prod, Weight: 10000}))
	stale := routesAt - 1
	zero := uint64(0)
	tests := []struct {
		name string
		cmd  Command
		code api.ErrorCode
		msg  string
	}{
		{"weights do not sum", setRoutes("triage", router.Split{Version: prod, Weight: 9999}), api.CodeInvalid, "sum to 9999"},
		{"unknown version", setRoutes("triage", router.Split{Version: cand, Weight: 10000}), api.CodeInvalid, "not registered"},
		{"bad backend", addVersion("triage", cand, "nonsense"), api.CodeInvalid, "backends[0].address = nonsense"},
		{"stale CAS", Command{Type: CmdSetRoutes, Header: Header{Time: t0, Actor: "a", CAS: &stale}, Body: SetRoutesBody{Routes: router.RouteTable{Service: "triage", Split: []router.Split{{Version: prod, Weight: 10000}}}}}, api.CodeConflict, "was modified"},
		{"create-only CAS on existing", Command{Type: CmdUpsertVersion, Header: Header{Time: t0, Actor: "a", CAS: &zero}, Body: UpsertVersionBody{Version: router.ModelVersion{Service: "triage", Version: prod, Backends: []router.Backend{{Address: "10.0.0.5:1"}}}}}, api.CodeConflict, "already exists"},
		{"deregister with versions", Command{Type: CmdDeregisterService, Header: hdr("a"), Body: DeregisterServiceBody{Name: "triage"}}, api.CodeConflict, "still has 1 versions"},
		{"remove missing", Command{Type: CmdRemoveVersion, Header: hdr("a"), Body: RemoveVersionBody{Service: "triage", Version: cand}}, api.CodeNotFound, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshotBytes(t, h.fsm)
			auditBefore := len(h.fsm.State().Audit(0, 0))
			r := h.apply(tt.cmd)
			if r.Err == nil || r.Err.Code != tt.code || !strings.Contains(r.Err.Message, tt.msg) {
				t.Fatalf("result = %+v, want %s containing %q", r.Err, tt.code, tt.msg)
			}
			assertUnchangedExceptApplied(t, before, snapshotBytes(t, h.fsm))
			if n := len(h.fsm.State().Audit(0, 0)); n != auditBefore {
				t.Fatalf("a refused write added %d audit entries", n-auditBefore)
			}
		})
	}
}

// assertUnchangedExceptApplied compares two snapshot images ignoring the applied index.
func assertUnchangedExceptApplied(t *testing.T, before, after []byte) {
	t.Helper()
	var a, b image
	if err := json.Unmarshal(before, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(after, &b); err != nil {
		t.Fatal(err)
	}
	a.Applied, b.Applied = 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("state changed by a refused write:\nbefore %s\nafter  %s", ja, jb)
	}
}

func TestSnapshotRestoreAndDeterminism(t *testing.T) {
	build := func() *fsmHarness {
		h := newHarness(t)
		h.must(addVersion("triage", prod, "10.0.0.1:9000"))
		h.must(addVersion("triage", cand, "10.0.0.2:9000", "10.0.0.3:9000"))
		h.must(setRoutes("triage", router.Split{Version: prod, Weight: 5000}, router.Split{Version: cand, Weight: 5000}))
		h.must(addVersion("sepsis", prod, "10.1.0.1:9000"))
		h.must(Command{Type: CmdRegisterMember, Header: hdr("node-1"), Body: RegisterMemberBody{Member: api.Member{ID: "node-1", RaftAddr: "127.0.0.1:1", AdminAddr: "127.0.0.1:2", Voter: true}}})
		return h
	}
	a, b := build(), build()
	sa, sb := snapshotBytes(t, a.fsm), snapshotBytes(t, b.fsm)
	if !bytes.Equal(sa, sb) {
		t.Fatal("two replicas applying the same log produced different snapshots")
	}
	restored := NewFSM(NewState())
	changed := restored.State().Changed()
	if err := restored.Restore(io.NopCloser(bytes.NewReader(sa))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("Restore did not wake watchers")
	}
	if got := snapshotBytes(t, restored); !bytes.Equal(got, sa) {
		t.Fatalf("restored snapshot differs:\n%s\n%s", got, sa)
	}
	if restored.State().AppliedIndex() != a.index {
		t.Fatalf("restored applied index %d, want %d", restored.State().AppliedIndex(), a.index)
	}
}

func TestAuditChain(t *testing.T) {
	h := newHarness(t)
	h.must(addVersion("triage", prod, "10.0.0.1:9000"))
	h.must(setRoutes("triage", router.Split{Version: prod, Weight: 10000}))
	entries := h.fsm.State().Audit(0, 0)
	if len(entries) != 3 { // service auto-created, version, routes
		t.Fatalf("audit has %d entries, want 3: %+v", len(entries), entries)
	}
	if entries[2].Action != "set-routes" || entries[2].Object != "routes/triage" || entries[2].Actor != "alice" || !entries[2].Time.Equal(t0) {
		t.Fatalf("audit entry = %+v", entries[2])
	}
	if err := VerifyAudit(entries); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	tampered := append([]api.AuditEntry(nil), entries...)
	tampered[1].Actor = "mallory"
	if err := VerifyAudit(tampered); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("altered entry: %v", err)
	}
	removed := []api.AuditEntry{entries[0], entries[2]}
	if err := VerifyAudit(removed); err == nil || !strings.Contains(err.Error(), "removed or altered") {
		t.Fatalf("removed entry: %v", err)
	}
	// A snapshot whose audit chain was altered does not restore.
	var img image
	if err := json.Unmarshal(snapshotBytes(t, h.fsm), &img); err != nil {
		t.Fatal(err)
	}
	img.Audit[0].Reason = "rewritten"
	b, _ := json.Marshal(img)
	err := NewFSM(NewState()).Restore(io.NopCloser(bytes.NewReader(b)))
	if err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("restore of a tampered snapshot = %v", err)
	}
}

func TestDecodeRejectsUnknownType(t *testing.T) {
	if _, err := Decode([]byte{200, '{', '}'}); err == nil {
		t.Fatal("unknown command type decoded")
	}
	c := setRoutes("triage", router.Split{Version: prod, Weight: 10000})
	b, err := Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil || back.Type != CmdSetRoutes || back.Body.(*SetRoutesBody).Routes.Split[0].Weight != 10000 {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
}
