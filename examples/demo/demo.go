package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/xds"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/examples/loadgen"
	"github.com/seed70a3350f/vigil/examples/modelserver"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/agent"
	"github.com/seed70a3350f/vigil/internal/promtest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

const (
	service    = "breast-cancer-dx"
	stable     = "1.0.0-PRODUCTION"
	good       = "1.1.0-CLINICALVALID"
	degraded   = "1.2.0-CLINICALVALID"
	policyPath = "examples/policies/breast-cancer-dx.hcl"
)

// demo owns every process and goroutine it starts; close stops them.
type demo struct {
	dir, adminAddr, xdsAddr, promAddr string
	rate                              float64
	started                           time.Time

	node    *agent.Agent
	prom    *exec.Cmd
	models  map[string]*modelserver.Server
	loads   []*loadgen.Generator
	api     *api.Client
	cancels []context.CancelFunc
	wg      sync.WaitGroup
	results []string
}

func (d *demo) say(format string, args ...any) {
	fmt.Printf("[%6.1fs] %s\n", time.Since(d.started).Seconds(), fmt.Sprintf(format, args...))
}

// setUp starts the model servers, Prometheus, the node and the load, and applies the policy.
func (d *demo) setUp(ctx context.Context) error {
	d.models = map[string]*modelserver.Server{}
	var targets []string
	for _, v := range []string{stable, good, degraded} {
		s, err := modelserver.New(modelserver.Options{ModelFile: filepath.Join("examples", "models", v+".json"), ServiceName: service,
			RESTAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", Seed: 1})
		if err != nil {
			return fmt.Errorf("model server %s: %w (run the demo from the repository root: make demo)", v, err)
		}
		mctx, cancel := context.WithCancel(context.Background())
		d.cancels = append(d.cancels, cancel)
		if err := s.Start(mctx); err != nil {
			return fmt.Errorf("start model server %s: %w", v, err)
		}
		d.models[v] = s
		targets = append(targets, fmt.Sprintf("%q", s.RESTAddr()))
		d.say("model server %s: gRPC %s, REST and /metrics %s", v, s.GRPCAddr(), s.RESTAddr())
	}
	if err := d.startPrometheus(ctx, targets); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(d.dir, "xds-server.log"))
	if err != nil {
		return err
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "xds-server", Level: hclog.Info, Output: logf})
	d.node, err = agent.New(agent.Config{Dev: true, DataDir: filepath.Join(d.dir, "node"), RaftAddr: "127.0.0.1:0",
		AdminAddr: d.adminAddr, XDSAddr: d.xdsAddr, PrometheusAddress: "http://" + d.promAddr, ControllerTick: "100ms"}, logger)
	if err != nil {
		return fmt.Errorf("xds-server: %w", err)
	}
	if err := d.node.Start(ctx); err != nil {
		return fmt.Errorf("xds-server: %w", err)
	}
	for !d.node.Node().IsLeader() || d.node.Node().State().Member(d.node.Self().ID) == nil {
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	d.say("xds-server (dev, single node): admin API %s, xDS %s, log %s", d.node.AdminAddr(), d.node.XDSAddr(), logf.Name())
	d.api = api.NewClient(d.node.AdminAddr(), nil)
	d.api.Actor = "demo"
	opts := api.WriteOptions{Reason: "demo setup"}
	for _, v := range []string{stable, good, degraded} {
		mv := router.ModelVersion{Service: service, Version: router.MustParseVersion(v), Backends: []router.Backend{{Address: d.models[v].GRPCAddr()}}}
		if _, err := d.api.PutVersion(ctx, mv, opts); err != nil {
			return fmt.Errorf("register %s: %w", v, err)
		}
	}
	rt := router.RouteTable{Service: service, Split: []router.Split{{Version: router.MustParseVersion(stable), Weight: router.TotalWeight}}}
	if _, err := d.api.SetRoutes(ctx, rt, opts); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	d.say("registered %s, %s and %s; %s serves all traffic", stable, good, degraded, stable)
	if err := d.applyPolicy(ctx); err != nil {
		return err
	}
	return d.startLoad()
}

// startPrometheus runs a Prometheus that scrapes the model servers every second.
func (d *demo) startPrometheus(ctx context.Context, targets []string) error {
	bin, err := promtest.FindBinary()
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: models\n    static_configs:\n      - targets: [%s]\n",
		strings.Join(targets, ", "))
	cfgPath := filepath.Join(d.dir, "prometheus.yml")
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(d.dir, "prometheus.log"))
	if err != nil {
		return err
	}
	d.prom = exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(d.dir, "prometheus"),
		"--web.listen-address="+d.promAddr, "--query.lookback-delta=5s")
	d.prom.Stdout, d.prom.Stderr = logf, logf
	if err := d.prom.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + d.promAddr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus (%s) not ready at %s within 60 s; its log is %s (is the port taken? use -prometheus-addr)", bin, d.promAddr, logf.Name())
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	d.say("Prometheus %s: http://%s, scraping the model servers every 1 s", bin, d.promAddr)
	return nil
}

