package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/router"
)

// serverFlags are extra xds-server flags for every process cluster the benchmarks start
// (e.g. "-raft-heartbeat-timeout 1s -raft-election-timeout 1s"), to measure other Raft
// timings than the defaults.
var serverFlags = flag.String("xds-server-flags", "", "extra space-separated flags for every xds-server process of BenchmarkFailover, BenchmarkThroughput/admin-api and BenchmarkClusterConvergence")

// startBenchCluster starts three xds-server processes with -xds-server-flags.
func startBenchCluster(b *testing.B) *vigiltest.ProcCluster {
	b.Helper()
	extra := strings.Fields(*serverFlags)
	if len(extra) > 0 {
		b.Logf("xds-server flags: %s", strings.Join(extra, " "))
	}
	return vigiltest.StartProcCluster(b, 3, extra...)
}

// benchRoutes is the benchmark service's route table with w1 basis points on benchV1 and the
// rest on benchV2. Callers keep w1 within 1..9999 so both versions keep traffic: a write
// then never waits for make-before-break, and every write is a real change of weights.
func benchRoutes(w1 router.BasisPoints) router.RouteTable {
	rt := router.RouteTable{Service: benchService, Split: []router.Split{
		{Version: benchV1, Weight: w1},
		{Version: benchV2, Weight: router.TotalWeight - w1},
	}}
	rt.Normalize()
	return rt
}

// weightAt maps a write counter to a weight for benchV1 within 1..9999 that differs from
// the previous counter's.
func weightAt(i int) router.BasisPoints { return router.BasisPoints(1 + i%9999) }

// seedTimeout bounds the set-up writes of a benchmark cluster.
const seedTimeout = 2 * time.Minute

// seedBenchService registers the benchmark service's two versions and a first route table
// through c (any node; writes are forwarded to the leader) and returns the route write.
// Each write is retried (they are idempotent) for up to seedTimeout in all, so a cluster
// that is still settling its first elections on a loaded machine does not fail the set-up.
func seedBenchService(ctx context.Context, c *api.Client) (api.WriteResult, error) {
	ctx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	for _, v := range []router.Version{benchV1, benchV2} {
		mv := router.ModelVersion{Service: benchService, Version: v,
			Backends: []router.Backend{{Address: fmt.Sprintf("10.0.0.%d:9000", v.Minor+1)}}}
		if _, _, err := retryWrite(ctx, 5*time.Second, func(ctx context.Context) (api.WriteResult, error) {
			return c.PutVersion(ctx, mv, api.WriteOptions{})
		}); err != nil {
			return api.WriteResult{}, fmt.Errorf("register %s %s: %w", benchService, v, err)
		}
	}
	res, _, err := writeRoutesUntil(ctx, c, 5000, 5*time.Second)
	if err != nil {
		return api.WriteResult{}, fmt.Errorf("first route table of %s: %w", benchService, err)
	}
	return res, nil
}

// retryPause separates failed write attempts, so a node that answers an error at once is
// not flooded; it bounds the resolution of failover samples to about this much.
const retryPause = 5 * time.Millisecond

// writeRoutesUntil retries a route write of weight w1 through c until one commits or ctx
// ends, giving each attempt at most attempt; it returns the committed write and the number
// of attempts.
func writeRoutesUntil(ctx context.Context, c *api.Client, w1 router.BasisPoints, attempt time.Duration) (api.WriteResult, int, error) {
	return retryWrite(ctx, attempt, func(ctx context.Context) (api.WriteResult, error) {
		return c.SetRoutes(ctx, benchRoutes(w1), api.WriteOptions{})
	})
}

// retryWrite calls write, each call with at most attempt, until one succeeds or ctx ends;
// it returns the result and the number of calls. Only idempotent writes may be retried
// this way (a write whose outcome is unknown is sent again). Writes refused as invalid are
// not retried: they would never succeed.
func retryWrite(ctx context.Context, attempt time.Duration, write func(ctx context.Context) (api.WriteResult, error)) (api.WriteResult, int, error) {
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, attempt)
		res, err := write(actx)
		cancel()
		if err == nil {
			return res, n, nil
		}
		if api.IsCode(err, api.CodeInvalid) {
			return api.WriteResult{}, n, fmt.Errorf("write refused as invalid: %w", err)
		}
		select {
		case <-ctx.Done():
			return api.WriteResult{}, n, fmt.Errorf("no write committed in %d attempts (last: %v): %w", n, err, ctx.Err())
		case <-time.After(retryPause):
		}
	}
}

// waitApplied polls node with stale reads (its own state) until its route table of the
// benchmark service has reached index, i.e. the node has applied that write.
func waitApplied(ctx context.Context, node *vigiltest.ProcNode, index uint64) error {
	c := node.Client()
	c.Stale = true
	var last error
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		rt, err := c.Routes(rctx, benchService)
		cancel()
		if err == nil && rt.ModifyIndex >= index {
			return nil
		}
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("route table at index %d", rt.ModifyIndex)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s has not applied index %d (%v): %w", node.ID, index, last, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// errNotVoter means a node is not (yet) a voter in the Raft configuration its leader reports.
var errNotVoter = errors.New("not a voter in the leader's configuration")

// checkVoter asks leader for the members and reports whether node is listed as a voter with
// its member record (admin address) registered.
func checkVoter(ctx context.Context, leader, node *vigiltest.ProcNode) error {
	members, err := leader.Client().Members(ctx)
	if err != nil {
		return fmt.Errorf("members from %s: %w", leader.ID, err)
	}
	for _, m := range members {
		if m.ID == node.ID && m.Voter && m.AdminAddr == node.AdminAddr {
			return nil
		}
	}
	return fmt.Errorf("%s: %w (members %+v)", node.ID, errNotVoter, members)
}

// pooledClient is an admin API client whose HTTP transport keeps up to conns idle
// connections to the node, so concurrent writers reuse connections instead of opening one
// per request.
func pooledClient(node *vigiltest.ProcNode, conns int) *api.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	c := api.NewClient(node.AdminAddr, &http.Client{Transport: tr})
	c.Actor = "bench"
	return c
}

// leaderStateLine is what hashicorp/raft logs (at info level) when a node becomes leader.
const leaderStateLine = "entering leader state"

// procElections returns how many times any node of c has become leader so far, from the
// nodes' logs (which survive restarts).
func procElections(c *vigiltest.ProcCluster) int {
	n := 0
	for _, node := range c.Nodes {
		n += strings.Count(node.Log(), leaderStateLine)
	}
	return n
}
