package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/seed70a3350f/vigil/internal/agent"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/xds"
)

// The benchmark's server runs in a child process (this test binary re-executed with
// VIGIL_BENCH_SERVER set) so its CPU time and memory can be read from /proc apart from the
// clients'. It prints one JSON line with its addresses, then serves until killed.
const serverEnv = "VIGIL_BENCH_SERVER"

// pprofEnv, when set to an address, makes the benchmark server serve net/http/pprof there.
const pprofEnv = "VIGIL_BENCH_PPROF"

const benchService = "chest-xray-triage"

var (
	benchV1 = router.MustParseVersion("1.0.0-PRODUCTION")
	benchV2 = router.MustParseVersion("1.1.0-CLINICALVALID")
)

type serverInfo struct {
	XDS     string `json:"xds"`
	Control string `json:"control"` // admin API (vigil) or change endpoint (baseline)
}

// TestBenchServer is not a test: it is the benchmark server's entry point in the child.
func TestBenchServer(t *testing.T) {
	mode := os.Getenv(serverEnv)
	if mode == "" {
		t.Skip("benchmark server entry point; run by BenchmarkConvergence")
	}
	var info serverInfo
	switch mode {
	case "vigil":
		dir, err := os.MkdirTemp("", "vigil-bench-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		a, err := agent.New(agent.Config{NodeID: "bench", DataDir: dir, Bootstrap: true,
			RaftAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", XDSAddr: "127.0.0.1:0", LogLevel: "error"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		info = serverInfo{XDS: a.XDSAddr(), Control: a.AdminAddr()}
	case "baseline":
		info = startBaseline(t)
	default:
		t.Fatalf("%s=%q: want vigil or baseline", serverEnv, mode)
	}
	if addr := os.Getenv(pprofEnv); addr != "" {
		// Profiling the server while a benchmark runs:
		//   VIGIL_BENCH_PPROF=127.0.0.1:6060 go test -bench ... &
		//   go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20
		go http.ListenAndServe(addr, nil)
	}
	b, _ := json.Marshal(info)
	fmt.Println(string(b))
	select {} // until the benchmark kills the process
}

// startBaseline serves go-control-plane's snapshot cache used plainly: one snapshot per
// node (IDHash), one version for every type (cache.NewSnapshot), SetSnapshot for every
// node on each change. It uses the same gRPC server options as Vigil.
func startBaseline(t *testing.T) serverInfo {
	cache := cachev3.NewSnapshotCache(false, cachev3.IDHash{}, nil)
	srv := serverv3.NewServer(context.Background(), cache, nil)
	g := grpc.NewServer(grpc.MaxConcurrentStreams(1<<20),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}))
	discovery.RegisterAggregatedDiscoveryServiceServer(g, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)

	var mu sync.Mutex
	version := 1
	weights := [2]router.BasisPoints{5000, 5000}
	build := func() *cachev3.Snapshot {
		res, err := xds.Translate(benchState(xds.TypeVersions{}, weights), xds.GRPC, xds.Options{})
		if err != nil {
			t.Fatal(err)
		}
		snap, err := cachev3.NewSnapshot(strconv.Itoa(version), map[resourcev3.Type][]types.Resource{
			resourcev3.ListenerType: res.Listeners, resourcev3.RouteType: res.Routes,
			resourcev3.ClusterType: res.Clusters, resourcev3.EndpointType: res.Endpoints,
		})
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	setAll := func(snap *cachev3.Snapshot) {
		for _, node := range cache.GetStatusKeys() {
			if err := cache.SetSnapshot(context.Background(), node, snap); err != nil {
				t.Error(err)
			}
		}
	}
	// New nodes get the current snapshot as soon as they ask (polling the status keys the
	// way a plain integration reacts to new nodes).
	go func() {
		known := map[string]bool{}
		for range time.Tick(20 * time.Millisecond) {
			mu.Lock()
			snap := build()
			for _, node := range cache.GetStatusKeys() {
				if !known[node] {
					known[node] = true
					_ = cache.SetSnapshot(context.Background(), node, snap)
				}
			}
			mu.Unlock()
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /change", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		version++
		weights[0], weights[1] = weights[1], weights[0]
		if weights[0] == weights[1] {
			weights = [2]router.BasisPoints{6000, 4000}
		}
		setAll(build())
		fmt.Fprintln(w, version)
	})
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(hl, mux)
	return serverInfo{XDS: lis.Addr().String(), Control: hl.Addr().String()}
}

// benchState is the routing state both servers serve: one service, two versions.
func benchState(versions xds.TypeVersions, w [2]router.BasisPoints) *xds.Snapshot {
	rt := router.RouteTable{Service: benchService, Split: []router.Split{{Version: benchV1, Weight: w[0]}, {Version: benchV2, Weight: w[1]}}}
	rt.Normalize()
	snap := &xds.Snapshot{Versions: versions, Services: []xds.ServiceState{{
		Service: router.Service{Name: benchService},
		Versions: []router.ModelVersion{
			{Service: benchService, Version: benchV1, Backends: []router.Backend{{Address: "10.0.0.1:9000"}}},
			{Service: benchService, Version: benchV2, Backends: []router.Backend{{Address: "10.0.0.2:9000"}}},
		},
		Routes: &rt,
	}}}
	snap.Normalize()
	return snap
}
