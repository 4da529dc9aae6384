// Package adsclient is a raw ADS client for tests and benchmarks: it speaks SotW or delta
// ADS like a proxy, ACKs (or, on request, NACKs) every response and records what it got.
// It stands in for thousands of proxies where real gRPC channels would be too heavy; the
// behaviour of real clients is tested with grpc-go's own xDS client.
package adsclient

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

// Options describe the simulated proxy.
type Options struct {
	NodeID string
	// Kind is sent as node metadata vigil.kind: "grpc" or "envoy".
	Kind string
	// Service is the listener a gRPC-kind client dials; Envoy-kind clients subscribe to
	// every listener and cluster (wildcard).
	Service string
	// Follow makes the client parse listeners and routes and subscribe to the route
	// configurations and clusters they name, as a real client does. Without it, a gRPC-kind
	// client subscribes to the fixed names in Routes and Clusters and never parses.
	Follow   bool
	Routes   []string
	Clusters []string
	// Reject, when set, is asked about every response; a non-nil error NACKs it.
	Reject func(typeURL, version string) error
	// Version, when set, is sent as the initial version_info of every type (a client that
	// reconnects with configuration it already has).
	Version string
	// OnAck, when set, is called after each ACK has been sent, with the ACKed version.
	OnAck func(typeURL, version string, at time.Time)
}

// Client is one ADS stream.
type Client struct {
	opts   Options
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *core.Node

	mu       sync.Mutex
	versions map[string]string // ACKed, by type; what Wait conditions read
	types    map[string]*typeState
	changed  chan struct{}
	watched  bool // changed was handed out since it was last closed
	err      error
	done     chan struct{}
}

// Start opens an ADS stream on conn and subscribes. The stream lives until ctx ends.
func Start(ctx context.Context, conn grpc.ClientConnInterface, opts Options) (*Client, error) {
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, fmt.Errorf("open ADS stream: %w", err)
	}
	c := &Client{
		opts: opts, stream: stream,
		node: &core.Node{
			Id:            opts.NodeID,
			UserAgentName: "vigil-adsclient",
			Metadata:      &structpb.Struct{Fields: map[string]*structpb.Value{"vigil.kind": structpb.NewStringValue(opts.Kind)}},
		},
		versions: map[string]string{}, types: map[string]*typeState{},
		changed: make(chan struct{}), done: make(chan struct{}),
	}
	initial := map[string][]string{}
	switch {
	case opts.Kind == "envoy":
		initial[resourcev3.ListenerType] = nil
		initial[resourcev3.ClusterType] = nil
	case opts.Follow:
		initial[resourcev3.ListenerType] = []string{opts.Service}
	default:
		initial[resourcev3.ListenerType] = []string{opts.Service}
		initial[resourcev3.RouteType] = opts.Routes
		initial[resourcev3.ClusterType] = opts.Clusters
		initial[resourcev3.EndpointType] = opts.Clusters
	}
	first := true
	for _, typeURL := range []string{resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType, resourcev3.RouteType} {
		names, ok := initial[typeURL]
		if !ok {
			continue
		}
		c.typeState(typeURL).subs = names
		req := &discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names, VersionInfo: opts.Version}
		if first {
			req.Node = c.node
			first = false
		}
		if err := stream.Send(req); err != nil {
			return nil, fmt.Errorf("subscribe %s: %w", typeURL, err)
		}
	}
	go c.run()
	return c, nil
}