// applyPolicy uploads the example policy with its golden set.
func (d *demo) applyPolicy(ctx context.Context) error {
	src, err := os.ReadFile(policyPath)
	if err != nil {
		return fmt.Errorf("%w (run the demo from the repository root: make demo)", err)
	}
	pol, diags := policies.Parse(policyPath, src, nil)
	if diags.HasErrors() {
		return policies.DiagnosticsError(diags)
	}
	up := api.PolicyUpload{Filename: filepath.Base(policyPath), Source: string(src), Datasets: map[string][]byte{}}
	for _, s := range pol.Services {
		for _, cv := range s.ClinicalValidations {
			data, err := os.ReadFile(cv.DatasetLocation(policyPath))
			if err != nil {
				return err
			}
			up.Datasets[cv.Dataset] = data
		}
	}
	if _, err := d.api.ApplyPolicy(ctx, service, up, api.WriteOptions{Reason: "demo policy"}); err != nil {
		return fmt.Errorf("apply policy: %w", err)
	}
	d.say("applied %s (%s)", policyPath, pol.Hash)
	return nil
}

// startLoad starts two proxyless gRPC clients that resolve the service through xDS.
func (d *demo) startLoad() error {
	cases, err := wdbc.LoadCases(filepath.Join("examples", "data", "golden.jsonl"))
	if err != nil {
		return err
	}
	for i := range 2 {
		boot := fmt.Sprintf(`{"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
"node": {"id": "demo-client-%d", "cluster": "demo"}}`, d.node.XDSAddr(), i)
		builder, err := xds.NewXDSResolverWithConfigForTesting([]byte(boot))
		if err != nil {
			return err
		}
		g, err := loadgen.New(loadgen.Config{Target: "xds:///" + service, DialOptions: []grpc.DialOption{grpc.WithResolvers(builder)},
			Model: service, Cases: cases, Rate: d.rate, Concurrency: 64, Timeout: 10 * time.Second})
		if err != nil {
			return err
		}
		d.loads = append(d.loads, g)
		ctx, cancel := context.WithCancel(context.Background())
		d.cancels = append(d.cancels, cancel)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			_ = g.Run(ctx)
		}()
	}
	d.say("2 proxyless gRPC clients send the golden cases (with ground truth) at %.0f req/s each through xds:///%s", d.rate, service)
	return nil
}

// rollouts runs the two rollouts and reports whether both ended as the demo expects.
func (d *demo) rollouts(ctx context.Context) (bool, error) {
	if err := sleep(ctx, 10*time.Second); err != nil { // let Prometheus see the stable version's traffic
		return false, err
	}
	fmt.Println()
	d.say("1) canary of the degraded %s (lower sensitivity) with plan \"standard\"", degraded)
	r1, err := d.follow(ctx, degraded, "standard")
	if err != nil {
		return false, err
	}
	fmt.Println()
	d.say("2) blue-green switch to %s with plan \"validated-switch\" (clinical validation first)", good)
	r2, err := d.follow(ctx, good, "validated-switch")
	if err != nil {
		return false, err
	}
	d.results = []string{
		fmt.Sprintf("canary of %s: %s (%s)", degraded, r1.Status.Phase, r1.Status.Reason),
		fmt.Sprintf("blue-green of %s: %s (%s)", good, r2.Status.Phase, r2.Status.Reason),
	}
	return r1.Status.Phase == rollout.RolledBack && r2.Status.Phase == rollout.Promoted, nil
}

