package xds

import (
	"slices"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seed70a3350f/vigil/router"
)

// makeLoadAssignment groups backends by locality. Localities are sorted and each carries a
// Locality (possibly empty) and a load_balancing_weight of 1: gRPC ignores localities
// without a weight and rejects them without a Locality.
func makeLoadAssignment(clusterName string, backends []router.Backend) *endpoint.ClusterLoadAssignment {
	byLocality := map[router.Locality][]router.Backend{}
	var localities []router.Locality
	for _, b := range backends {
		if _, ok := byLocality[b.Locality]; !ok {
			localities = append(localities, b.Locality)
		}
		byLocality[b.Locality] = append(byLocality[b.Locality], b)
	}
	slices.SortFunc(localities, func(a, b router.Locality) int { return cmpLocality(a, b) })
	cla := &endpoint.ClusterLoadAssignment{ClusterName: clusterName}
	for _, loc := range localities {
		group := byLocality[loc]
		slices.SortFunc(group, func(a, b router.Backend) int {
			switch {
			case a.Address < b.Address:
				return -1
			case a.Address > b.Address:
				return 1
			}
			return 0
		})
		// gRPC rejects a locality group without a Locality message, even an empty one.
		le := &endpoint.LocalityLbEndpoints{
			Locality:            &core.Locality{Region: loc.Region, Zone: loc.Zone, SubZone: loc.SubZone},
			LoadBalancingWeight: wrapperspb.UInt32(1),
		}
		for _, b := range group {
			host, port := b.HostPort()
			le.LbEndpoints = append(le.LbEndpoints, &endpoint.LbEndpoint{
				HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{
					Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
						Protocol:      core.SocketAddress_TCP,
						Address:       host,
						PortSpecifier: &core.SocketAddress_PortValue{PortValue: port},
					}}},
				}},
			})
		}
		cla.Endpoints = append(cla.Endpoints, le)
	}
	return cla
}

func cmpLocality(a, b router.Locality) int {
	for _, pair := range [][2]string{{a.Region, b.Region}, {a.Zone, b.Zone}, {a.SubZone, b.SubZone}} {
		switch {
		case pair[0] < pair[1]:
			return -1
		case pair[0] > pair[1]:
			return 1
		}
	}
	return 0
}
