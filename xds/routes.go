package xds

import (
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seed70a3350f/vigil/router"
)

// WarmHeader is the header of the never-matching routes that keep every version's cluster
// referenced. A proxyless gRPC client subscribes only to clusters its routes name and drops
// a cluster the moment no route names it; without these routes a version at weight 0 would
// go cold and the first requests after its weight returns would fail with "unknown
// cluster". The route matches only when the header is both present and absent, which no
// request can be.
const WarmHeader = "x-vigil-warm"

// makeEnvoyRouteConfig returns Envoy's single route configuration: a virtual host per
// service, matched on the authority (service name, with or without a port).
func makeEnvoyRouteConfig(snap *Snapshot) types.Resource {
	rc := &route.RouteConfiguration{Name: EnvoyRouteConfigName}
	for i := range snap.Services {
		s := &snap.Services[i]
		rc.VirtualHosts = append(rc.VirtualHosts, &route.VirtualHost{
			Name:    s.Service.Name,
			Domains: []string{s.Service.Name, s.Service.Name + ":*"},
			Routes:  makeRoutes(s, Envoy),
		})
	}
	return rc
}

// makeGRPCRouteConfigs returns one route configuration per service, named after it, with
// one virtual host matching the service name.
func makeGRPCRouteConfigs(snap *Snapshot) []types.Resource {
	out := make([]types.Resource, 0, len(snap.Services))
	for i := range snap.Services {
		s := &snap.Services[i]
		out = append(out, &route.RouteConfiguration{
			Name: s.Service.Name,
			VirtualHosts: []*route.VirtualHost{{
				Name:    s.Service.Name,
				Domains: []string{s.Service.Name},
				Routes:  makeRoutes(s, GRPC),
			}},
		})
	}
	return out
}

// makeRoutes orders a service's routes: header pins first (they win over the split), then
// the never-matching warm routes of versions nothing else references, then the weighted
// split, which matches every request.
func makeRoutes(s *ServiceState, kind ClientKind) []*route.Route {
	var rt router.RouteTable
	if s.Routes != nil {
		rt = *s.Routes
	}
	var routes []*route.Route
	for _, pin := range rt.Pins {
		r := &route.Route{
			Name: "pin:" + pin.Header + "=" + pin.Value,
			Match: &route.RouteMatch{
				PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"},
				Headers: []*route.HeaderMatcher{{
					Name: pin.Header,
					HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: &matcher.StringMatcher{
						MatchPattern: &matcher.StringMatcher_Exact{Exact: pin.Value},
					}},
				}},
			},
		}
		action := makeRouteAction(rt, kind)
		action.ClusterSpecifier = &route.RouteAction_Cluster{Cluster: router.ClusterName(s.Service.Name, pin.Version)}
		r.Action = &route.Route_Route{Route: action}
		routes = append(routes, r)
	}
	for _, mv := range s.Versions {
		if rt.References(mv.Version) {
			continue
		}
		routes = append(routes, makeWarmRoute(router.ClusterName(s.Service.Name, mv.Version)))
	}
	if len(rt.Split) > 0 {
		weighted := &route.WeightedCluster{}
		for _, split := range rt.Split {
			if split.Weight == 0 {
				continue
			}
			weighted.Clusters = append(weighted.Clusters, &route.WeightedCluster_ClusterWeight{
				Name:   router.ClusterName(s.Service.Name, split.Version),
				Weight: wrapperspb.UInt32(uint32(split.Weight)),
			})
		}
		action := makeRouteAction(rt, kind)
		action.ClusterSpecifier = &route.RouteAction_WeightedClusters{WeightedClusters: weighted}
		if rt.Mirror != nil && kind == Envoy {
			action.RequestMirrorPolicies = []*route.RouteAction_RequestMirrorPolicy{{
				Cluster: router.ClusterName(s.Service.Name, rt.Mirror.Version),
				RuntimeFraction: &core.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
					Numerator:   uint32(rt.Mirror.Percent),
					Denominator: typev3.FractionalPercent_TEN_THOUSAND,
				}},
			}}
		}
		routes = append(routes, &route.Route{
			Name:   "split",
			Match:  &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}},
			Action: &route.Route_Route{Route: action},
		})
	}
	return routes
}

// makeWarmRoute references cluster from a route no request can match.
func makeWarmRoute(cluster string) *route.Route {
	return &route.Route{
		Name: "warm:" + cluster,
		Match: &route.RouteMatch{
			PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"},
			Headers: []*route.HeaderMatcher{
				{Name: WarmHeader, HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}},
				{Name: WarmHeader, HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}, InvertMatch: true},
			},
		},
		Action: &route.Route_Route{Route: &route.RouteAction{
			ClusterSpecifier: &route.RouteAction_Cluster{Cluster: cluster},
		}},
	}
}

// makeRouteAction sets the timeout and retry policy every route of the table shares.
// Envoy enforces RouteAction.timeout; gRPC clients enforce max_stream_duration.
func makeRouteAction(rt router.RouteTable, kind ClientKind) *route.RouteAction {
	timeout := durationpb.New(rt.EffectiveTimeout())
	action := &route.RouteAction{}
	switch kind {
	case Envoy:
		action.Timeout = timeout
	case GRPC:
		action.MaxStreamDuration = &route.RouteAction_MaxStreamDuration{MaxStreamDuration: timeout}
	}
	retry := rt.EffectiveRetry()
	if retry.NumRetries > 0 {
		policy := &route.RetryPolicy{
			RetryOn:    strings.Join(retry.RetryOn, ","),
			NumRetries: wrapperspb.UInt32(retry.NumRetries),
		}
		if retry.PerTryTimeout > 0 {
			policy.PerTryTimeout = durationpb.New(retry.PerTryTimeout.Std())
		}
		action.RetryPolicy = policy
	}
	return action
}
