package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/xds"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/examples/loadgen"
	"github.com/seed70a3350f/vigil/examples/modelserver"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
	"github.com/seed70a3350f/vigil/safety/metrics"
	vxds "github.com/seed70a3350f/vigil/xds"
)

const (
	modelService = "breast-cancer-dx"
	stableV      = "1.0.0-PRODUCTION"
	goodV        = "1.1.0-CLINICALVALID"
	degradedV    = "1.2.0-CLINICALVALID"
	policyName   = "breast-cancer-dx"
	policyFile   = "testdata/rollout.hcl"
)

// rolloutEnv is the whole product on loopback: a real Prometheus scraping the demo model
// servers every second, xds-server nodes whose controller measures with it, three model
// versions, and proxyless gRPC load clients sending the golden cases through the mesh.
type rolloutEnv struct {
	t      testing.TB
	prom   *promtest.Server
	nodes  []nodeHandle
	api    *api.Client
	models map[string]*modelserver.Server
	loads  []*loadgen.Generator
}

// nodeHandle is an xds-server node of the environment, in-process.
type nodeHandle interface {
	AdminAddr() string
	XDSAddr() string
}

// startRolloutEnv starts Prometheus, the model servers and a dev node (or the given
// nodes, built by start with the Prometheus address), registers the versions with all
// traffic on the stable one, applies the test policy and starts two load clients.
func startRolloutEnv(t testing.TB, start func(promAddr string) []nodeHandle) *rolloutEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Prometheus, model servers, xds-server and load clients")
	}
	e := &rolloutEnv{t: t, models: map[string]*modelserver.Server{}}
	var targets []string
	for _, v := range []string{stableV, goodV, degradedV} {
		s, err := modelserver.New(modelserver.Options{ModelFile: "../../examples/models/" + v + ".json", ServiceName: modelService,
			RESTAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", Seed: 11})
		if err != nil {
			t.Fatalf("model server %s: %v", v, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if err := s.Start(ctx); err != nil {
			cancel()
			t.Fatalf("start model server %s: %v", v, err)
		}
		t.Cleanup(func() { cancel(); _ = s.Close() })
		e.models[v] = s
		targets = append(targets, s.RESTAddr())
	}
	e.prom = promtest.Start(t, promtest.Options{ScrapeInterval: time.Second, LookbackDelta: 5 * time.Second,
		Targets: []promtest.TargetGroup{{Job: "models", Targets: targets}}})
	e.nodes = start(e.prom.URL())
	e.api = api.NewClient(e.nodes[0].AdminAddr(), nil)
	e.api.Actor = "e2e"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := api.WriteOptions{Reason: "rollout e2e setup"}
	for _, v := range []string{stableV, goodV, degradedV} {
		mv := router.ModelVersion{Service: modelService, Version: router.MustParseVersion(v), Backends: []router.Backend{{Address: e.models[v].GRPCAddr()}}}
		e.retry(ctx, "register "+v, func(ctx context.Context) error { _, err := e.api.PutVersion(ctx, mv, opts); return err })
	}
	rt := router.RouteTable{Service: modelService, Split: []router.Split{{Version: router.MustParseVersion(stableV), Weight: router.TotalWeight}}}
	e.retry(ctx, "routes", func(ctx context.Context) error { _, err := e.api.SetRoutes(ctx, rt, opts); return err })
	e.applyPolicy(ctx)
	cases, err := wdbc.LoadCases("../../examples/data/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		node := e.nodes[i%len(e.nodes)]
		builder, err := xds.NewXDSResolverWithConfigForTesting(vigiltest.XDSBootstrap(node.XDSAddr(), fmt.Sprintf("load-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		g, err := loadgen.New(loadgen.Config{Target: "xds:///" + modelService, DialOptions: []grpc.DialOption{grpc.WithResolvers(builder)},
			Model: modelService, Cases: cases, Rate: 60, Concurrency: 32, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		e.loads = append(e.loads, g)
		lctx, lcancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = g.Run(lctx)
		}()
		t.Cleanup(func() { lcancel(); wg.Wait(); _ = g.Close() })
	}
	e.waitServing(stableV, 30*time.Second)
	return e
}

// applyPolicy uploads the test policy with its golden set.
func (e *rolloutEnv) applyPolicy(ctx context.Context) {
	e.t.Helper()
	src, err := os.ReadFile(policyFile)
	if err != nil {
		e.t.Fatal(err)
	}
	pol, diags := policies.Parse(policyFile, src, nil)
	if diags.HasErrors() {
		e.t.Fatal(policies.DiagnosticsError(diags))
	}
	up := api.PolicyUpload{Filename: filepath.Base(policyFile), Source: string(src), Datasets: map[string][]byte{}}
	for _, s := range pol.Services {
		for _, cv := range s.ClinicalValidations {
			data, err := os.ReadFile(cv.DatasetLocation(policyFile))
			if err != nil {
				e.t.Fatal(err)
			}
			up.Datasets[cv.Dataset] = data
		}
	}
	e.retry(ctx, "apply policy", func(ctx context.Context) error {
		_, err := e.api.ApplyPolicy(ctx, policyName, up, api.WriteOptions{Reason: "rollout e2e policy"})
		return err
	})
}

// retry repeats an idempotent setup write until it succeeds or ctx ends: an election on a
// loaded machine may leave a write's outcome unknown, and writing the same value again is
// harmless.
func (e *rolloutEnv) retry(ctx context.Context, what string, write func(context.Context) error) {
	e.t.Helper()
	for {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := write(wctx)
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			e.t.Fatalf("%s: %v", what, err)
		}
		e.t.Logf("%s: %v; retrying", what, err)
		time.Sleep(500 * time.Millisecond)
	}
}

// waitServing waits until Prometheus has seen successful requests to version.
func (e *rolloutEnv) waitServing(version string, timeout time.Duration) {
	e.t.Helper()
	q := fmt.Sprintf(`sum(increase(inference_requests_total{service=%q,version=%q,outcome="ok"}[10s]))`, modelService, version)
	src, err := metrics.NewPrometheus(metrics.Config{Address: e.prom.URL(), Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := src.Query(ctx, q, time.Now())
		cancel()
		if err == nil && s.Value > 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	e.t.Fatalf("Prometheus saw no successful requests to %s within %s", version, timeout)
}

// startRollout starts a rollout and returns its id.
func (e *rolloutEnv) startRollout(to, plan string) string {
	e.t.Helper()
	// An election on a loaded machine can refuse the start; a refused start was not
	// committed, and a second start of the same rollout would be refused as a conflict.
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r, err := e.api.StartRollout(ctx, api.StartRolloutRequest{Service: modelService, To: to, Plan: plan, Reason: "e2e"})
		cancel()
		if err == nil {
			return r.Spec.ID
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "leader") {
			e.t.Fatalf("start rollout to %s with %s: %v", to, plan, err)
		}
		e.t.Logf("start rollout: %v; retrying", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// rollout reads a rollout from any reachable node.
func (e *rolloutEnv) rollout(id string) (*api.RolloutRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return e.api.Rollout(ctx, id)
}

// waitPhase polls until the rollout reaches one of phases (or any terminal phase, which
// fails the test unless it is wanted) and returns the record.
func (e *rolloutEnv) waitPhase(id string, timeout time.Duration, phases ...rollout.Phase) *api.RolloutRecord {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var last *api.RolloutRecord
	for time.Now().Before(deadline) {
		r, err := e.rollout(id)
		if err == nil {
			last = r
			for _, p := range phases {
				if r.Status.Phase == p {
					return r
				}
			}
			if r.Status.Phase.Terminal() {
				e.t.Fatalf("rollout %s ended %s (%s), want %v\n%s", id, r.Status.Phase, r.Status.Reason, phases, timeline(r))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last != nil {
		e.t.Fatalf("rollout %s is %s after %s, want %v\n%s%s", id, last.Status.Phase, timeout, phases, timeline(last), e.loadSummary())
	}
	e.t.Fatalf("rollout %s unreadable for %s", id, timeout)
	return nil
}

// timeline renders a rollout's events for a failure message.
func timeline(r *api.RolloutRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  now %s: %s\n", r.Status.Phase, r.Status.Reason)
	for _, ev := range r.Events {
		fmt.Fprintf(&b, "  %s %-12s %-10s %s\n", ev.At.Format("15:04:05.000"), ev.Phase, ev.Kind, ev.Message)
	}
	for _, tr := range r.Triggers {
		fmt.Fprintf(&b, "  trigger %s %s: %s\n", tr.Key, tr.Verdict, tr.Message)
	}
	return b.String()
}

// weightAcked returns the time every proxy routing the service had ACKed a route version
// in which candidate's weight is want (false while it is not, or some have not).
func (e *rolloutEnv) weightAcked(candidate string, want router.BasisPoints) (time.Time, bool) {
	return e.routeAcked(candidate, func(w router.BasisPoints) bool { return w == want })
}

// routeAcked returns the time every proxy routing the service had ACKed the current route
// version, once candidate's weight in it satisfies ok (false before).
func (e *rolloutEnv) routeAcked(candidate string, ok func(router.BasisPoints) bool) (time.Time, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := e.api.Routes(ctx, modelService)
	if err != nil || !ok(rec.WeightOf(router.MustParseVersion(candidate))) {
		return time.Time{}, false
	}
	list, err := e.api.Proxies(ctx, false)
	if err != nil {
		return time.Time{}, false
	}
	cov := vxds.RouteCoverage(list.Proxies, modelService, rec.ModifyIndex)
	if cov.Watching == 0 || cov.Acked != cov.Watching {
		return time.Time{}, false
	}
	return time.Now(), true
}

// canaryFaultToSafety starts a canary of goodV with the "fast" plan, waits until it serves
// traffic, makes every one of its requests fail and returns the time from that fault onset
// to canary weight 0 being ACKed by every proxy, with the rollout's id. It fails the test
// if the canary still has traffic 60 s after the onset.
func (e *rolloutEnv) canaryFaultToSafety() (string, time.Duration) {
	e.t.Helper()
	id := e.startRollout(goodV, "fast")
	e.waitPhase(id, time.Minute, rollout.Progressing)
	e.waitCanaryACKed(goodV, 30*time.Second)
	// Fresh answers from the canary, counted by the load clients themselves: Prometheus's
	// window may still hold a previous canary's traffic.
	for before, deadline := e.served(goodV), time.Now().Add(30*time.Second); e.served(goodV) < before+5; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("the canary %s answered no requests within 30 s of its weight being ACKed\n%s", goodV, e.loadSummary())
		}
	}
	e.waitServing(goodV, 30*time.Second)
	fault := time.Now()
	e.setFaults(goodV, modelserver.Faults{ErrorRate: 1})
	for deadline := fault.Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if at, ok := e.weightAcked(goodV, 0); ok {
			return id, at.Sub(fault)
		}
	}
	r, _ := e.rollout(id)
	e.t.Fatalf("the canary still has traffic 60 s after its error rate jumped\n%s", timeline(r))
	return id, 0
}

// waitCanaryACKed waits until candidate has weight in the routes and every proxy routing
// the service has ACKed that route version.
func (e *rolloutEnv) waitCanaryACKed(candidate string, timeout time.Duration) {
	e.t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, ok := e.routeAcked(candidate, func(w router.BasisPoints) bool { return w > 0 }); ok {
			return
		}
	}
	e.t.Fatalf("%s did not get traffic ACKed by every proxy within %s", candidate, timeout)
}

// setFaults puts faults in force on a version's model server.
func (e *rolloutEnv) setFaults(version string, f modelserver.Faults) {
	e.t.Helper()
	if err := e.models[version].SetFaults(f); err != nil {
		e.t.Fatal(err)
	}
}

// loadSummary renders what the load clients sent and got.
func (e *rolloutEnv) loadSummary() string {
	var b strings.Builder
	for i, g := range e.loads {
		fmt.Fprintf(&b, "  load client %d: %s\n", i, g.Snapshot())
	}
	return b.String()
}

// served counts the load clients' requests answered by version.
func (e *rolloutEnv) served(version string) uint64 {
	var n uint64
	for _, g := range e.loads {
		n += g.Snapshot().ByVersion()[version]
	}
	return n
}
