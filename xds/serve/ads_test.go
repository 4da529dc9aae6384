package serve

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/xds"
)

// rawADS is a hand-driven SotW ADS stream: the test decides every request, so it can send
// stale nonces and change subscriptions the way adsclient never does.
type rawADS struct {
	t      *testing.T
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	resps  chan *discovery.DiscoveryResponse
	err    error // why the stream ended; read after resps is closed
}

func openRawADS(t *testing.T, ctx context.Context, h *harness) *rawADS {
	t.Helper()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(h.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := &rawADS{t: t, stream: stream, resps: make(chan *discovery.DiscoveryResponse, 16)}
	go func() {
		defer close(r.resps)
		for {
			resp, err := stream.Recv()
			if err != nil {
				r.err = err
				return
			}
			r.resps <- resp
		}
	}()
	return r
}

func (r *rawADS) send(req *discovery.DiscoveryRequest) {
	r.t.Helper()
	if err := r.stream.Send(req); err != nil {
		r.t.Fatal(err)
	}
}

// next returns the next response, failing after 5 s.
func (r *rawADS) next() *discovery.DiscoveryResponse {
	r.t.Helper()
	select {
	case resp, ok := <-r.resps:
		if !ok {
			r.t.Fatal("stream ended while a response was expected")
		}
		return resp
	case <-time.After(5 * time.Second):
		r.t.Fatal("no response within 5s")
	}
	return nil
}

// none asserts that no response arrives within d.
func (r *rawADS) none(d time.Duration, why string) {
	r.t.Helper()
	select {
	case resp := <-r.resps:
		r.t.Fatalf("%s: got %s version %s nonce %s, want no response", why, shortType(resp.GetTypeUrl()), resp.GetVersionInfo(), resp.GetNonce())
	case <-time.After(d):
	}
}

func grpcNode(id string) *core.Node {
	return &core.Node{Id: id, Metadata: &structpb.Struct{Fields: map[string]*structpb.Value{KindMetadataKey: structpb.NewStringValue("grpc")}}}
}

// TestADSStreamProtocol drives Vigil's SotW ADS handler through the protocol rules it must
// keep: nothing is pushed to a type the client has not answered yet; a request with a
// stale nonce is ignored; an ACK of an older version gets the newest at once; a changed
// subscription is answered with the new names; the ledger names the stream "ads-N".
func TestADSStreamProtocol(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	v := xds.TypeVersions{Listeners: 1, Routes: 1, Clusters: 1, Endpoints: 1}
	if err := h.srv.Publish(state(v, 10000, 0)); err != nil {
		t.Fatal(err)
	}
	ads := openRawADS(t, ctx, h)
	ads.send(&discovery.DiscoveryRequest{Node: grpcNode("raw-1"), TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}})
	first := ads.next()
	if first.GetVersionInfo() != "1" || first.GetNonce() == "" || len(first.GetResources()) != 1 {
		t.Fatalf("first response: version %q nonce %q %d resources, want version 1 with one route config and a nonce",
			first.GetVersionInfo(), first.GetNonce(), len(first.GetResources()))
	}

	// The client has not answered version 1: version 2 waits for its answer.
	v.Routes = 2
	if err := h.srv.Publish(state(v, 5000, 5000)); err != nil {
		t.Fatal(err)
	}
	ads.none(300*time.Millisecond, "a push before the client answered the previous one")

	// A request carrying a nonce other than the newest is stale and changes nothing.
	ads.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}, ResponseNonce: "stale"})
	ads.none(300*time.Millisecond, "a request with a stale nonce")

	// Its ACK of version 1 opens a watch that the newer version answers at once.
	ads.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}, VersionInfo: "1", ResponseNonce: first.GetNonce()})
	second := ads.next()
	if second.GetVersionInfo() != "2" || second.GetNonce() == first.GetNonce() {
		t.Fatalf("after the ACK of 1: version %q nonce %q, want version 2 with a new nonce", second.GetVersionInfo(), second.GetNonce())
	}

	// An ACK of the newest version with the same names waits for the next change.
	ads.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}, VersionInfo: "2", ResponseNonce: second.GetNonce()})
	ads.none(300*time.Millisecond, "an ACK of the served version")

	// A changed subscription (a name that does not exist, then the real one back) is
	// answered for the names asked.
	ads.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: []string{"no-such-route"}, VersionInfo: "2", ResponseNonce: second.GetNonce()})
	ads.none(300*time.Millisecond, "a subscription to a route config that does not exist")
	ads.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}, VersionInfo: "2", ResponseNonce: second.GetNonce()})
	third := ads.next()
	if third.GetVersionInfo() != "2" || len(third.GetResources()) != 1 {
		t.Fatalf("after re-subscribing: version %q with %d resources, want version 2 with the route config", third.GetVersionInfo(), len(third.GetResources()))
	}

	ads.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}, VersionInfo: "2", ResponseNonce: third.GetNonce()})
	proxies := waitLedger(t, ctx, h.srv.Ledger(), func(ps []api.Proxy) bool {
		for _, p := range ps {
			for _, pt := range p.Types {
				if p.NodeID == "raw-1" && pt.Type == "RouteConfiguration" && pt.Acked == 2 {
					return true
				}
			}
		}
		return false
	})
	if s := proxies[0].Stream; !strings.HasPrefix(s, "ads-") || proxies[0].Kind != "grpc" {
		t.Fatalf("ledger: stream %q kind %q, want ads-N and grpc", s, proxies[0].Kind)
	}

	// A request without a type URL ends the stream with an error that says so.
	ads.send(&discovery.DiscoveryRequest{})
	select {
	case resp, ok := <-ads.resps:
		if ok {
			t.Fatalf("a request without a type URL got a response (%s)", resp.GetTypeUrl())
		}
		if ads.err == nil || !strings.Contains(ads.err.Error(), "type_url") {
			t.Fatalf("stream ended with %v, want an error naming type_url", ads.err)
		}
	case <-ctx.Done():
		t.Fatal("a request without a type URL did not end the stream")
	}
	waitLedger(t, ctx, h.srv.Ledger(), func(ps []api.Proxy) bool { return len(ps) == 0 })

	// A client that closes its side ends the stream normally (status OK, not an error).
	closing := openRawADS(t, ctx, h)
	closing.send(&discovery.DiscoveryRequest{Node: grpcNode("raw-2"), TypeUrl: resourcev3.RouteType, ResourceNames: []string{svc}})
	closing.next()
	if err := closing.stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-closing.resps:
		if ok || !errors.Is(closing.err, io.EOF) {
			t.Fatalf("after CloseSend the stream ended with %v, want a normal end (io.EOF)", closing.err)
		}
	case <-ctx.Done():
		t.Fatal("the stream did not end after the client closed its side")
	}
}

