package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/adsclient"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/xds"
)

const svc = "chest-xray-triage"

var (
	v1 = router.MustParseVersion("1.0.0-PRODUCTION")
	v2 = router.MustParseVersion("1.1.0-CLINICALVALID")
)

// state builds a snapshot with two versions at the given weights.
func state(versions xds.TypeVersions, w1, w2 router.BasisPoints) *xds.Snapshot {
	rt := router.RouteTable{Service: svc, Split: []router.Split{{Version: v1, Weight: w1}, {Version: v2, Weight: w2}}}
	rt.Normalize()
	snap := &xds.Snapshot{Versions: versions, Services: []xds.ServiceState{{
		Service: router.Service{Name: svc},
		Versions: []router.ModelVersion{
			{Service: svc, Version: v1, Backends: []router.Backend{{Address: "127.0.0.1:9001"}}},
			{Service: svc, Version: v2, Backends: []router.Backend{{Address: "127.0.0.1:9002"}}},
		},
		Routes: &rt,
	}}}
	snap.Normalize()
	return snap
}

type harness struct {
	srv  *Server
	reg  *prometheus.Registry
	conn *grpc.ClientConn
}

func start(t *testing.T) *harness {
	t.Helper()
	reg := prometheus.NewRegistry()
	srv := New(Options{ServerID: "node-1", Registerer: reg})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Stop(context.Background()) })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &harness{srv: srv, reg: reg, conn: conn}
}

