package agent

import (
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/xds"
)

// stateSource adapts the replicated state to the xDS publisher's Source.
type stateSource struct{ state *raftstore.State }

// RoutingSnapshot reads the routing tables in one consistent view. The per-type versions
// are the indexes of the last writes to the tables each type depends on, so they are the
// same on every replica for the same state and move only when that type's content can:
//   - listeners depend on the set of services;
//   - routes on route tables, versions (warm routes) and services;
//   - clusters on versions and service settings;
//   - endpoints on versions' backends.
func (s stateSource) RoutingSnapshot() (*xds.Snapshot, <-chan struct{}) {
	changed := s.state.Changed()
	var snap *xds.Snapshot
	s.state.Read(func(v raftstore.View) {
		services, versions, routes := v.TableIndex(raftstore.TableServices), v.TableIndex(raftstore.TableVersions), v.TableIndex(raftstore.TableRoutes)
		snap = &xds.Snapshot{StateIndex: v.Applied(), Versions: xds.TypeVersions{
			Listeners: services,
			Routes:    max(routes, versions, services),
			Clusters:  max(versions, services),
			Endpoints: versions,
		}}
		for _, svc := range v.Services() {
			st := xds.ServiceState{Service: svc.Service}
			for _, mv := range v.Versions(svc.Name) {
				st.Versions = append(st.Versions, mv.ModelVersion)
			}
			if rt := v.Routes(svc.Name); rt != nil {
				table := rt.RouteTable
				st.Routes = &table
			}
			snap.Services = append(snap.Services, st)
		}
	})
	snap.Normalize()
	return snap, changed
}

// versionsOf returns the registered versions of a service as domain values.
func versionsOf(state *raftstore.State, service string) []router.ModelVersion {
	var out []router.ModelVersion
	for _, v := range state.Versions(service) {
		out = append(out, v.ModelVersion)
	}
	return out
}
