package xds

import (
	"fmt"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// ClientKind selects the shape of the resources: Envoy proxies and proxyless gRPC clients
// ask for different listeners.
type ClientKind uint8

const (
	// Envoy gets one HTTP listener whose route configuration has a virtual host per service.
	Envoy ClientKind = iota + 1
	// GRPC gets an api_listener per service, named after it (the name clients dial).
	GRPC
)

func (k ClientKind) String() string {
	switch k {
	case Envoy:
		return "envoy"
	case GRPC:
		return "grpc"
	}
	return fmt.Sprintf("ClientKind(%d)", uint8(k))
}

// Options tune the Envoy-facing parts of the translation.
type Options struct {
	// EnvoyListenerAddress is the address Envoy's HTTP listener binds; default 0.0.0.0.
	EnvoyListenerAddress string
	// EnvoyListenerPort is the port of Envoy's HTTP listener; default 10000.
	EnvoyListenerPort uint32
}

func (o Options) withDefaults() Options {
	if o.EnvoyListenerAddress == "" {
		o.EnvoyListenerAddress = "0.0.0.0"
	}
	if o.EnvoyListenerPort == 0 {
		o.EnvoyListenerPort = 10000
	}
	return o
}

// Resources are the translated resources of one snapshot for one client kind, each list
// sorted by resource name.
type Resources struct {
	Kind      ClientKind
	Versions  TypeVersions
	Listeners []types.Resource
	Routes    []types.Resource
	Clusters  []types.Resource
	Endpoints []types.Resource
}

// ByType returns the resources of an xDS type URL and its version.
func (r *Resources) ByType(typeURL string) ([]types.Resource, uint64) {
	switch typeURL {
	case resourcev3.ListenerType:
		return r.Listeners, r.Versions.Listeners
	case resourcev3.RouteType:
		return r.Routes, r.Versions.Routes
	case resourcev3.ClusterType:
		return r.Clusters, r.Versions.Clusters
	case resourcev3.EndpointType:
		return r.Endpoints, r.Versions.Endpoints
	}
	return nil, 0
}

// TypeURLs lists the served types in the order a make-before-break push must follow:
// clusters and endpoints before the listeners and routes that reference them.
var TypeURLs = []string{resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType, resourcev3.RouteType}

// Translate builds the resources of snap for one client kind and checks them (Validate).
// The snapshot must be normalized (sorted); an error means the state cannot be served as
// is and nothing should be published.
func Translate(snap *Snapshot, kind ClientKind, opts Options) (*Resources, error) {
	opts = opts.withDefaults()
	out := &Resources{Kind: kind, Versions: snap.Versions}
	var err error
	switch kind {
	case Envoy:
		out.Listeners, err = makeEnvoyListeners(opts)
		if err == nil {
			out.Routes = []types.Resource{makeEnvoyRouteConfig(snap)}
		}
	case GRPC:
		out.Listeners, err = makeGRPCListeners(snap)
		if err == nil {
			out.Routes = makeGRPCRouteConfigs(snap)
		}
	default:
		return nil, fmt.Errorf("translate: unknown client kind %v", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("translate %s listeners: %w", kind, err)
	}
	out.Clusters, out.Endpoints = makeClustersAndEndpoints(snap, kind)
	if err := Validate(out); err != nil {
		return nil, err
	}
	return out, nil
}