func (h *harness) client(t *testing.T, ctx context.Context, opts adsclient.Options) *adsclient.Client {
	t.Helper()
	c, err := adsclient.Start(ctx, h.conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitLedger polls the ledger at each change until cond holds.
func waitLedger(t *testing.T, ctx context.Context, l *Ledger, cond func([]api.Proxy) bool) []api.Proxy {
	t.Helper()
	for {
		changed := l.Changed()
		ps := l.Proxies()
		if cond(ps) {
			return ps
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ledger never reached the expected state: %+v", ps)
		case <-changed:
		}
	}
}

func allTypesAt(v xds.TypeVersions) func(map[string]string) bool {
	return func(got map[string]string) bool {
		return got[resourcev3.ListenerType] == fmt.Sprint(v.Listeners) &&
			got[resourcev3.RouteType] == fmt.Sprint(v.Routes) &&
			got[resourcev3.ClusterType] == fmt.Sprint(v.Clusters) &&
			got[resourcev3.EndpointType] == fmt.Sprint(v.Endpoints)
	}
}

func TestWeightChangePushesOnlyRoutes(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first := xds.TypeVersions{Listeners: 5, Routes: 7, Clusters: 6, Endpoints: 6}
	if err := h.srv.Publish(state(first, 9000, 1000)); err != nil {
		t.Fatal(err)
	}
	c := h.client(t, ctx, adsclient.Options{NodeID: "grpc-1", Kind: "grpc", Service: svc, Follow: true})
	if err := c.Wait(ctx, allTypesAt(first)); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, typeURL := range xds.TypeURLs {
		before[typeURL] = c.Responses(typeURL)
	}
	second := first
	second.Routes = 9
	if err := h.srv.Publish(state(second, 0, 10000)); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(ctx, allTypesAt(second)); err != nil {
		t.Fatal(err)
	}
	for _, typeURL := range xds.TypeURLs {
		got := c.Responses(typeURL) - before[typeURL]
		want := 0
		if typeURL == resourcev3.RouteType {
			want = 1
		}
		if got != want {
			t.Errorf("%s: %d responses after a weight change, want %d", shortType(typeURL), got, want)
		}
	}
	// The client counts a version as received before its ACK reaches the server.
	proxies := waitLedger(t, ctx, h.srv.Ledger(), func(ps []api.Proxy) bool {
		return xds.RouteCoverage(ps, svc, second.Routes).Acked == 1
	})
	if len(proxies) != 1 || proxies[0].NodeID != "grpc-1" || proxies[0].Kind != "grpc" {
		t.Fatalf("ledger = %+v", proxies)
	}
	cov := xds.RouteCoverage(proxies, svc, second.Routes)
	if cov.Watching != 1 || cov.Acked != 1 {
		t.Fatalf("route coverage = %+v, want 1/1", cov)
	}
	if cc := xds.ClusterCoverage(proxies, svc, v2, first.Clusters); cc.Acked != 1 {
		t.Fatalf("cluster coverage = %+v, want acked", cc)
	}
	if cov := xds.RouteCoverage(proxies, svc, second.Routes+1); cov.Acked != 0 || len(cov.Pending) != 1 {
		t.Fatalf("coverage of a future version = %+v, want pending", cov)
	}
}

func TestNackIsRecordedAndNotResent(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	good := xds.TypeVersions{Listeners: 1, Routes: 2, Clusters: 1, Endpoints: 1}
	if err := h.srv.Publish(state(good, 10000, 0)); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Routes = 3
	c := h.client(t, ctx, adsclient.Options{NodeID: "grpc-nack", Kind: "grpc", Service: svc, Follow: true,
		Reject: func(typeURL, version string) error {
			if typeURL == resourcev3.RouteType && version == "3" {
				return fmt.Errorf("weighted cluster total weight rejected: %w", adsclient.ErrRejected)
			}
			return nil
		}})
	if err := c.Wait(ctx, allTypesAt(good)); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Publish(state(bad, 5000, 5000)); err != nil {
		t.Fatal(err)
	}
	// Count NACKs over two seconds: the stock cache would re-send about a thousand a second.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && c.Nacks(resourcev3.RouteType) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Until(deadline))
	if n := c.Nacks(resourcev3.RouteType); n != 1 {
		t.Fatalf("client NACKed %d times in 2s, want exactly 1 (no re-send loop)", n)
	}
	if v := c.Version(resourcev3.RouteType); v != "2" {
		t.Fatalf("client holds routes version %q, want the last good 2", v)
	}
	proxies := waitLedger(t, ctx, h.srv.Ledger(), func(ps []api.Proxy) bool { return len(ps) == 1 })
	var nack *string
	for _, pt := range proxies[0].Types {
		if pt.Type == "RouteConfiguration" && pt.LastNack != nil {
			s := fmt.Sprintf("%d %s", pt.LastNack.Version, pt.LastNack.Error)
			nack = &s
			if pt.Acked != 2 || pt.Nacks != 1 {
				t.Errorf("routes acked=%d nacks=%d, want 2 and 1", pt.Acked, pt.Nacks)
			}
		}
	}
	if nack == nil || !strings.Contains(*nack, "3 weighted cluster total weight rejected") {
		t.Fatalf("ledger NACK = %v, want version 3 with the client's error", nack)
	}
	if got := testutil.ToFloat64(h.srv.metrics.nacks.WithLabelValues("grpc", "RouteConfiguration")); got != 1 {
		t.Errorf("nack metric = %v, want 1", got)
	}
	// A newer version is sent again and accepted.
	fixed := bad
	fixed.Routes = 4
	if err := h.srv.Publish(state(fixed, 8000, 2000)); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitVersion(ctx, resourcev3.RouteType, "4"); err != nil {
		t.Fatal(err)
	}
}

func TestLaggingReplicaHoldsNewerClient(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Publish(state(xds.TypeVersions{Listeners: 10, Routes: 10, Clusters: 10, Endpoints: 10}, 10000, 0)); err != nil {
		t.Fatal(err)
	}
	// The client already has version 20 of every type, from a replica further ahead.
	c := h.client(t, ctx, adsclient.Options{NodeID: "moved", Kind: "grpc", Service: svc,
		Routes: []string{svc}, Clusters: []string{router.ClusterName(svc, v1)}, Version: "20"})
	time.Sleep(300 * time.Millisecond)
	for _, typeURL := range xds.TypeURLs {
		if n := c.Responses(typeURL); n != 0 {
			t.Fatalf("%s: lagging replica sent %d responses older than the client's version", shortType(typeURL), n)
		}
	}
	caughtUp := xds.TypeVersions{Listeners: 10, Routes: 21, Clusters: 10, Endpoints: 10}
	if err := h.srv.Publish(state(caughtUp, 10000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitVersion(ctx, resourcev3.RouteType, "21"); err != nil {
		t.Fatal(err)
	}
	if n := c.Responses(resourcev3.ClusterType); n != 0 {
		t.Fatalf("clusters still at 10 < 20 were sent (%d responses)", n)
	}
}

func TestPublishRefusesToGoBack(t *testing.T) {
	h := start(t)
	if err := h.srv.Publish(state(xds.TypeVersions{Listeners: 5, Routes: 5, Clusters: 5, Endpoints: 5}, 10000, 0)); err != nil {
		t.Fatal(err)
	}
	err := h.srv.Publish(state(xds.TypeVersions{Listeners: 5, Routes: 4, Clusters: 5, Endpoints: 5}, 0, 10000))
	if err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("Publish of an older routes version = %v, want ErrStale", err)
	}
	if v := h.srv.Cache().Versions(xds.GRPC); v.Routes != 5 {
		t.Fatalf("served routes version = %d after a refused publish, want 5", v.Routes)
	}
}

// TestDeltaSendsOnlyChanges drives a delta ADS stream like Envoy: a wildcard cluster
// subscription gets every cluster once, then only what changes, and removals.
func TestDeltaSendsOnlyChanges(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Publish(state(xds.TypeVersions{Listeners: 1, Routes: 1, Clusters: 1, Endpoints: 1}, 10000, 0)); err != nil {
		t.Fatal(err)
	}
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(h.conn).DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	node := &core.Node{Id: "envoy-1", UserAgentName: "envoy", Metadata: &structpb.Struct{}}
	if err := stream.Send(&discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResources()) != 2 || resp.GetSystemVersionInfo() != "1" {
		t.Fatalf("first delta response: %d resources, version %q; want both clusters at 1", len(resp.GetResources()), resp.GetSystemVersionInfo())
	}
	if err := stream.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResponseNonce: resp.GetNonce()}); err != nil {
		t.Fatal(err)
	}
	// Remove version 2: only its cluster is reported removed.
	one := state(xds.TypeVersions{Listeners: 1, Routes: 2, Clusters: 2, Endpoints: 2}, 10000, 0)
	one.Services[0].Versions = one.Services[0].Versions[:1]
	one.Services[0].Routes.Split = one.Services[0].Routes.Split[:1]
	if err := h.srv.Publish(one); err != nil {
		t.Fatal(err)
	}
	resp, err = stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResources()) != 0 || len(resp.GetRemovedResources()) != 1 || resp.GetRemovedResources()[0] != router.ClusterName(svc, v2) {
		t.Fatalf("second delta response: resources %d, removed %v; want only %s removed", len(resp.GetResources()), resp.GetRemovedResources(), router.ClusterName(svc, v2))
	}
	proxies := waitLedger(t, ctx, h.srv.Ledger(), func(ps []api.Proxy) bool { return len(ps) == 1 })
	if len(proxies) != 1 || !proxies[0].Delta || proxies[0].Kind != "envoy" {
		t.Fatalf("ledger = %+v, want one delta envoy stream", proxies)
	}
}

