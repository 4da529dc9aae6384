package xds

import (
	"strings"
	"testing"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seed70a3350f/vigil/router"
)

// TestValidateCatches breaks correct translations in the ways ValidateAll and
// Snapshot.Consistent miss, and checks each is reported with its resource named.
func TestValidateCatches(t *testing.T) {
	tests := []struct {
		name   string
		kind   ClientKind
		break_ func(*Resources)
		want   string
	}{
		{
			name: "zero weights", kind: GRPC,
			break_: func(r *Resources) {
				for _, cw := range splitRoute(r).GetRoute().GetWeightedClusters().GetClusters() {
					cw.Weight = wrapperspb.UInt32(0)
				}
			},
			want: `route "split": weights sum to 0`,
		},
		{
			name: "sum above MaxUint32", kind: Envoy,
			break_: func(r *Resources) {
				for _, cw := range splitRoute(r).GetRoute().GetWeightedClusters().GetClusters() {
					cw.Weight = wrapperspb.UInt32(1 << 31)
				}
			},
			want: "above MaxUint32",
		},
		{
			name: "sum not 10000", kind: GRPC,
			break_: func(r *Resources) {
				splitRoute(r).GetRoute().GetWeightedClusters().GetClusters()[0].Weight = wrapperspb.UInt32(1)
			},
			want: "weights sum to 1001, want 10000",
		},
		{
			name: "dangling cluster", kind: GRPC,
			break_: func(r *Resources) {
				splitRoute(r).GetRoute().GetWeightedClusters().GetClusters()[1].Name = "chest-xray-triage@9.9.9-PRODUCTION"
			},
			want: `cluster "chest-xray-triage@9.9.9-PRODUCTION" does not exist`,
		},
		{
			name: "api_listener names a missing route config", kind: GRPC,
			break_: func(r *Resources) {
				l := r.Listeners[0].(*listener.Listener)
				m := &hcm.HttpConnectionManager{}
				if err := l.GetApiListener().GetApiListener().UnmarshalTo(m); err != nil {
					panic(err)
				}
				m.GetRds().RouteConfigName = "missing"
				a, _ := anypb.New(m)
				l.ApiListener.ApiListener = a
			},
			want: `listener "chest-xray-triage": route configuration "missing" does not exist`,
		},
		{
			name: "missing load assignment", kind: GRPC,
			break_: func(r *Resources) { r.Endpoints = r.Endpoints[1:] },
			want:   `EDS cluster "chest-xray-triage@2.2.0-PRODUCTION" has no load assignment`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Translate(scenarioCanary(), tt.kind, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(res); err != nil {
				t.Fatalf("unbroken resources fail validation: %v", err)
			}
			tt.break_(res)
			err = Validate(res)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func splitRoute(r *Resources) *route.Route {
	rc := r.Routes[0].(*route.RouteConfiguration)
	for _, rt := range rc.GetVirtualHosts()[0].GetRoutes() {
		if rt.GetName() == "split" {
			return rt
		}
	}
	panic("no split route")
}

// TestWeightChangeTouchesOnlyRoutes checks the property per-type versions rely on: a weight
// change alters route configurations and nothing else.
func TestWeightChangeTouchesOnlyRoutes(t *testing.T) {
	before, err := Translate(scenarioCanary(), GRPC, Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap := scenarioCanary()
	snap.Services[0].Routes.Split[0].Weight = 5000
	snap.Services[0].Routes.Split[1].Weight = 5000
	after, err := Translate(snap, GRPC, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, typeURL := range TypeURLs {
		x, _ := before.ByType(typeURL)
		y, _ := after.ByType(typeURL)
		equal := len(x) == len(y)
		for i := 0; equal && i < len(x); i++ {
			equal = proto.Equal(x[i], y[i])
		}
		if wantEqual := typeURL != "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"; equal != wantEqual {
			t.Errorf("%s: unchanged = %v, want %v", typeURL, equal, wantEqual)
		}
	}
}

// TestWarmRoutesKeepClustersReferenced checks that every version's cluster stays named by a
// route whatever its weight, so proxyless clients never drop a cluster at weight 0.
func TestWarmRoutesKeepClustersReferenced(t *testing.T) {
	for _, weights := range [][2]uint32{{10000, 0}, {9000, 1000}, {0, 10000}} {
		snap := scenarioCanary()
		rt := snap.Services[0].Routes
		rt.Pins = nil
		rt.Split[0].Weight = routerBP(weights[0])
		rt.Split[1].Weight = routerBP(weights[1])
		rt.Normalize()
		res, err := Translate(snap, GRPC, Options{})
		if err != nil {
			t.Fatal(err)
		}
		named := map[string]bool{}
		for _, r := range res.Routes[0].(*route.RouteConfiguration).GetVirtualHosts()[0].GetRoutes() {
			if c := r.GetRoute().GetCluster(); c != "" {
				named[c] = true
			}
			for _, cw := range r.GetRoute().GetWeightedClusters().GetClusters() {
				named[cw.GetName()] = true
			}
		}
		if len(named) != 3 {
			t.Errorf("weights %v: routes name %d clusters (%v), want all 3", weights, len(named), named)
		}
	}
}

func routerBP(v uint32) router.BasisPoints { return router.BasisPoints(v) }
