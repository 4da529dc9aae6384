package raftstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/hashicorp/raft"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/freeport"
	"github.com/seed70a3350f/vigil/router"
)

// The chaos test runs 3 nodes over real TCP on loopback with on-disk stores while clients
// write and read one route table and a nemesis kills, restarts and partitions nodes. The
// recorded history must be linearizable (checked with porcupine) and the nodes must end in
// identical states. `go test` runs one short schedule; `make test-chaos` runs
// VIGIL_CHAOS_SCHEDULES of them (at least 50).

// faultNet decides which nodes may talk and closes connections when a partition starts.
type faultNet struct {
	mu       sync.Mutex
	isolated map[string]bool // raft address -> cut off
	conns    map[string][]net.Conn
}

func newFaultNet() *faultNet {
	return &faultNet{isolated: map[string]bool{}, conns: map[string][]net.Conn{}}
}

func (f *faultNet) blocked(a, b string) bool { return f.isolated[a] || f.isolated[b] }

// isolate cuts addr off from everyone, closing its open connections.
func (f *faultNet) isolate(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.isolated[addr] = true
	for key, conns := range f.conns {
		from, to, _ := cutKey(key)
		if from == addr || to == addr {
			for _, c := range conns {
				c.Close()
			}
			delete(f.conns, key)
		}
	}
}

func (f *faultNet) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.isolated = map[string]bool{}
}

func cutKey(k string) (string, string, bool) {
	for i := 0; i < len(k); i++ {
		if k[i] == '>' {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}

// faultyStream wraps a node's stream layer: dials across a partition fail, and dialled
// connections are tracked so a partition can cut them.
type faultyStream struct {
	raft.StreamLayer
	net  *faultNet
	self string
}

func (s *faultyStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	s.net.mu.Lock()
	blocked := s.net.blocked(s.self, string(addr))
	s.net.mu.Unlock()
	if blocked {
		return nil, fmt.Errorf("partitioned: %s cannot reach %s", s.self, addr)
	}
	c, err := s.StreamLayer.Dial(addr, timeout)
	if err != nil {
		return nil, err
	}
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	if s.net.blocked(s.self, string(addr)) {
		c.Close()
		return nil, fmt.Errorf("partitioned: %s cannot reach %s", s.self, addr)
	}
	key := s.self + ">" + string(addr)
	s.net.conns[key] = append(s.net.conns[key], c)
	return c, nil
}

// chaosNode is one node's fixed identity and its current incarnation.
type chaosNode struct {
	id, addr, dir string
	node          *Node
}

type chaosCluster struct {
	t     *testing.T
	net   *faultNet
	mu    sync.Mutex
	nodes []*chaosNode
}

func (c *chaosCluster) start(i int) {
	c.t.Helper()
	cn := c.nodes[i]
	nd, err := NewNode(NodeConfig{
		ID: cn.id, DataDir: cn.dir, BindAddr: cn.addr,
		Timing: Timing{HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond,
			LeaderLeaseTimeout: 100 * time.Millisecond, CommitTimeout: 10 * time.Millisecond},
		SnapshotThreshold: 64, TrailingLogs: 16, SnapshotInterval: 200 * time.Millisecond,
		WrapStream: func(s raft.StreamLayer) raft.StreamLayer {
			return &faultyStream{StreamLayer: s, net: c.net, self: cn.addr}
		},
	})
	if err != nil {
		c.t.Fatalf("start %s: %v", cn.id, err)
	}
	c.mu.Lock()
	cn.node = nd
	c.mu.Unlock()
}

func (c *chaosCluster) kill(i int) {
	c.mu.Lock()
	nd := c.nodes[i].node
	c.nodes[i].node = nil
	c.mu.Unlock()
	if nd != nil {
		_ = nd.Shutdown()
	}
}

// running returns the live nodes.
func (c *chaosCluster) running() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Node
	for _, cn := range c.nodes {
		if cn.node != nil {
			out = append(out, cn.node)
		}
	}
	return out
}

// leader returns a live node that believes it leads, or nil.
func (c *chaosCluster) leader() *Node {
	for _, nd := range c.running() {
		if nd.IsLeader() {
			return nd
		}
	}
	return nil
}

// Operation inputs and outputs of the register model.
type regInput struct {
	write bool
	value int
}

type regOutput struct {
	value   int
	unknown bool
}

var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in, out := input.(regInput), output.(regOutput)
		if in.write {
			return true, in.value
		}
		return out.value == state.(int), state
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		if in.write {
			if out.unknown {
				return fmt.Sprintf("write(%d) -> ?", in.value)
			}
			return fmt.Sprintf("write(%d)", in.value)
		}
		return fmt.Sprintf("read() -> %d", out.value)
	},
}

