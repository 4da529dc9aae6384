package raftstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/seed70a3350f/vigil/api"
)

// Timing holds the Raft timeouts. The defaults are chosen for nodes on one LAN (a hospital
// data centre): a leader that stops is noticed after HeartbeatTimeout, a new election then
// takes one to two ElectionTimeouts (randomised), so a failover normally completes in
// 0.5-1.5 s and at worst in about 2 s; docs/benchmarks.md has the measured figures.
type Timing struct {
	// HeartbeatTimeout: a follower without contact from the leader this long starts an
	// election. Default 500ms (hashicorp/raft's own default is 1s, tuned for WANs).
	HeartbeatTimeout time.Duration
	// ElectionTimeout: a candidate without a majority this long starts a new election.
	// Default 500ms.
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout: a leader that cannot reach a quorum this long steps down, so a
	// partitioned leader stops acting. Must not exceed HeartbeatTimeout. Default 500ms.
	LeaderLeaseTimeout time.Duration
	// CommitTimeout: longest wait before the leader sends pending entries. Default 20ms.
	CommitTimeout time.Duration
}

// DefaultTiming returns the LAN timings described on Timing.
func DefaultTiming() Timing {
	return Timing{HeartbeatTimeout: 500 * time.Millisecond, ElectionTimeout: 500 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond, CommitTimeout: 20 * time.Millisecond}
}

// NodeConfig configures one Raft node. Zero values take the documented defaults.
type NodeConfig struct {
	// ID is the node's stable Raft server id (e.g. "node-1"). Required.
	ID string
	// DataDir holds raft.db (log and stable store, fsynced) and snapshots/. Required
	// unless all of LogStore, StableStore and SnapshotStore are given.
	DataDir string
	// BindAddr is the Raft TCP listen address, e.g. 127.0.0.1:8300. Required unless
	// Transport is given.
	BindAddr string
	// AdvertiseAddr is the address peers dial; default BindAddr (must not be 0.0.0.0).
	AdvertiseAddr string
	Timing        Timing
	// SnapshotThreshold: log entries since the last snapshot that trigger a new one (and
	// log compaction). Default 4096.
	SnapshotThreshold uint64
	// SnapshotInterval: how often the threshold is checked. Default 30s.
	SnapshotInterval time.Duration
	// TrailingLogs: entries kept after a snapshot so slightly lagging followers catch up
	// from the log rather than a snapshot. Default 4096.
	TrailingLogs uint64
	// RetainSnapshots: snapshots kept on disk. Default 3.
	RetainSnapshots int
	Logger          hclog.Logger

	// WrapStream, when set, wraps the TCP stream layer (fault-injection tests use it to
	// partition nodes).
	WrapStream func(raft.StreamLayer) raft.StreamLayer
	// Transport, LogStore, StableStore and SnapshotStore replace the on-disk defaults (the
	// in-memory test cluster uses raft's in-memory implementations).
	Transport     raft.Transport
	LogStore      raft.LogStore
	StableStore   raft.StableStore
	SnapshotStore raft.SnapshotStore
}

func (c *NodeConfig) withDefaults() error {
	if c.ID == "" {
		return errors.New("raft node: ID is required")
	}
	d := DefaultTiming()
	if c.Timing.HeartbeatTimeout == 0 {
		c.Timing.HeartbeatTimeout = d.HeartbeatTimeout
	}
	if c.Timing.ElectionTimeout == 0 {
		c.Timing.ElectionTimeout = d.ElectionTimeout
	}
	if c.Timing.LeaderLeaseTimeout == 0 {
		c.Timing.LeaderLeaseTimeout = d.LeaderLeaseTimeout
	}
	if c.Timing.CommitTimeout == 0 {
		c.Timing.CommitTimeout = d.CommitTimeout
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 4096
	}
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = 30 * time.Second
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 4096
	}
	if c.RetainSnapshots == 0 {
		c.RetainSnapshots = 3
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.AdvertiseAddr == "" {
		c.AdvertiseAddr = c.BindAddr
	}
	needDisk := c.LogStore == nil || c.StableStore == nil || c.SnapshotStore == nil
	if needDisk && c.DataDir == "" {
		return errors.New("raft node: DataDir is required")
	}
	if c.Transport == nil && c.BindAddr == "" {
		return errors.New("raft node: BindAddr is required")
	}
	return nil
}

