package raftstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

// memCluster is an in-memory Raft cluster of Nodes for fast tests: raft's in-memory
// transport and stores, short timeouts. Stores survive a node's shutdown, so a node can be
// restarted with its state.
type memCluster struct {
	t          *testing.T
	nodes      []*Node
	transports []*raft.InmemTransport
	logs       []*raft.InmemStore
	snaps      []*raft.InmemSnapshotStore
	threshold  uint64
}

func fastTiming() Timing {
	return Timing{HeartbeatTimeout: 250 * time.Millisecond, ElectionTimeout: 250 * time.Millisecond,
		LeaderLeaseTimeout: 125 * time.Millisecond, CommitTimeout: 5 * time.Millisecond}
}

// newMemCluster starts n connected nodes and bootstraps them as voters.
func newMemCluster(t *testing.T, n int, snapshotThreshold uint64) *memCluster {
	t.Helper()
	c := &memCluster{t: t, threshold: snapshotThreshold}
	for i := 0; i < n; i++ {
		_, tr := raft.NewInmemTransport(raft.ServerAddress(fmt.Sprintf("node-%d", i)))
		c.transports = append(c.transports, tr)
		c.logs = append(c.logs, raft.NewInmemStore())
		c.snaps = append(c.snaps, raft.NewInmemSnapshotStore())
	}
	c.connectAll()
	var voters []api.Member
	for i := 0; i < n; i++ {
		voters = append(voters, api.Member{ID: c.id(i), RaftAddr: c.id(i)})
	}
	for i := 0; i < n; i++ {
		c.nodes = append(c.nodes, c.start(i))
	}
	if err := c.nodes[0].Bootstrap(voters); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			if nd != nil {
				_ = nd.Shutdown()
			}
		}
	})
	return c
}

func (c *memCluster) id(i int) string { return fmt.Sprintf("node-%d", i) }

func (c *memCluster) start(i int) *Node {
	c.t.Helper()
	nd, err := NewNode(NodeConfig{
		ID: c.id(i), Timing: fastTiming(), SnapshotThreshold: c.threshold, TrailingLogs: 10,
		SnapshotInterval: 100 * time.Millisecond,
		Transport:        c.transports[i], LogStore: c.logs[i], StableStore: c.logs[i], SnapshotStore: c.snaps[i],
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return nd
}

func (c *memCluster) connectAll() {
	for i, a := range c.transports {
		for j, b := range c.transports {
			if i != j {
				a.Connect(b.LocalAddr(), b)
			}
		}
	}
}

// isolate cuts node i off from every other node (both directions).
func (c *memCluster) isolate(i int) {
	c.transports[i].DisconnectAll()
	for j, tr := range c.transports {
		if j != i {
			tr.Disconnect(c.transports[i].LocalAddr())
		}
	}
}

func (c *memCluster) heal() { c.connectAll() }

// leader waits for a leader among the running nodes other than the excluded ones.
func (c *memCluster) leader(exclude ...int) (int, *Node) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for i, nd := range c.nodes {
			skip := nd == nil
			for _, x := range exclude {
				skip = skip || x == i
			}
			if !skip && nd.IsLeader() {
				return i, nd
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatal("no leader elected within 10s")
	return -1, nil
}

// applyRetry applies an idempotent command through whichever node leads, through elections
// and writes of unknown outcome (a loaded machine can cost a leader its term), for up to
// 20 s. It returns the entry's index and the index of the node that committed it.
func (c *memCluster) applyRetry(cmd Command, exclude ...int) (uint64, int) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		li, nd := c.leader(exclude...)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		idx, err := nd.Apply(ctx, cmd)
		cancel()
		if err == nil {
			return idx, li
		}
		var apiErr *api.Error
		if errors.As(err, &apiErr) || time.Now().After(deadline) {
			c.t.Fatalf("apply %s: %v", cmd.Type, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *memCluster) kill(i int) {
	if err := c.nodes[i].raft.Shutdown().Error(); err != nil {
		c.t.Fatal(err)
	}
	c.nodes[i] = nil
}

// waitConverged waits until every running node has applied index and their states encode
// identically.
func (c *memCluster) waitConverged(index uint64) []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var first []byte
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		if err := nd.WaitForIndex(ctx, index); err != nil {
			c.t.Fatalf("%s: %v", c.id(i), err)
		}
	}
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		img := stateImage(c.t, nd)
		if first == nil {
			first = img
		} else if !bytes.Equal(first, img) {
			c.t.Fatalf("%s's state differs from the others':\n%s\n%s", c.id(i), img, first)
		}
	}
	return first
}

// stateImage encodes a node's state without its applied index (which counts raft's own
// entries differently per node after snapshots).
func stateImage(t *testing.T, nd *Node) []byte {
	t.Helper()
	nd.state.mu.RLock()
	img := nd.state.imageLocked()
	nd.state.mu.RUnlock()
	img.Applied = 0
	sink := &memSink{}
	(&fsmSnapshot{image: img}).Persist(sink)
	return sink.Bytes()
}

func routesCmd(w1 router.BasisPoints) Command {
	return setRoutes("triage", router.Split{Version: prod, Weight: w1}, router.Split{Version: cand, Weight: router.TotalWeight - w1})
}

// followerRefusesNamingLeader checks that a follower refuses a write with a NotLeaderError
// naming the current leader, and returns that leader's index. A leader change between
// finding the leader and writing is retried, never accepted as the answer.
func (c *memCluster) followerRefusesNamingLeader() int {
	c.t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		li, _ := c.leader()
		follower := c.nodes[(li+1)%len(c.nodes)]
		_, err = follower.Apply(context.Background(), routesCmd(5000))
		var nl *NotLeaderError
		if errors.As(err, &nl) && nl.LeaderID == c.id(li) {
			return li
		}
		if now, _ := c.leader(); now == li {
			break // leadership did not move: the refusal itself is wrong
		}
	}
	c.t.Fatalf("follower write = %v, want NotLeaderError naming the leader", err)
	return -1
}