func (c *Client) run() {
	defer close(c.done)
	for {
		resp, err := c.stream.Recv()
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
		if err := c.handle(resp); err != nil {
			c.mu.Lock()
			c.err = err
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
	}
}

// typeState is what the client holds for one resource type.
type typeState struct {
	subs      []string
	received  time.Time // of the last accepted response
	responses int
	nacks     int
}

// typeState returns the state of typeURL, creating it, for an update. c.mu must be held.
func (c *Client) typeState(typeURL string) *typeState {
	ts := c.types[typeURL]
	if ts == nil {
		ts = &typeState{}
		c.types[typeURL] = ts
	}
	return ts
}

// stateOf returns a copy of the state of typeURL (zero if the type was never seen). c.mu
// must be held.
func (c *Client) stateOf(typeURL string) typeState {
	if ts := c.types[typeURL]; ts != nil {
		return *ts
	}
	return typeState{}
}

// notifyLocked wakes the waiters, if any: a benchmark's 10,000 clients must not allocate a
// channel per response when nobody waits.
func (c *Client) notifyLocked() {
	if !c.watched {
		return
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.watched = false
}

func (c *Client) handle(resp *discovery.DiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	var reject error
	if c.opts.Reject != nil {
		reject = c.opts.Reject(typeURL, resp.GetVersionInfo())
	}
	var follow map[string][]string
	if reject == nil && c.opts.Follow {
		var err error
		if follow, err = references(resp); err != nil {
			reject = err
		}
	}
	c.mu.Lock()
	ts := c.typeState(typeURL)
	ts.responses++
	ack := &discovery.DiscoveryRequest{TypeUrl: typeURL, ResponseNonce: resp.GetNonce(), ResourceNames: ts.subs}
	if reject != nil {
		ts.nacks++
		ack.VersionInfo = c.versions[typeURL]
		ack.ErrorDetail = &status.Status{Code: 3, Message: reject.Error()}
	} else {
		c.versions[typeURL] = resp.GetVersionInfo()
		ts.received = time.Now()
		ack.VersionInfo = resp.GetVersionInfo()
	}
	c.notifyLocked()
	var more []*discovery.DiscoveryRequest
	for t, names := range follow {
		if ft := c.typeState(t); !slices.Equal(ft.subs, names) {
			ft.subs = names
			more = append(more, &discovery.DiscoveryRequest{TypeUrl: t, ResourceNames: names, VersionInfo: c.versions[t]})
		}
	}
	c.mu.Unlock()
	if err := c.stream.Send(ack); err != nil {
		return err
	}
	if reject == nil && c.opts.OnAck != nil {
		c.opts.OnAck(typeURL, resp.GetVersionInfo(), time.Now())
	}
	for _, req := range more {
		if err := c.stream.Send(req); err != nil {
			return err
		}
	}
	return nil
}

// references returns the RDS names a listener response names, or the clusters a route
// response names (as both CDS and EDS subscriptions).
func references(resp *discovery.DiscoveryResponse) (map[string][]string, error) {
	switch resp.GetTypeUrl() {
	case resourcev3.ListenerType:
		set := map[string]bool{}
		for _, a := range resp.GetResources() {
			l := &listener.Listener{}
			if err := a.UnmarshalTo(l); err != nil {
				return nil, err
			}
			m := &hcm.HttpConnectionManager{}
			if api := l.GetApiListener().GetApiListener(); api != nil {
				if err := api.UnmarshalTo(m); err != nil {
					return nil, err
				}
				set[m.GetRds().GetRouteConfigName()] = true
			}
		}
		return map[string][]string{resourcev3.RouteType: slices.Sorted(maps.Keys(set))}, nil
	case resourcev3.RouteType:
		set := map[string]bool{}
		for _, a := range resp.GetResources() {
			rc := &route.RouteConfiguration{}
			if err := a.UnmarshalTo(rc); err != nil {
				return nil, err
			}
			for _, vh := range rc.GetVirtualHosts() {
				for _, r := range vh.GetRoutes() {
					if n := r.GetRoute().GetCluster(); n != "" {
						set[n] = true
					}
					for _, cw := range r.GetRoute().GetWeightedClusters().GetClusters() {
						set[cw.GetName()] = true
					}
				}
			}
		}
		names := slices.Sorted(maps.Keys(set))
		return map[string][]string{resourcev3.ClusterType: names, resourcev3.EndpointType: names}, nil
	}
	return nil, nil
}

// Version returns the last ACKed version of a type ("" before any).
func (c *Client) Version(typeURL string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.versions[typeURL]
}

// ReceivedAt returns when the last accepted response of a type arrived.
func (c *Client) ReceivedAt(typeURL string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateOf(typeURL).received
}

// Responses returns how many responses of a type arrived (accepted or not).
func (c *Client) Responses(typeURL string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateOf(typeURL).responses
}

// Nacks returns how many responses of a type the client rejected.
func (c *Client) Nacks(typeURL string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateOf(typeURL).nacks
}

// Wait blocks until cond (called under the client's lock with the ACKed versions) holds,
// the stream fails, or ctx ends.
func (c *Client) Wait(ctx context.Context, cond func(versions map[string]string) bool) error {
	for {
		c.mu.Lock()
		ok := cond(c.versions)
		err, ch := c.err, c.changed
		c.watched = true
		c.mu.Unlock()
		if ok {
			return nil
		}
		if err != nil {
			return fmt.Errorf("ads stream %s: %w", c.opts.NodeID, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// WaitVersion waits until a type's ACKed version equals v.
func (c *Client) WaitVersion(ctx context.Context, typeURL, v string) error {
	return c.Wait(ctx, func(vs map[string]string) bool { return vs[typeURL] == v })
}

// Err returns the stream's error once it has ended.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done is closed when the stream ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// ErrRejected is a convenience error for Reject functions.
var ErrRejected = errors.New("rejected by test client")
