package xds

import (
	"fmt"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routerfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/anypb"
)

// EnvoyRouteConfigName names both Envoy's HTTP listener and its route configuration.
const EnvoyRouteConfigName = "vigil_http"

// makeEnvoyListeners returns Envoy's single HTTP listener; its routes come over RDS.
func makeEnvoyListeners(opts Options) ([]types.Resource, error) {
	manager, err := makeHTTPConnectionManager(EnvoyRouteConfigName, EnvoyRouteConfigName)
	if err != nil {
		return nil, err
	}
	return []types.Resource{&listener.Listener{
		Name: EnvoyRouteConfigName,
		Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
			Protocol:      core.SocketAddress_TCP,
			Address:       opts.EnvoyListenerAddress,
			PortSpecifier: &core.SocketAddress_PortValue{PortValue: opts.EnvoyListenerPort},
		}}},
		FilterChains: []*listener.FilterChain{{
			Filters: []*listener.Filter{{
				Name:       wellknown.HTTPConnectionManager,
				ConfigType: &listener.Filter_TypedConfig{TypedConfig: manager},
			}},
		}},
	}}, nil
}

// makeGRPCListeners returns one api_listener per service, named after the service: the
// name a proxyless client dials as xds:///SERVICE.
func makeGRPCListeners(snap *Snapshot) ([]types.Resource, error) {
	out := make([]types.Resource, 0, len(snap.Services))
	for _, s := range snap.Services {
		name := s.Service.Name
		manager, err := makeHTTPConnectionManager(name, name)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		out = append(out, &listener.Listener{
			Name:        name,
			ApiListener: &listener.ApiListener{ApiListener: manager},
		})
	}
	return out, nil
}

// makeHTTPConnectionManager builds an HttpConnectionManager whose routes come from the RDS
// resource routeConfig over ADS, ending with the router filter (gRPC requires it last).
func makeHTTPConnectionManager(statPrefix, routeConfig string) (*anypb.Any, error) {
	routerConfig, err := anypb.New(&routerfilter.Router{})
	if err != nil {
		return nil, err
	}
	return anypb.New(&hcm.HttpConnectionManager{
		StatPrefix: statPrefix,
		CodecType:  hcm.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{
			ConfigSource:    adsConfigSource(),
			RouteConfigName: routeConfig,
		}},
		HttpFilters: []*hcm.HttpFilter{{
			Name:       wellknown.Router,
			ConfigType: &hcm.HttpFilter_TypedConfig{TypedConfig: routerConfig},
		}},
	})
}

func adsConfigSource() *core.ConfigSource {
	return &core.ConfigSource{
		ResourceApiVersion:    core.ApiVersion_V3,
		ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}},
	}
}
