package vigiltest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/api"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binary builds cmd/<name> of this module once per test process and returns its path.
func Binary(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "vigil-bin-")
		if buildErr != nil {
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", buildDir, "./cmd/xds-server", "./cmd/meshctl")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, name)
}

// ProcNode is an xds-server running as its own process, so it can be killed with SIGKILL.
type ProcNode struct {
	ID        string
	DataDir   string
	RaftAddr  string
	AdminAddr string
	XDSAddr   string
	Args      []string // everything but the addresses and data dir

	bin     string
	logPath string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
}

// Client returns an admin API client for the node.
func (n *ProcNode) Client() *api.Client {
	c := api.NewClient(n.AdminAddr, nil)
	c.Actor = "test"
	return c
}

// Start launches the process (again, after Kill or Stop, with the same data dir and ports).
func (n *ProcNode) Start(t testing.TB) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-node-id", n.ID, "-data-dir", n.DataDir, "-raft-addr", n.RaftAddr,
		"-admin-addr", n.AdminAddr, "-xds-addr", n.XDSAddr, "-log-level", "info", "-drain-timeout", "1s"}, n.Args...)
	cmd := exec.Command(n.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.ID, err)
	}
	n.cmd = cmd
	n.done = make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(n.done)
}

// Running reports whether the process is alive.
func (n *ProcNode) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

func (n *ProcNode) signal(t testing.TB, sig syscall.Signal, wait bool) {
	t.Helper()
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if !wait {
		return
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Kill sends SIGKILL (kill -9) and waits for the process to die: no shutdown code runs.
func (n *ProcNode) Kill(t testing.TB) { n.signal(t, syscall.SIGKILL, true) }

// Stop sends SIGTERM (graceful shutdown) and waits.
func (n *ProcNode) Stop(t testing.TB) { n.signal(t, syscall.SIGTERM, true) }

// Pause freezes the process (SIGSTOP); Resume thaws it.
func (n *ProcNode) Pause(t testing.TB)  { n.signal(t, syscall.SIGSTOP, false) }
func (n *ProcNode) Resume(t testing.TB) { n.signal(t, syscall.SIGCONT, false) }

// Log returns the process's output so far.
func (n *ProcNode) Log() string {
	b, _ := os.ReadFile(n.logPath)
	return string(b)
}

// ProcCluster is n xds-server processes bootstrapped together with -peers.
type ProcCluster struct {
	Nodes []*ProcNode
}

// StartProcCluster builds xds-server and starts n nodes that bootstrap one cluster; extra
// flags go to every node. Processes are killed at cleanup; on failure their logs are shown.
func StartProcCluster(t testing.TB, n int, extra ...string) *ProcCluster {
	t.Helper()
	bin := Binary(t, "xds-server")
	c := &ProcCluster{}
	var peers []string
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		node := &ProcNode{ID: fmt.Sprintf("node-%d", i+1), DataDir: filepath.Join(dir, "data"), RaftAddr: FreeAddr(t),
			AdminAddr: FreeAddr(t), XDSAddr: FreeAddr(t), bin: bin, logPath: filepath.Join(dir, "xds-server.log")}
		peers = append(peers, node.ID+"="+node.RaftAddr)
		c.Nodes = append(c.Nodes, node)
	}
	for _, node := range c.Nodes {
		node.Args = append([]string{"-bootstrap", "-peers", strings.Join(peers, ",")}, extra...)
		node.Start(t)
	}
	t.Cleanup(func() {
		for _, node := range c.Nodes {
			node.Resume(t)
			node.Kill(t)
			if t.Failed() {
				t.Logf("---- %s log ----\n%s", node.ID, tail(node.Log(), 60))
			}
		}
	})
	return c
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// Leader waits until a running node reports a leader whose member record is registered on
// that node, and returns the leader's node.
func (c *ProcCluster) Leader(t testing.TB, timeout time.Duration) *ProcNode {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			m, err := n.Client().Leader(ctx)
			cancel()
			if err != nil || m.AdminAddr == "" {
				continue
			}
			for _, l := range c.Nodes {
				if l.ID == m.ID && l.Running() {
					return l
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no leader within %s", timeout)
	return nil
}

// Followers returns the running nodes other than leader.
func (c *ProcCluster) Followers(leader *ProcNode) []*ProcNode {
	var out []*ProcNode
	for _, n := range c.Nodes {
		if n != leader && n.Running() {
			out = append(out, n)
		}
	}
	return out
}
