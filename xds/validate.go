package xds

import (
	"errors"
	"fmt"
	"math"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/seed70a3350f/vigil/router"
)

// validator is the generated ValidateAll of every Envoy proto.
type validator interface{ ValidateAll() error }

// Validate checks translated resources beyond the protos' own ValidateAll, which accepts
// all-zero weights, weight sums above MaxUint32 and routes to clusters that do not exist,
// and never looks inside an api_listener. It checks:
//   - every resource passes ValidateAll;
//   - every weighted route has non-zero weights summing to exactly router.TotalWeight;
//   - every cluster a route names exists;
//   - every listener's HttpConnectionManager (in filter chains and api_listeners) names an
//     existing route configuration over RDS and ends with the router filter;
//   - every EDS cluster has exactly one load assignment and every load assignment a cluster.
//
// All problems are joined into one error.
func Validate(r *Resources) error {
	var errs []error
	check := func(kind string, items []types.Resource) {
		for _, item := range items {
			if v, ok := item.(validator); ok {
				if err := v.ValidateAll(); err != nil {
					errs = append(errs, fmt.Errorf("%s %q: %w", kind, resourceName(item), err))
				}
			}
		}
	}
	check("listener", r.Listeners)
	check("route configuration", r.Routes)
	check("cluster", r.Clusters)
	check("load assignment", r.Endpoints)

	clusters := map[string]*cluster.Cluster{}
	for _, item := range r.Clusters {
		c := item.(*cluster.Cluster)
		if _, dup := clusters[c.GetName()]; dup {
			errs = append(errs, fmt.Errorf("cluster %q is defined twice", c.GetName()))
		}
		clusters[c.GetName()] = c
	}
	assignments := map[string]bool{}
	for _, item := range r.Endpoints {
		cla := item.(*endpoint.ClusterLoadAssignment)
		if assignments[cla.GetClusterName()] {
			errs = append(errs, fmt.Errorf("load assignment %q is defined twice", cla.GetClusterName()))
		}
		assignments[cla.GetClusterName()] = true
		c, ok := clusters[cla.GetClusterName()]
		if !ok || c.GetType() != cluster.Cluster_EDS {
			errs = append(errs, fmt.Errorf("load assignment %q has no EDS cluster", cla.GetClusterName()))
		}
	}
	for name, c := range clusters {
		if c.GetType() == cluster.Cluster_EDS && !assignments[edsName(c)] {
			errs = append(errs, fmt.Errorf("EDS cluster %q has no load assignment %q", name, edsName(c)))
		}
	}

	routeConfigs := map[string]bool{}
	for _, item := range r.Routes {
		rc := item.(*route.RouteConfiguration)
		routeConfigs[rc.GetName()] = true
		for _, vh := range rc.GetVirtualHosts() {
			for _, rt := range vh.GetRoutes() {
				errs = append(errs, checkRoute(rc.GetName(), vh.GetName(), rt, clusters)...)
			}
		}
	}
	for _, item := range r.Listeners {
		l := item.(*listener.Listener)
		errs = append(errs, checkListener(l, routeConfigs)...)
	}
	return errors.Join(errs...)
}

func edsName(c *cluster.Cluster) string {
	if n := c.GetEdsClusterConfig().GetServiceName(); n != "" {
		return n
	}
	return c.GetName()
}

func checkRoute(rcName, vhName string, rt *route.Route, clusters map[string]*cluster.Cluster) []error {
	where := fmt.Sprintf("route configuration %q virtual host %q route %q", rcName, vhName, rt.GetName())
	action := rt.GetRoute()
	if action == nil {
		return nil
	}
	var errs []error
	refer := func(name string) {
		if _, ok := clusters[name]; !ok {
			errs = append(errs, fmt.Errorf("%s: cluster %q does not exist", where, name))
		}
	}
	switch spec := action.GetClusterSpecifier().(type) {
	case *route.RouteAction_Cluster:
		refer(spec.Cluster)
	case *route.RouteAction_WeightedClusters:
		var sum uint64
		for _, cw := range spec.WeightedClusters.GetClusters() {
			refer(cw.GetName())
			w := uint64(cw.GetWeight().GetValue())
			if w == 0 {
				errs = append(errs, fmt.Errorf("%s: cluster %q has weight 0; omit it instead", where, cw.GetName()))
			}
			sum += w
		}
		switch {
		case sum == 0:
			errs = append(errs, fmt.Errorf("%s: weights sum to 0", where))
		case sum > math.MaxUint32:
			errs = append(errs, fmt.Errorf("%s: weights sum to %d, above MaxUint32", where, sum))
		case sum != uint64(router.TotalWeight):
			errs = append(errs, fmt.Errorf("%s: weights sum to %d, want %d", where, sum, router.TotalWeight))
		}
	default:
		errs = append(errs, fmt.Errorf("%s: unsupported cluster specifier %T", where, spec))
	}
	for _, m := range action.GetRequestMirrorPolicies() {
		refer(m.GetCluster())
	}
	return errs
}

func checkListener(l *listener.Listener, routeConfigs map[string]bool) []error {
	var managers []*anypb.Any
	if api := l.GetApiListener().GetApiListener(); api != nil {
		managers = append(managers, api)
	}
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			if tc := f.GetTypedConfig(); tc != nil {
				managers = append(managers, tc)
			}
		}
	}
	if len(managers) == 0 {
		return []error{fmt.Errorf("listener %q has no HttpConnectionManager", l.GetName())}
	}
	var errs []error
	for _, a := range managers {
		m := &hcm.HttpConnectionManager{}
		if err := a.UnmarshalTo(m); err != nil {
			errs = append(errs, fmt.Errorf("listener %q: %w", l.GetName(), err))
			continue
		}
		if err := m.ValidateAll(); err != nil {
			errs = append(errs, fmt.Errorf("listener %q: HttpConnectionManager: %w", l.GetName(), err))
		}
		rds := m.GetRds()
		if rds == nil {
			errs = append(errs, fmt.Errorf("listener %q: HttpConnectionManager does not use RDS", l.GetName()))
		} else if !routeConfigs[rds.GetRouteConfigName()] {
			errs = append(errs, fmt.Errorf("listener %q: route configuration %q does not exist", l.GetName(), rds.GetRouteConfigName()))
		}
		filters := m.GetHttpFilters()
		if len(filters) == 0 || filters[len(filters)-1].GetName() != "envoy.filters.http.router" {
			errs = append(errs, fmt.Errorf("listener %q: the router filter must be the last HTTP filter", l.GetName()))
		}
	}
	return errs
}

func resourceName(r types.Resource) string {
	type named interface{ GetName() string }
	type clusterNamed interface{ GetClusterName() string }
	switch v := r.(type) {
	case named:
		return v.GetName()
	case clusterNamed:
		return v.GetClusterName()
	}
	return fmt.Sprintf("%T", r)
}
