package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/agent"
	"github.com/seed70a3350f/vigil/internal/cli"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/xds"
)

const service = "chest-xray-triage"

var (
	stable    = "2.2.0-PRODUCTION"
	candidate = "2.3.0-CLINICALVALID"
)

// meshctl runs the CLI against node a and returns its exit code and output.
func meshctl(t *testing.T, a *agent.Agent, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"VIGIL_ADDR": a.AdminAddr(), "VIGIL_ACTOR": "e2e"}
	code := cli.Main(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func mustMeshctl(t *testing.T, a *agent.Agent, args ...string) string {
	t.Helper()
	code, out, errOut := meshctl(t, a, args...)
	if code != 0 {
		t.Fatalf("meshctl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// split counts which backend answered n RPCs spread over the clients.
func split(t *testing.T, ctx context.Context, clients []*vigiltest.XDSClient, n int, md ...string) map[string]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	var firstErr error
	per := n / len(clients)
	for _, c := range clients {
		wg.Add(1)
		go func(c *vigiltest.XDSClient) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				rpcCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				name, err := c.Call(rpcCtx, md...)
				cancel()
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", c.NodeID, err)
					}
					counts["error"]++
				} else {
					counts[name]++
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("RPC failed (%d errors): %v", counts["error"], firstErr)
	}
	return counts
}

// waitRoutesAcked waits until every proxy routing the service ACKed the current route
// table, and returns how long that took from since.
func waitRoutesAcked(t *testing.T, ctx context.Context, a *agent.Agent, since time.Time, proxies int) time.Duration {
	t.Helper()
	rt := a.Node().State().Routes(service)
	for {
		list, err := vigiltest.Client(a).Proxies(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		cov := xds.RouteCoverage(list.Proxies, service, rt.ModifyIndex)
		if cov.Watching >= proxies && cov.Acked == cov.Watching {
			var last time.Time
			for _, p := range list.Proxies {
				for _, pt := range p.Types {
					if pt.Type == xds.TypeRoute && pt.AckedAt.After(last) {
						last = pt.AckedAt
					}
				}
			}
			return last.Sub(since)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("proxies did not ACK routes version %d: %+v", rt.ModifyIndex, cov)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestTrafficPlaneEndToEnd drives real grpc-go xDS clients through xds-server while meshctl
// changes the routes: the split matches the weights, a weight flip reaches every client,
// pins win over the split, invalid tables never reach proxies, and a NACK is recorded once.
func TestTrafficPlaneEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := vigiltest.StartDev(t)
	b1 := vigiltest.StartBackend(t, stable)
	b2 := vigiltest.StartBackend(t, candidate)

	mustMeshctl(t, a, "versions", "add", service, stable, "--backend", b1.Addr)
	mustMeshctl(t, a, "versions", "add", service, candidate, "--backend", b2.Addr)
	mustMeshctl(t, a, "routes", "set", service, stable+"=90", candidate+"=10")

	const nClients = 4
	var clients []*vigiltest.XDSClient
	for i := 0; i < nClients; i++ {
		clients = append(clients, vigiltest.DialXDS(t, a.XDSAddr(), fmt.Sprintf("client-%d", i), service))
	}

	t.Run("90/10 split", func(t *testing.T) {
		const n = 2400
		counts := split(t, ctx, clients, n)
		got := float64(counts[candidate]) / n
		// A 99.9 % interval around 10 % for n Bernoulli trials (normal approximation; n*p = 240).
		half := 3.2905 * math.Sqrt(0.1*0.9/n)
		t.Logf("candidate share %.4f over %d RPCs (99.9%% acceptance region 10%% +- %.4f), counts %v", got, n, half, counts)
		if math.Abs(got-0.1) > half || counts[stable]+counts[candidate] != n {
			t.Fatalf("candidate share %.4f outside 0.1 +- %.4f (counts %v)", got, half, counts)
		}
	})

	t.Run("flip to 0/100 reaches every client", func(t *testing.T) {
		changed := time.Now()
		mustMeshctl(t, a, "routes", "set", service, stable+"=0", candidate+"=100")
		took := waitRoutesAcked(t, ctx, a, changed, nClients)
		t.Logf("route change to last ACK of %d clients: %s", nClients, took)
		counts := split(t, ctx, clients, 400)
		if counts[candidate] != 400 {
			t.Fatalf("after 0/100 the split was %v, want every RPC on %s", counts, candidate)
		}
	})

	t.Run("header pin wins over the split", func(t *testing.T) {
		mustMeshctl(t, a, "routes", "set", service, stable+"=50", candidate+"=50")
		mustMeshctl(t, a, "routes", "pin", service, "--header", "x-model-version="+stable, stable)
		waitRoutesAcked(t, ctx, a, time.Now(), nClients)
		pinned := split(t, ctx, clients, 400, "x-model-version", stable)
		if pinned[stable] != 400 {
			t.Fatalf("pinned RPCs went %v, want all on %s", pinned, stable)
		}
		unpinned := split(t, ctx, clients, 400)
		if unpinned[stable] == 0 || unpinned[candidate] == 0 {
			t.Fatalf("unpinned RPCs went %v, want both versions at 50/50", unpinned)
		}
	})

	t.Run("invalid table refused, previous stays", func(t *testing.T) {
		before, err := vigiltest.Client(a).Routes(ctx, service)
		if err != nil {
			t.Fatal(err)
		}
		servedBefore := a.XDS().Cache().Versions(xds.GRPC)
		code, _, errOut := meshctl(t, a, "routes", "set", service, stable+"=50", candidate+"=49.99")
		if code != 5 || !strings.Contains(errOut, "sum to 99.99%") {
			t.Fatalf("sum 99.99: exit %d, stderr %q; want 5 and the sum named", code, errOut)
		}
		code, _, errOut = meshctl(t, a, "routes", "set", service, stable+"=50", "9.9.9-PRODUCTION=50")
		if code != 5 || !strings.Contains(errOut, "split[1].version = 9.9.9-PRODUCTION") || !strings.Contains(errOut, "not registered") {
			t.Fatalf("unknown version: exit %d, stderr %q; want 5 with the field named", code, errOut)
		}
		after, err := vigiltest.Client(a).Routes(ctx, service)
		if err != nil {
			t.Fatal(err)
		}
		if after.ModifyIndex != before.ModifyIndex {
			t.Fatalf("route table changed from index %d to %d after refused writes", before.ModifyIndex, after.ModifyIndex)
		}
		if served := a.XDS().Cache().Versions(xds.GRPC); served != servedBefore {
			t.Fatalf("served versions moved from %+v to %+v after refused writes", servedBefore, served)
		}
		counts := split(t, ctx, clients, 400)
		if counts[stable] == 0 || counts[candidate] == 0 {
			t.Fatalf("traffic after refused writes = %v, want the 50/50 table still in force", counts)
		}
	})

	t.Run("NACK recorded, not re-sent, shown by meshctl proxies", func(t *testing.T) {
		// Maglev is valid for Envoy; proxyless gRPC clients reject it.
		if _, err := vigiltest.Client(a).PutService(ctx, router.Service{Name: service, LBPolicy: router.Maglev}, api.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		var list *api.ProxyList
		for time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			var err error
			if list, err = vigiltest.Client(a).Proxies(ctx, false); err != nil {
				t.Fatal(err)
			}
		}
		nacks := 0
		for _, p := range list.Proxies {
			for _, pt := range p.Types {
				if pt.Type == xds.TypeCluster {
					nacks += int(pt.Nacks)
					if pt.LastNack == nil || !strings.Contains(strings.ToLower(pt.LastNack.Error), "maglev") {
						t.Errorf("%s: last CDS NACK = %+v, want the client's error about MAGLEV", p.NodeID, pt.LastNack)
					}
				}
			}
		}
		t.Logf("CDS NACKs over 2s from %d clients: %d", nClients, nacks)
		if nacks < nClients || nacks > nClients {
			t.Fatalf("%d NACKs over 2s from %d clients, want exactly one each (no re-send loop)", nacks, nClients)
		}
		out := mustMeshctl(t, a, "proxies")
		if !strings.Contains(out, "Cluster v") || !strings.Contains(strings.ToLower(out), "maglev") {
			t.Fatalf("meshctl proxies does not show the NACK:\n%s", out)
		}
		// Traffic keeps flowing on the last accepted configuration.
		counts := split(t, ctx, clients, 200)
		if counts[stable]+counts[candidate] != 200 {
			t.Fatalf("traffic during the NACK = %v", counts)
		}
		// A fixed configuration is accepted again.
		if _, err := vigiltest.Client(a).PutService(ctx, router.Service{Name: service}, api.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		clustersVersion := a.Node().State().TableIndex("services")
		for {
			list, err := vigiltest.Client(a).Proxies(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			done := 0
			for _, p := range list.Proxies {
				for _, pt := range p.Types {
					if pt.Type == xds.TypeCluster && pt.Acked >= clustersVersion {
						done++
					}
				}
			}
			if done == nClients {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("clients did not accept the fixed cluster configuration: %+v", list.Proxies)
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}
