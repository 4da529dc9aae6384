package bench

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
)

// raftCluster is raftstore.Nodes in this process, joined over real TCP on loopback, each
// with the production stores (bolt log and stable store with fsync, file snapshots) in its
// own temporary directory and the default Timing. It measures Raft without HTTP, JSON
// routing and the xDS publisher in the way.
type raftCluster struct {
	nodes       []*raftstore.Node
	leaderships atomic.Int64 // times any node became leader (see leadershipCounter)
}

// startRaftCluster starts n nodes, bootstraps them as voters and shuts them down at cleanup.
func startRaftCluster(b *testing.B, n int) *raftCluster {
	b.Helper()
	c := &raftCluster{}
	b.Cleanup(func() {
		for _, nd := range c.nodes {
			if err := nd.Shutdown(); err != nil {
				b.Logf("shut down %s: %v", nd.ID(), err)
			}
		}
	})
	var voters []api.Member
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("node-%d", i+1)
		logger := hclog.New(&hclog.LoggerOptions{Name: id, Level: hclog.Info, Output: leadershipCounter{&c.leaderships}})
		nd, err := raftstore.NewNode(raftstore.NodeConfig{ID: id, DataDir: filepath.Join(b.TempDir(), "data"),
			BindAddr: vigiltest.FreeAddr(b), Logger: logger})
		if err != nil {
			b.Fatal(err)
		}
		c.nodes = append(c.nodes, nd)
		voters = append(voters, api.Member{ID: id, RaftAddr: nd.Addr()})
	}
	for _, nd := range c.nodes {
		if err := nd.Bootstrap(voters); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// benchCommand stamps a command's header the way the agent does.
func benchCommand(t raftstore.CommandType, body any) raftstore.Command {
	return raftstore.Command{Type: t, Header: raftstore.Header{Time: time.Now().UTC(), Actor: "bench"}, Body: body}
}

// apply proposes cmd with Node.Apply on whichever node leads at the time of the call. While
// no node leads it fails, after a short pause so callers do not spin through an election,
// with an error wrapping raftstore.ErrNotLeader.
func (c *raftCluster) apply(ctx context.Context, cmd raftstore.Command) error {
	for _, nd := range c.nodes {
		if nd.IsLeader() {
			_, err := nd.Apply(ctx, cmd)
			return err
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Millisecond):
	}
	return fmt.Errorf("%s: %w (no node leads)", cmd.Type, raftstore.ErrNotLeader)
}

// seed registers the benchmark service's two versions and a first route table. Each write
// is retried through elections (they are idempotent) for up to seedTimeout in all.
func (c *raftCluster) seed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	var cmds []raftstore.Command
	for _, v := range []router.Version{benchV1, benchV2} {
		mv := router.ModelVersion{Service: benchService, Version: v,
			Backends: []router.Backend{{Address: fmt.Sprintf("10.0.0.%d:9000", v.Minor+1)}}}
		cmds = append(cmds, benchCommand(raftstore.CmdUpsertVersion, raftstore.UpsertVersionBody{Version: mv}))
	}
	cmds = append(cmds, benchCommand(raftstore.CmdSetRoutes, raftstore.SetRoutesBody{Routes: benchRoutes(5000)}))
	for _, cmd := range cmds {
		for {
			err := c.apply(ctx, cmd)
			if err == nil {
				break
			}
			if !failedForLeadership(err) || ctx.Err() != nil {
				return fmt.Errorf("seed %s: %w", cmd.Type, err)
			}
		}
	}
	return nil
}

// applyRoutes returns a commitFunc that proposes a route update through apply.
func (c *raftCluster) applyRoutes() commitFunc {
	return func(ctx context.Context, w1 router.BasisPoints) error {
		return c.apply(ctx, benchCommand(raftstore.CmdSetRoutes, raftstore.SetRoutesBody{Routes: benchRoutes(w1)}))
	}
}

// elections returns how many times any node of the cluster has become leader so far.
func (c *raftCluster) elections() int { return int(c.leaderships.Load()) }

// leadershipCounter is the Raft log output of an in-process node: it discards the lines
// and counts those that report the node becoming leader.
type leadershipCounter struct{ n *atomic.Int64 }

func (w leadershipCounter) Write(p []byte) (int, error) {
	w.n.Add(int64(bytes.Count(p, []byte(leaderStateLine))))
	return len(p), nil
}
