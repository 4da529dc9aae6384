package xds

import (
	"net"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpopts "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/seed70a3350f/vigil/router"
)

// ConnectTimeout bounds establishing a connection to a model server.
const ConnectTimeout = 5 * time.Second

// upstreamHTTPProtocolOptionsKey is the extension name Envoy reads HTTP upstream options from.
const upstreamHTTPProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// makeClustersAndEndpoints returns a cluster per service version and, for EDS clusters,
// its ClusterLoadAssignment. gRPC clients always use EDS. Envoy resolves EDS endpoints only
// by IP, so a version with a DNS-named backend becomes a STRICT_DNS cluster for Envoy with
// its endpoints inline.
func makeClustersAndEndpoints(snap *Snapshot, kind ClientKind) (clusters, endpoints []types.Resource) {
	for i := range snap.Services {
		s := &snap.Services[i]
		for _, mv := range s.Versions {
			name := router.ClusterName(s.Service.Name, mv.Version)
			c := makeCluster(name, s.Service, kind)
			cla := makeLoadAssignment(name, mv.Backends)
			if kind == Envoy && !allIPs(mv.Backends) {
				c.ClusterDiscoveryType = &cluster.Cluster_Type{Type: cluster.Cluster_STRICT_DNS}
				c.EdsClusterConfig = nil
				c.LoadAssignment = cla
				clusters = append(clusters, c)
				continue
			}
			clusters = append(clusters, c)
			endpoints = append(endpoints, cla)
		}
	}
	return clusters, endpoints
}

func makeCluster(name string, svc router.Service, kind ClientKind) *cluster.Cluster {
	c := &cluster.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(ConnectTimeout),
		ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS},
		EdsClusterConfig: &cluster.Cluster_EdsClusterConfig{
			EdsConfig:   adsConfigSource(),
			ServiceName: name,
		},
	}
	switch svc.LBPolicy {
	case "", router.RoundRobin:
		c.LbPolicy = cluster.Cluster_ROUND_ROBIN
	case router.LeastRequest:
		c.LbPolicy = cluster.Cluster_LEAST_REQUEST
	case router.RingHash:
		c.LbPolicy = cluster.Cluster_RING_HASH
	case router.Maglev:
		c.LbPolicy = cluster.Cluster_MAGLEV
	}
	if kind == Envoy && svc.EffectiveProtocol() == router.ProtocolGRPC {
		opts, err := anypb.New(&httpopts.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpopts.HttpProtocolOptions_ExplicitHttpConfig_{
				ExplicitHttpConfig: &httpopts.HttpProtocolOptions_ExplicitHttpConfig{
					ProtocolConfig: &httpopts.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
						Http2ProtocolOptions: &core.Http2ProtocolOptions{},
					},
				},
			},
		})
		if err != nil {
			// anypb.New fails only for a nil message or a broken proto registry.
			panic(err)
		}
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{upstreamHTTPProtocolOptionsKey: opts}
	}
	return c
}

func allIPs(backends []router.Backend) bool {
	for _, b := range backends {
		host, _ := b.HostPort()
		if net.ParseIP(host) == nil {
			return false
		}
	}
	return true
}