// ErrNotLeader is returned by writes on a node that is not the leader; errors.As to
// *NotLeaderError gives the leader's id and address when known.
var ErrNotLeader = errors.New("not the raft leader")

// NotLeaderError names the current leader, if any.
type NotLeaderError struct {
	LeaderID   string
	LeaderAddr string
}

func (e *NotLeaderError) Error() string {
	if e.LeaderID == "" {
		return "not the raft leader, and no leader is known (an election may be in progress)"
	}
	return fmt.Sprintf("not the raft leader; the leader is %s at %s", e.LeaderID, e.LeaderAddr)
}

func (e *NotLeaderError) Unwrap() error { return ErrNotLeader }

// ErrOutcomeUnknown wraps a write whose fate is not known: leadership was lost after the
// entry was appended, so it may or may not commit. Callers must not assume either.
var ErrOutcomeUnknown = errors.New("write outcome unknown")

// Node is one member of the Raft cluster with its FSM and state.
type Node struct {
	cfg       NodeConfig
	raft      *raft.Raft
	fsm       *FSM
	state     *State
	transport raft.Transport
	closers   []func() error
}

// NewNode opens (or creates) the node's stores and starts Raft. A node with no existing
// state does nothing until Bootstrap or until a leader adds it.
func NewNode(cfg NodeConfig) (*Node, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, state: NewState()}
	n.fsm = NewFSM(n.state)
	ok := false
	defer func() {
		if !ok {
			n.closeStores()
		}
	}()
	logStore, stableStore, snapStore := cfg.LogStore, cfg.StableStore, cfg.SnapshotStore
	if logStore == nil || stableStore == nil || snapStore == nil {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("raft node %s: data dir: %w", cfg.ID, err)
		}
		bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(cfg.DataDir, "raft.db")})
		if err != nil {
			return nil, fmt.Errorf("raft node %s: open %s: %w", cfg.ID, filepath.Join(cfg.DataDir, "raft.db"), err)
		}
		n.closers = append(n.closers, bolt.Close)
		cached, err := raft.NewLogCache(512, bolt)
		if err != nil {
			return nil, err
		}
		snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, cfg.RetainSnapshots, cfg.Logger.Named("snapshots"))
		if err != nil {
			return nil, fmt.Errorf("raft node %s: snapshot store: %w", cfg.ID, err)
		}
		if logStore == nil {
			logStore = cached
		}
		if stableStore == nil {
			stableStore = bolt
		}
		if snapStore == nil {
			snapStore = snaps
		}
	}
	transport := cfg.Transport
	if transport == nil {
		t, err := newTCPTransport(cfg)
		if err != nil {
			return nil, err
		}
		transport = t
		n.closers = append(n.closers, t.Close)
	}
	n.transport = transport

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.HeartbeatTimeout = cfg.Timing.HeartbeatTimeout
	rc.ElectionTimeout = cfg.Timing.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.Timing.LeaderLeaseTimeout
	rc.CommitTimeout = cfg.Timing.CommitTimeout
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = cfg.TrailingLogs
	rc.MaxAppendEntries = 256
	rc.BatchApplyCh = true
	rc.NoLegacyTelemetry = true
	rc.Logger = cfg.Logger.Named("raft")
	if err := raft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("raft node %s: %w", cfg.ID, err)
	}
	r, err := raft.NewRaft(rc, n.fsm, logStore, stableStore, snapStore, transport)
	if err != nil {
		return nil, fmt.Errorf("raft node %s: start: %w", cfg.ID, err)
	}
	n.raft = r
	ok = true
	return n, nil
}