// holdNews is how long a trigger must hold a rollout (no data, or a failed measurement)
// before the timeline reports it.
const holdNews = 15 * time.Second

// follow starts a rollout and prints its events, trigger changes and weights until it ends.
func (d *demo) follow(ctx context.Context, to, plan string) (*api.RolloutRecord, error) {
	r, err := d.api.StartRollout(ctx, api.StartRolloutRequest{Service: service, To: to, Plan: plan, Reason: "demo"})
	if err != nil {
		return nil, fmt.Errorf("start rollout to %s: %w", to, err)
	}
	id := r.Spec.ID
	seen := 0
	verdicts := map[string]string{} // trigger key -> what was last reported ("" for healthy)
	holdingSince := map[string]time.Time{}
	lastWeight := router.BasisPoints(0)
	for {
		rec, err := d.api.Rollout(ctx, id)
		if err == nil {
			for ; seen < len(rec.Events); seen++ {
				ev := rec.Events[seen]
				d.say("   %-16s %-10s %s", ev.Phase, ev.Kind, ev.Message)
			}
			// Firing triggers are news at once. NoData and Error hold the rollout; right
			// after a route change they are normal for a few seconds, so they are news
			// only once they have lasted holdNews.
			for _, tr := range rec.Triggers {
				alarming := tr.Verdict == "Pending" || tr.Verdict == "Breached"
				holding := tr.Verdict == "NoData" || tr.Verdict == "Error"
				if !holding {
					delete(holdingSince, tr.Key)
				} else if _, ok := holdingSince[tr.Key]; !ok {
					holdingSince[tr.Key] = time.Now()
				}
				report := ""
				switch {
				case alarming:
					report = tr.Verdict
				case holding && time.Since(holdingSince[tr.Key]) >= holdNews:
					report = tr.Verdict + " (holding)"
				}
				if report != verdicts[tr.Key] {
					d.say("   trigger %-28s %-8s %s", tr.Key, tr.Verdict, tr.Message)
					verdicts[tr.Key] = report
				}
			}
			if rt, err := d.api.Routes(ctx, service); err == nil {
				if w := rt.WeightOf(router.MustParseVersion(to)); w != lastWeight {
					d.say("   routes: %s %s, %s %s", to, w, stable, rt.WeightOf(router.MustParseVersion(stable)))
					lastWeight = w
				}
			}
			if rec.Status.Phase.Terminal() {
				d.say("   => %s: %s", rec.Status.Phase, rec.Status.Reason)
				d.say("   requests answered so far: %s", d.served())
				return rec, nil
			}
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// served renders the load clients' answered requests by version.
func (d *demo) served() string {
	by := map[string]uint64{}
	for _, g := range d.loads {
		for v, n := range g.Snapshot().ByVersion() {
			by[v] += n
		}
	}
	return fmt.Sprintf("%s %d, %s %d, %s %d", stable, by[stable], good, by[good], degraded, by[degraded])
}

func (d *demo) printSummary() {
	fmt.Println("\nSummary")
	for _, r := range d.results {
		fmt.Println("  " + r)
	}
}

// close stops everything the demo started.
func (d *demo) close() {
	for _, c := range d.cancels {
		c()
	}
	d.wg.Wait()
	for _, g := range d.loads {
		_ = g.Close()
	}
	if d.node != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = d.node.Shutdown(ctx)
		cancel()
	}
	for _, s := range d.models {
		_ = s.Close()
	}
	if d.prom != nil && d.prom.Process != nil {
		_ = d.prom.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = d.prom.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = d.prom.Process.Kill()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
