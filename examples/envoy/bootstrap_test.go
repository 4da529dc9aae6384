// Package envoy holds the example proxy configurations; its test checks them.
package envoy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3" // typed options in the bootstrap
	"go.yaml.in/yaml/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/xds"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/router"
)

// yamlToJSON converts YAML (map[interface{}]interface{}) into JSON-compatible values.
func yamlToJSON(v any) (any, error) {
	switch x := v.(type) {
	case map[interface{}]interface{}:
		out := map[string]any{}
		for k, val := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("non-string key %v", k)
			}
			conv, err := yamlToJSON(val)
			if err != nil {
				return nil, err
			}
			out[ks] = conv
		}
		return out, nil
	case []interface{}:
		out := make([]any, len(x))
		for i, val := range x {
			conv, err := yamlToJSON(val)
			if err != nil {
				return nil, err
			}
			out[i] = conv
		}
		return out, nil
	}
	return v, nil
}

// TestEnvoyBootstraps decodes each bootstrap into Envoy's Bootstrap proto (unknown fields
// are errors) and validates it, as Envoy would on start; no Envoy binary is needed.
func TestEnvoyBootstraps(t *testing.T) {
	for _, file := range []string{"envoy-bootstrap.yaml", "envoy-bootstrap-delta.yaml"} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := yaml.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			conv, err := yamlToJSON(doc)
			if err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(conv)
			if err != nil {
				t.Fatal(err)
			}
			var b bootstrapv3.Bootstrap
			if err := protojson.Unmarshal(js, &b); err != nil {
				t.Fatalf("%s does not decode into envoy.config.bootstrap.v3.Bootstrap: %v", file, err)
			}
			if err := b.ValidateAll(); err != nil {
				t.Fatalf("%s is invalid: %v", file, err)
			}
			ads := b.GetDynamicResources().GetAdsConfig()
			if ads.GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName() != "vigil_xds" {
				t.Fatalf("%s: ADS does not use the vigil_xds cluster", file)
			}
			var port uint32
			for _, c := range b.GetStaticResources().GetClusters() {
				if c.GetName() == "vigil_xds" {
					port = c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
				}
			}
			if port != 18000 {
				t.Fatalf("%s: vigil_xds points at port %d, want xds-server's default 18000", file, port)
			}
			if b.GetDynamicResources().GetCdsConfig().GetAds() == nil || b.GetDynamicResources().GetLdsConfig().GetAds() == nil {
				t.Fatalf("%s: CDS and LDS must come over ADS", file)
			}
		})
	}
}

// TestGRPCBootstrap uses grpc-bootstrap.json, as shipped except for the server address, in
// a real grpc-go client against a running xds-server: the client must parse it, fetch the
// service's configuration and reach its backend.
func TestGRPCBootstrap(t *testing.T) {
	raw, err := os.ReadFile("grpc-bootstrap.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("grpc-bootstrap.json: %v", err)
	}
	a := vigiltest.StartDev(t)
	doc["xds_servers"].([]any)[0].(map[string]any)["server_uri"] = a.XDSAddr()
	patched, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	backend := vigiltest.StartBackend(t, "1.0.0-PRODUCTION")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := vigiltest.Client(a)
	v := router.MustParseVersion("1.0.0-PRODUCTION")
	if _, err := c.PutVersion(ctx, router.ModelVersion{Service: "chest-xray-triage", Version: v, Backends: []router.Backend{{Address: backend.Addr}}}, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The write is answered once this node serves it over xDS, so the client below gets it.
	if _, err := c.SetRoutes(ctx, router.RouteTable{Service: "chest-xray-triage", Split: []router.Split{{Version: v, Weight: router.TotalWeight}}}, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	builder, err := xds.NewXDSResolverWithConfigForTesting(patched)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("xds:///chest-xray-triage", grpc.WithResolvers(builder), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc-go rejects grpc-bootstrap.json: %v", err)
	}
	defer conn.Close()
	resp, err := testgrpc.NewTestServiceClient(conn).UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("RPC through the bootstrap: %v", err)
	}
	if resp.GetHostname() != "1.0.0-PRODUCTION" {
		t.Fatalf("answered by %q", resp.GetHostname())
	}
}