func newTCPTransport(cfg NodeConfig) (*raft.NetworkTransport, error) {
	advertise, err := net.ResolveTCPAddr("tcp", cfg.AdvertiseAddr)
	if err != nil {
		return nil, fmt.Errorf("raft node %s: advertise address %q: %w", cfg.ID, cfg.AdvertiseAddr, err)
	}
	if advertise.IP == nil || advertise.IP.IsUnspecified() {
		return nil, fmt.Errorf("raft node %s: advertise address %q must be a routable IP, not 0.0.0.0; set it explicitly", cfg.ID, cfg.AdvertiseAddr)
	}
	lis, err := net.Listen("tcp", cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("raft node %s: listen on %s: %w", cfg.ID, cfg.BindAddr, err)
	}
	var stream raft.StreamLayer = &tcpStream{Listener: lis, advertise: advertise}
	if cfg.WrapStream != nil {
		stream = cfg.WrapStream(stream)
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: 3,
		Timeout: 2 * time.Second,
		// No pipelining: raft v1.8.0's pipeline can deadlock when a follower answers with a
		// newer term (the decoder exits while the sender waits on a full in-flight channel),
		// which stalls replication to that follower and makes Shutdown hang; the chaos test
		// caught it. raft's own measurements (hashicorp/raft#541) show pipelining gains
		// little once batching is on.
		MaxRPCsInFlight: 1,
		Logger:          cfg.Logger.Named("transport"),
	}), nil
}

// tcpStream is raft's TCP stream layer (as raft.NewTCPTransport builds it), kept here so a
// wrapper can be put around it.
type tcpStream struct {
	net.Listener
	advertise net.Addr
}

func (t *tcpStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", string(address), timeout)
}

func (t *tcpStream) Addr() net.Addr { return t.advertise }

func (n *Node) closeStores() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		_ = n.closers[i]()
	}
	n.closers = nil
}

// ID returns the node's server id.
func (n *Node) ID() string { return n.cfg.ID }

// Addr returns the address peers use to reach this node's Raft transport.
func (n *Node) Addr() string { return string(n.transport.LocalAddr()) }

// State returns the node's local view of the replicated state.
func (n *Node) State() *State { return n.state }

// Raft exposes the underlying raft instance (stats, configuration) to the agent.
func (n *Node) Raft() *raft.Raft { return n.raft }

// HasExistingState reports whether the node has Raft state on disk (so must not bootstrap).
func (n *Node) HasExistingState() bool {
	return n.raft.LastIndex() > 0
}

// Bootstrap forms a new cluster of the given voters (this node must be among them). It is
// a no-op when the node already has state, so it is safe on every start.
func (n *Node) Bootstrap(voters []api.Member) error {
	if n.HasExistingState() {
		return nil
	}
	cfg := raft.Configuration{}
	self := false
	for _, m := range voters {
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.ID), Address: raft.ServerAddress(m.RaftAddr)})
		self = self || m.ID == n.cfg.ID
	}
	if !self {
		return fmt.Errorf("bootstrap: this node %q is not among the voters", n.cfg.ID)
	}
	if err := n.raft.BootstrapCluster(cfg).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return nil
}

// IsLeader reports whether this node is the leader now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the current leader's id and Raft address ("" when unknown).
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// Apply proposes c and waits until it is committed and applied on this node (the leader).
// It returns the entry's index; a refused command returns its *api.Error and changed
// nothing. On a follower it returns a *NotLeaderError without proposing anything.
func (n *Node) Apply(ctx context.Context, c Command) (uint64, error) {
	b, err := Encode(c)
	if err != nil {
		return 0, err
	}
	return n.ApplyEncoded(ctx, b)
}

// ApplyEncoded is Apply for a command already encoded (a write forwarded by a follower).
func (n *Node) ApplyEncoded(ctx context.Context, b []byte) (uint64, error) {
	if _, _, err := decode(b); err != nil {
		return 0, &api.Error{Code: api.CodeInvalid, Message: err.Error()}
	}
	if !n.IsLeader() {
		id, addr := n.Leader()
		return 0, &NotLeaderError{LeaderID: id, LeaderAddr: addr}
	}
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
		if timeout <= 0 {
			return 0, ctx.Err()
		}
	}
	f := n.raft.Apply(b, timeout)
	if err := awaitFuture(ctx, f, timeout); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader):
			id, addr := n.Leader()
			return 0, &NotLeaderError{LeaderID: id, LeaderAddr: addr}
		case errors.Is(err, raft.ErrEnqueueTimeout):
			return 0, fmt.Errorf("raft apply: %w", err)
		default:
			// Leadership lost or shutdown after the entry may have been appended.
			return 0, fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
		}
	}
	res, ok := f.Response().(*ApplyResult)
	if !ok {
		return f.Index(), fmt.Errorf("raft apply: unexpected FSM response %T", f.Response())
	}
	if res.Err != nil {
		return res.Index, res.Err
	}
	return res.Index, nil
}