type history struct {
	mu    sync.Mutex
	ops   []porcupine.Operation
	start time.Time
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) add(client int, in regInput, out regOutput, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
}

func chaosCmd(value int) Command {
	return routesCmd(router.BasisPoints(value))
}

// write proposes through whichever node leads. It reports whether the write certainly
// happened, certainly did not, or may have.
func (c *chaosCluster) write(value int) (ok, unknown bool) {
	nd := c.leader()
	if nd == nil {
		return false, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := nd.Apply(ctx, chaosCmd(value))
	var apiErr *api.Error
	switch {
	case err == nil:
		return true, false
	case errors.As(err, &apiErr):
		return false, false // refused by the FSM: nothing changed
	case errors.Is(err, ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
		return false, false
	default:
		return false, true
	}
}

// applyRetry applies an idempotent command through whichever node leads, retrying through
// elections for up to 30 s.
func (c *chaosCluster) applyRetry(cmd Command) uint64 {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if nd := c.leader(); nd != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			idx, err := nd.Apply(ctx, cmd)
			cancel()
			if err == nil {
				return idx
			}
			var apiErr *api.Error
			if errors.As(err, &apiErr) {
				c.t.Fatalf("apply %s refused: %v", cmd.Type, err)
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("apply %s: %v", cmd.Type, err)
			}
		} else if time.Now().After(deadline) {
			c.t.Fatalf("apply %s: no leader for 30s", cmd.Type)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *chaosCluster) read() (int, bool) {
	nd := c.leader()
	if nd == nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := nd.ConsistentRead(ctx); err != nil {
		return 0, false
	}
	rt := nd.State().Routes("triage")
	if rt == nil {
		return 0, false
	}
	return int(rt.WeightOf(prod)), true
}

func TestChaosLinearizable(t *testing.T) {
	schedules := 1
	if s := os.Getenv("VIGIL_CHAOS_SCHEDULES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("VIGIL_CHAOS_SCHEDULES=%q: want a positive number", s)
		}
		schedules = n
	}
	duration := 6 * time.Second
	if s := os.Getenv("VIGIL_CHAOS_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("VIGIL_CHAOS_SECONDS=%q: want a positive number", s)
		}
		duration = time.Duration(n) * time.Second
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("VIGIL_CHAOS_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	for i := 0; i < schedules; i++ {
		s := seed + int64(i)
		t.Run(fmt.Sprintf("schedule-%d-seed-%d", i, s), func(t *testing.T) {
			runChaos(t, s, duration)
		})
	}
}

func runChaos(t *testing.T, seed int64, duration time.Duration) {
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d (rerun with VIGIL_CHAOS_SEED=%d)", seed, seed)
	// A schedule that hangs must say where: past any sum of its own deadlines, dump every
	// goroutine to a file and end the test binary.
	limit := duration + 4*time.Minute
	watchdog := time.AfterFunc(limit, func() {
		buf := make([]byte, 64<<20)
		n := runtime.Stack(buf, true)
		path := filepath.Join(os.TempDir(), fmt.Sprintf("vigil-chaos-hang-%d.txt", seed))
		_ = os.WriteFile(path, buf[:n], 0o644)
		panic(fmt.Sprintf("chaos schedule with seed %d still running after %s; goroutine stacks in %s", seed, limit, path))
	})
	defer watchdog.Stop()
	c := &chaosCluster{t: t, net: newFaultNet()}
	var voters []api.Member
	for i := 0; i < 3; i++ {
		addr := freeport.Addr(t)
		cn := &chaosNode{id: fmt.Sprintf("node-%d", i), addr: addr, dir: filepath.Join(t.TempDir(), fmt.Sprint(i))}
		c.nodes = append(c.nodes, cn)
		voters = append(voters, api.Member{ID: cn.id, RaftAddr: addr})
	}
	for i := range c.nodes {
		c.start(i)
	}
	defer func() {
		for i := range c.nodes {
			c.kill(i)
		}
	}()
	if err := c.nodes[0].node.Bootstrap(voters); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.leader() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, cmd := range []Command{addVersion("triage", prod, "10.0.0.1:9000"), addVersion("triage", cand, "10.0.0.2:9000"), chaosCmd(1)} {
		c.applyRetry(cmd)
	}

	h := &history{start: time.Now()}
	h.add(0, regInput{write: true, value: 1}, regOutput{}, 0, 0)
	var nextValue = 1
	var valueMu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes, unknowns, reads int64
	var countMu sync.Mutex
	for client := 1; client <= 3; client++ {
		wg.Add(1)
		go func(client int) {
			defer wg.Done()
			crng := rand.New(rand.NewSource(seed + int64(client)*7919))
			for {
				select {
				case <-stop:
					return
				default:
				}
				call := h.now()
				if crng.Intn(2) == 0 {
					valueMu.Lock()
					nextValue++
					v := nextValue
					valueMu.Unlock()
					ok, unknown := c.write(v)
					switch {
					case ok:
						h.add(client, regInput{write: true, value: v}, regOutput{}, call, h.now())
					case unknown:
						// It may take effect at any later time.
						h.add(client, regInput{write: true, value: v}, regOutput{unknown: true}, call, math.MaxInt64)
					}
					countMu.Lock()
					writes++
					if unknown {
						unknowns++
					}
					countMu.Unlock()
				} else if v, ok := c.read(); ok {
					h.add(client, regInput{}, regOutput{value: v}, call, h.now())
					countMu.Lock()
					reads++
					countMu.Unlock()
				}
				time.Sleep(time.Duration(crng.Intn(20)) * time.Millisecond)
			}
		}(client)
	}

	// The nemesis: one fault at a time, sometimes two, always some recovery.
	var faults []string
	end := time.Now().Add(duration)
	killed, isolated := -1, -1
	for time.Now().Before(end) {
		time.Sleep(time.Duration(200+rng.Intn(600)) * time.Millisecond)
		switch rng.Intn(5) {
		case 0, 1:
			if killed < 0 {
				killed = rng.Intn(3)
				c.kill(killed)
				faults = append(faults, "kill "+c.nodes[killed].id)
			} else {
				c.start(killed)
				faults = append(faults, "restart "+c.nodes[killed].id)
				killed = -1
			}
		case 2, 3:
			if isolated < 0 {
				isolated = rng.Intn(3)
				c.net.isolate(c.nodes[isolated].addr)
				faults = append(faults, "isolate "+c.nodes[isolated].id)
			} else {
				c.net.heal()
				faults = append(faults, "heal")
				isolated = -1
			}
		case 4:
			if ld := c.leader(); ld != nil && killed < 0 {
				for i, cn := range c.nodes {
					if cn.node == ld {
						killed = i
					}
				}
				c.kill(killed)
				faults = append(faults, "kill leader "+c.nodes[killed].id)
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("faults: %v", faults)

	// Recover everything and check.
	c.net.heal()
	if killed >= 0 {
		c.start(killed)
	}
	deadline = time.Now().Add(15 * time.Second)
	var final int
	var ok bool
	for time.Now().Before(deadline) {
		call := h.now()
		if final, ok = c.read(); ok {
			h.add(0, regInput{}, regOutput{value: final}, call, h.now())
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !ok {
		t.Fatal("the cluster did not recover a leader after the faults were healed")
	}
	t.Logf("%d writes (%d with unknown outcome), %d reads; final value %d", writes, unknowns, reads, final)
	if len(h.ops) < 12 {
		t.Fatalf("too little progress to check: %d completed operations (%d writes, %d reads)", len(h.ops), writes, reads)
	}
	// The plain check is much cheaper than the verbose one; the verbose one runs only to
	// draw an illegal history.
	switch porcupine.CheckOperationsTimeout(registerModel, h.ops, 60*time.Second) {
	case porcupine.Illegal:
		_, info := porcupine.CheckOperationsVerbose(registerModel, h.ops, 60*time.Second)
		path := filepath.Join(os.TempDir(), fmt.Sprintf("vigil-chaos-%d.html", seed))
		if f, err := os.Create(path); err == nil {
			_ = porcupine.Visualize(registerModel, info, f)
			f.Close()
		}
		t.Fatalf("history is not linearizable (visualisation: %s)", path)
	case porcupine.Unknown:
		t.Fatal("linearizability check timed out")
	}

	// Every replica converges on the same state.
	idx := c.applyRetry(chaosCmd(9999))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var first []byte
	for _, nd := range c.running() {
		if err := nd.WaitForIndex(ctx, idx); err != nil {
			t.Fatalf("%s: %v", nd.ID(), err)
		}
		img := stateImage(t, nd)
		if first == nil {
			first = img
		} else if string(first) != string(img) {
			t.Fatalf("%s diverged from %s: %s", nd.ID(), c.running()[0].ID(), firstDifference(first, img))
		}
	}
}

// firstDifference shows where two state images first differ, with some context.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d: %q vs %q", i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}