// TestStreamsWithOneSubscriptionShareAPayload checks that a push builds one payload per
// distinct subscription, not one per stream, and that a stream which modifies its returned
// set (go-control-plane's per-type streams) gets a payload of its own.
func TestStreamsWithOneSubscriptionShareAPayload(t *testing.T) {
	c := NewCache(Classify)
	v := xds.TypeVersions{Listeners: 1, Routes: 1, Clusters: 1, Endpoints: 1}
	res, err := xds.Translate(state(v, 10000, 0), xds.GRPC, xds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(res); err != nil {
		t.Fatal(err)
	}
	watch := func(names []string, shared bool) *sotwResponse {
		var got *sotwResponse
		req := &discovery.DiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResourceNames: names}
		c.watchSotw(xds.GRPC, req, streamv3.NewSotwSubscription(names, false), 0, shared, func(r *sotwResponse) func() { got = r; return nil })
		if got == nil {
			t.Fatalf("watch of %v was not answered at once", names)
		}
		return got
	}
	a, b := router.ClusterName(svc, v1), router.ClusterName(svc, v2)
	first, second := watch([]string{a, b}, true), watch([]string{b, a}, true)
	if first.sotwPayload != second.sotwPayload || len(first.resources) != 2 {
		t.Fatalf("two streams subscribed to the same clusters got different payloads (%p, %p) or %d resources, want one shared payload of 2",
			first.sotwPayload, second.sotwPayload, len(first.resources))
	}
	if only := watch([]string{a}, true); only.sotwPayload == first.sotwPayload || len(only.resources) != 1 {
		t.Fatalf("a stream subscribed to one cluster got the two-cluster payload")
	}
	if own := watch([]string{a, b}, false); own.sotwPayload == first.sotwPayload {
		t.Fatalf("a stream that modifies its returned set got the shared payload")
	}
	v.Clusters = 2
	res, err = xds.Translate(state(v, 10000, 0), xds.GRPC, xds.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(res); err != nil {
		t.Fatal(err)
	}
	if next := watch([]string{a, b}, true); next.sotwPayload == first.sotwPayload || next.version != "2" {
		t.Fatalf("after a new clusters version: version %q, payload reused %v; want version 2 and a new payload", next.version, next.sotwPayload == first.sotwPayload)
	}
}