// awaitFuture waits for f's outcome like f.Error(), but for at most ctx's life and, past the
// enqueue timeout, one more timeout: hashicorp/raft can leave a future unanswered when the
// node loses leadership or shuts down at the wrong moment, and no caller may hang on it. A
// future given up on reports context.DeadlineExceeded (its outcome is then unknown); the
// goroutine waiting on it ends when raft answers it or the process exits.
func awaitFuture(ctx context.Context, f raft.Future, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	timer := time.NewTimer(2 * timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return context.DeadlineExceeded
	}
}

// WaitForIndex blocks until this node's state reflects the command entry at index (or ctx
// ends). index must be a command's index (Apply's result): raft's own applied index runs
// ahead of the state, since raft counts an entry applied once it is handed to the FSM, and
// barrier entries never reach the state at all.
func (n *Node) WaitForIndex(ctx context.Context, index uint64) error {
	for {
		ch := n.state.Changed()
		if n.state.AppliedIndex() >= index {
			return nil
		}
		timer := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("wait for index %d (applied %d): %w", index, n.raft.AppliedIndex(), ctx.Err())
		case <-ch:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// ConsistentRead makes a read of the local state linearizable: it commits a barrier entry
// through the log, which succeeds only on the leader of the current term and only after
// everything before it is applied. It fails on followers with *NotLeaderError. A barrier
// (one log write) is used instead of a lease check because a newly elected leader may not
// yet know the commit index of its predecessor's last writes.
func (n *Node) ConsistentRead(ctx context.Context) error {
	if !n.IsLeader() {
		id, addr := n.Leader()
		return &NotLeaderError{LeaderID: id, LeaderAddr: addr}
	}
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if err := awaitFuture(ctx, n.raft.Barrier(timeout), timeout); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			id, addr := n.Leader()
			return &NotLeaderError{LeaderID: id, LeaderAddr: addr}
		}
		return fmt.Errorf("consistent read: %w", err)
	}
	return nil
}

// Configuration returns the Raft configuration (voters and non-voters).
func (n *Node) Configuration() ([]raft.Server, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	return f.Configuration().Servers, nil
}

// AddVoter adds (or promotes) a voting member. Leader only.
func (n *Node) AddVoter(id, addr string) error {
	return n.membership(n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 10*time.Second))
}

// AddNonvoter adds a member that replicates the log and serves xDS but does not vote.
func (n *Node) AddNonvoter(id, addr string) error {
	return n.membership(n.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 10*time.Second))
}

// RemoveServer removes a member. Leader only.
func (n *Node) RemoveServer(id string) error {
	return n.membership(n.raft.RemoveServer(raft.ServerID(id), 0, 10*time.Second))
}

func (n *Node) membership(f raft.IndexFuture) error {
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			id, addr := n.Leader()
			return &NotLeaderError{LeaderID: id, LeaderAddr: addr}
		}
		return err
	}
	return nil
}

// Snapshot takes a snapshot now (and compacts the log).
func (n *Node) Snapshot() error {
	return n.raft.Snapshot().Error()
}

// LeaderCh signals leadership gained (true) and lost (false). There is one channel per node:
// the agent that owns the node is its only reader.
func (n *Node) LeaderCh() <-chan bool { return n.raft.LeaderCh() }

// Shutdown stops Raft and closes the stores. It does not leave the cluster.
func (n *Node) Shutdown() error {
	err := n.raft.Shutdown().Error()
	n.closeStores()
	return err
}