func TestClusterReplicatesAndFailsOver(t *testing.T) {
	c := newMemCluster(t, 3, 4096)
	c.applyRetry(addVersion("triage", prod, "10.0.0.1:9000"))
	c.applyRetry(addVersion("triage", cand, "10.0.0.2:9000"))
	idx, _ := c.applyRetry(routesCmd(9000))
	c.waitConverged(idx)

	// A follower refuses writes and names the leader (asked again if an election on a
	// loaded machine moved leadership in between).
	li := c.followerRefusesNamingLeader()

	// The leader dies; a new one is elected and writes continue.
	c.kill(li)
	idx, newLeader := c.applyRetry(routesCmd(5000), li)
	c.waitConverged(idx)
	if got := c.nodes[newLeader].State().Routes("triage").WeightOf(cand); got != 5000 {
		t.Fatalf("after failover the candidate weight is %d", got)
	}

	// The old leader restarts from its stores and catches up.
	c.nodes[li] = c.start(li)
	idx, _ = c.applyRetry(routesCmd(7000))
	c.waitConverged(idx)
}

func TestLaggingFollowerCatchesUpFromSnapshot(t *testing.T) {
	c := newMemCluster(t, 3, 32)
	c.applyRetry(addVersion("triage", prod, "10.0.0.1:9000"))
	_, li := c.applyRetry(addVersion("triage", cand, "10.0.0.2:9000"))
	lag := (li + 1) % 3
	c.isolate(lag)
	var idx uint64
	for i := 0; i < 200; i++ {
		idx, li = c.applyRetry(routesCmd(router.BasisPoints(100+i)), lag)
	}
	// Compaction: the leader has snapshotted and dropped the entries the follower lacks.
	if err := c.nodes[li].Snapshot(); err != nil {
		t.Fatal(err)
	}
	first, err := c.logs[li].FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	if first <= 3 {
		t.Fatalf("leader log starts at %d: it was not compacted", first)
	}
	c.heal()
	c.waitConverged(idx)
	snaps, err := c.snaps[lag].List()
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) == 0 {
		t.Fatal("the lagging follower caught up without installing a snapshot")
	}
	if w := c.nodes[lag].State().Routes("triage").WeightOf(prod); w != 299 {
		t.Fatalf("lagging follower has weight %d, want 299", w)
	}
}

func TestCheckAndSetSerialisesWriters(t *testing.T) {
	c := newMemCluster(t, 3, 4096)
	c.applyRetry(addVersion("triage", prod, "10.0.0.1:9000"))
	c.applyRetry(addVersion("triage", cand, "10.0.0.2:9000"))
	// Two writers read the same modify index; exactly one wins. A round in which leadership
	// moved (a write's outcome unknown, or no leader) proves nothing either way and is run
	// again from a fresh index; any other outcome is judged.
	for round := 1; ; round++ {
		base, li := c.applyRetry(routesCmd(9000))
		leader := c.nodes[li]
		results := make(chan error, 2)
		for _, w := range []router.BasisPoints{1000, 2000} {
			go func(w router.BasisPoints) {
				cmd := routesCmd(w)
				cmd.Header.CAS = &base
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, err := leader.Apply(ctx, cmd)
				results <- err
			}(w)
		}
		var wins, conflicts, leadership int
		for i := 0; i < 2; i++ {
			err := <-results
			var apiErr *api.Error
			switch {
			case err == nil:
				wins++
			case errors.As(err, &apiErr) && apiErr.Code == api.CodeConflict:
				conflicts++
			case errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrNotLeader) || errors.Is(err, context.DeadlineExceeded):
				leadership++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if leadership > 0 && round < 5 {
			t.Logf("round %d: leadership moved during the writes; running it again", round)
			continue
		}
		if wins != 1 || conflicts != 1 {
			t.Fatalf("round %d: wins %d conflicts %d (%d lost to leadership changes), want 1 and 1", round, wins, conflicts, leadership)
		}
		return
	}
}
