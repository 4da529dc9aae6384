package xds

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/seed70a3350f/vigil/router"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current translation")

var (
	v220 = router.MustParseVersion("2.2.0-PRODUCTION")
	v230 = router.MustParseVersion("2.3.0-CLINICALVALID")
	v240 = router.MustParseVersion("2.4.0-PRECLINICAL")
)

func backends(addrs ...string) []router.Backend {
	out := make([]router.Backend, len(addrs))
	for i, a := range addrs {
		out[i] = router.Backend{Address: a}
	}
	return out
}

// scenarioCanary is a service at 90/10 between production and a candidate, with a tester
// pin to the candidate and a preclinical version registered but unrouted.
func scenarioCanary() *Snapshot {
	rt := router.RouteTable{
		Service: "chest-xray-triage",
		Split:   []router.Split{{Version: v220, Weight: 9000}, {Version: v230, Weight: 1000}},
		Pins:    []router.HeaderPin{{Header: "x-model-version", Value: "2.3.0-CLINICALVALID", Version: v230}},
	}
	snap := &Snapshot{
		Versions: TypeVersions{Listeners: 3, Routes: 17, Clusters: 12, Endpoints: 12},
		Services: []ServiceState{{
			Service: router.Service{Name: "chest-xray-triage"},
			Versions: []router.ModelVersion{
				{Service: "chest-xray-triage", Version: v240, Backends: backends("10.0.0.9:9000")},
				{Service: "chest-xray-triage", Version: v230, Backends: backends("10.0.0.3:9000", "10.0.0.2:9000")},
				{Service: "chest-xray-triage", Version: v220, Backends: backends("10.0.0.1:9000")},
			},
			Routes: &rt,
		}},
	}
	snap.Normalize()
	return snap
}

// scenarioNoRoutes is a service whose versions are registered but which has no route table.
func scenarioNoRoutes() *Snapshot {
	snap := &Snapshot{
		Versions: TypeVersions{Listeners: 2, Routes: 2, Clusters: 2, Endpoints: 2},
		Services: []ServiceState{{
			Service:  router.Service{Name: "sepsis-alert", Protocol: router.ProtocolHTTP},
			Versions: []router.ModelVersion{{Service: "sepsis-alert", Version: v220, Backends: backends("10.1.0.1:8080")}},
		}},
	}
	snap.Normalize()
	return snap
}

// scenarioEverything exercises mirror, custom timeout and retries, localities, DNS-named
// backends and a non-default load-balancing policy over two services.
func scenarioEverything() *Snapshot {
	rt := router.RouteTable{
		Service: "chest-xray-triage",
		Split:   []router.Split{{Version: v220, Weight: 10000}},
		Mirror:  &router.Mirror{Version: v230, Percent: 2500},
		Timeout: router.Duration(300e9),
		Retry:   &router.RetryPolicy{NumRetries: 2, PerTryTimeout: router.Duration(100e9), RetryOn: []string{"unavailable", "reset"}},
	}
	rt2 := router.RouteTable{Service: "a-fracture-detect", Split: []router.Split{{Version: v220, Weight: 10000}}, Retry: &router.RetryPolicy{NumRetries: 0}}
	snap := &Snapshot{
		Versions: TypeVersions{Listeners: 5, Routes: 40, Clusters: 33, Endpoints: 33},
		Services: []ServiceState{
			{
				Service: router.Service{Name: "chest-xray-triage", LBPolicy: router.LeastRequest},
				Versions: []router.ModelVersion{
					{Service: "chest-xray-triage", Version: v220, Backends: []router.Backend{
						{Address: "10.0.1.2:9000", Locality: router.Locality{Region: "eu", Zone: "b"}},
						{Address: "10.0.1.1:9000", Locality: router.Locality{Region: "eu", Zone: "a"}},
						{Address: "10.0.1.3:9000", Locality: router.Locality{Region: "eu", Zone: "a"}},
					}},
					{Service: "chest-xray-triage", Version: v230, Backends: backends("model-b.hospital.internal:9000")},
				},
				Routes: &rt,
			},
			{
				Service:  router.Service{Name: "a-fracture-detect"},
				Versions: []router.ModelVersion{{Service: "a-fracture-detect", Version: v220, Backends: backends("10.2.0.1:9000")}},
				Routes:   &rt2,
			},
		},
	}
	snap.Normalize()
	return snap
}

func TestTranslateGolden(t *testing.T) {
	scenarios := map[string]func() *Snapshot{
		"canary":     scenarioCanary,
		"no-routes":  scenarioNoRoutes,
		"everything": scenarioEverything,
	}
	for name, build := range scenarios {
		for _, kind := range []ClientKind{Envoy, GRPC} {
			t.Run(name+"-"+kind.String(), func(t *testing.T) {
				res, err := Translate(build(), kind, Options{})
				if err != nil {
					t.Fatalf("Translate: %v", err)
				}
				got := renderGolden(t, res)
				path := filepath.Join("testdata", name+"-"+kind.String()+".golden")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./xds -run TestTranslateGolden -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("translation differs from %s (rerun with -update after checking the change):\n%s", path, got)
				}
				again, err := Translate(build(), kind, Options{})
				if err != nil || !bytes.Equal(renderGolden(t, again), got) {
					t.Fatal("translating the same snapshot twice gave different output")
				}
			})
		}
	}
}

// renderGolden encodes resources as indented JSON. protojson's whitespace is deliberately
// unstable, so each message is re-indented by encoding/json.
func renderGolden(t *testing.T, r *Resources) []byte {
	t.Helper()
	encode := func(items []types.Resource) []json.RawMessage {
		out := []json.RawMessage{}
		for _, item := range items {
			b, err := protojson.Marshal(item)
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, b); err != nil {
				t.Fatal(err)
			}
			out = append(out, compact.Bytes())
		}
		return out
	}
	doc := map[string]any{
		"kind":      r.Kind.String(),
		"versions":  r.Versions,
		"listeners": encode(r.Listeners),
		"routes":    encode(r.Routes),
		"clusters":  encode(r.Clusters),
		"endpoints": encode(r.Endpoints),
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