// TestWaitPublishedFollowsTheStateIndex: a writer waits until the publisher has dealt with
// the state its write produced, whether that state changed routing, left it unchanged, or
// was refused (proxies then keep the last good configuration, as they would later too).
func TestWaitPublishedFollowsTheStateIndex(t *testing.T) {
	h := start(t)
	at := func(index, routes uint64, w1 router.BasisPoints) *xds.Snapshot {
		s := state(xds.TypeVersions{Listeners: 5, Routes: routes, Clusters: 5, Endpoints: 5}, w1, router.TotalWeight-w1)
		s.StateIndex = index
		return s
	}
	if err := h.srv.Publish(at(5, 5, 10000)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.srv.WaitPublished(ctx, 5); err != nil {
		t.Fatalf("WaitPublished(5) after publishing state 5 = %v", err)
	}
	if err := h.srv.WaitPublished(ctx, 6); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitPublished(6) before state 6 = %v, want a deadline error", err)
	}

	waited := make(chan error, 1)
	go func() {
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		waited <- h.srv.WaitPublished(wctx, 7)
	}()
	// State 6 changed nothing that proxies see; state 7 would take routes back in time and
	// is refused. Both count as dealt with.
	if err := h.srv.Publish(at(6, 5, 10000)); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Publish(at(7, 4, 0)); err == nil {
		t.Fatal("a routes version going back was published")
	}
	if err := <-waited; err != nil {
		t.Fatalf("WaitPublished(7) = %v after state 7 was dealt with", err)
	}
}
