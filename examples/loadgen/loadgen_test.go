package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/seed70a3350f/vigil/examples/modelserver"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/oip"
)

const (
	service          = "breast-cancer-dx"
	versionProd      = "1.0.0-PRODUCTION"
	versionCandidate = "1.1.0-CLINICALVALID"
)

func startModelServer(t *testing.T, version string, faults modelserver.Faults) *modelserver.Server {
	t.Helper()
	s, err := modelserver.New(modelserver.Options{
		ModelFile: "../models/" + version + ".json",
		RESTAddr:  "127.0.0.1:0",
		GRPCAddr:  "127.0.0.1:0",
		Faults:    faults,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close model server: %v", err)
		}
	})
	return s
}

func goldenCases(t *testing.T) []wdbc.Case {
	t.Helper()
	cases, err := wdbc.LoadCases("../data/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// runGenerator creates a generator, runs it to completion and returns its snapshot.
func runGenerator(t *testing.T, cfg Config) Snapshot {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return g.Snapshot()
}

// serverCounter sums every series of a counter family on a model server's /metrics.
func serverCounter(t *testing.T, s *modelserver.Server, name string, labels map[string]string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + s.RESTAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	fam, ok := families[name]
	if !ok {
		t.Fatalf("model server does not expose %s", name)
	}
	total := 0.0
	for _, m := range fam.GetMetric() {
		match := true
		for _, l := range m.GetLabel() {
			if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
				match = false
			}
		}
		if match {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

func TestLabelledCasesReachARealModelServer(t *testing.T) {
	s := startModelServer(t, versionProd, modelserver.Faults{})
	cases := goldenCases(t)
	reg := prometheus.NewRegistry()
	snap := runGenerator(t, Config{
		Target: s.GRPCAddr(), Model: service, Cases: cases,
		Rate: 500, Concurrency: 4, Timeout: 10 * time.Second, MaxRequests: 40, Registerer: reg,
	})
	if snap.Sent != 40 || snap.Count(versionProd, OutcomeOK) != 40 || snap.Completed() != 40 {
		t.Errorf("snapshot %s, want 40 sent and 40 ok from %s", snap, versionProd)
	}
	if got := serverCounter(t, s, "inference_requests_total", map[string]string{"protocol": "grpc", "outcome": "ok"}); got != 40 {
		t.Errorf("server counted %v ok gRPC requests, want 40", got)
	}
	if got := serverCounter(t, s, "inference_feedback_total", nil); got != 40 {
		t.Errorf("server counted %v labelled cases, want 40 (x-vigil-label on every request)", got)
	}
	malignant := 0
	for _, c := range cases[:40] {
		if c.Label == wdbc.Malignant {
			malignant++
		}
	}
	if got := serverCounter(t, s, "inference_feedback_total", map[string]string{"label": "malignant"}); got != float64(malignant) {
		t.Errorf("server counted %v malignant labels, want %d (the first 40 golden cases, round-robin)", got, malignant)
	}
	t.Run("prometheus metrics", func(t *testing.T) {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range families {
			if f.GetName() != "loadgen_requests_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				found = found || m.GetCounter().GetValue() == 40
			}
		}
		if !found {
			t.Errorf("loadgen_requests_total has no series with value 40")
		}
	})
}

func TestErrorsAndTimeoutsAreCountedPerVersion(t *testing.T) {
	tests := []struct {
		name        string
		faults      modelserver.Faults
		timeout     time.Duration
		wantOutcome string
	}{
		{name: "injected errors", faults: modelserver.Faults{ErrorRate: 1}, timeout: 10 * time.Second, wantOutcome: "Internal"},
		{name: "latency beyond the deadline", faults: modelserver.Faults{AddedLatency: 3 * time.Second}, timeout: 100 * time.Millisecond, wantOutcome: "DeadlineExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startModelServer(t, versionCandidate, tt.faults)
			snap := runGenerator(t, Config{
				Target: s.GRPCAddr(), Model: service, Cases: goldenCases(t),
				Rate: 200, Concurrency: 4, Timeout: tt.timeout, MaxRequests: 4,
			})
			version := versionCandidate
			if tt.wantOutcome == "DeadlineExceeded" {
				// the client gave up before the server answered, so nobody named the version
				version = UnknownVersion
			}
			if snap.Count(version, tt.wantOutcome) != 4 {
				t.Errorf("snapshot %s, want 4 %s from %s", snap, tt.wantOutcome, version)
			}
		})
	}
}

// TestClientSideSplitAcrossTwoVersions balances over two real model servers with a
// resolver and service config passed as dial options, and checks both versions answer.
func TestClientSideSplitAcrossTwoVersions(t *testing.T) {
	prod := startModelServer(t, versionProd, modelserver.Faults{})
	candidate := startModelServer(t, versionCandidate, modelserver.Faults{})
	r := manual.NewBuilderWithScheme("vigil-test")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: prod.GRPCAddr()}, {Addr: candidate.GRPCAddr()}}})
	g, err := New(Config{
		Target: "vigil-test:///breast-cancer-dx", Model: service, Cases: goldenCases(t),
		Rate: 500, Concurrency: 2, Timeout: 10 * time.Second, MaxRequests: 20,
		DialOptions: []grpc.DialOption{
			grpc.WithResolvers(r),
			grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	// Round robin only uses connected backends; run rounds until both have answered.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := g.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		snap := g.Snapshot()
		if snap.Count(versionProd, OutcomeOK) > 0 && snap.Count(versionCandidate, OutcomeOK) > 0 {
			if snap.Completed() != snap.Sent || snap.Count(versionProd, OutcomeOK)+snap.Count(versionCandidate, OutcomeOK) != snap.Sent {
				t.Errorf("snapshot %s: want every sent request answered ok by one of the two versions", snap)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot %s: both versions never answered", snap)
		}
	}
}

// recordingServer is a minimal inference service that records request metadata, for
// checking what the generator puts on the wire.
type recordingServer struct {
	oip.UnimplementedGRPCInferenceServiceServer
	mu  sync.Mutex
	mds []metadata.MD
}

func (r *recordingServer) ModelInfer(ctx context.Context, req *oip.ModelInferRequest) (*oip.ModelInferResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.mds = append(r.mds, md)
	r.mu.Unlock()
	return &oip.ModelInferResponse{
		ModelName:    req.GetModelName(),
		ModelVersion: "9.9.9-PRECLINICAL",
		Outputs: []*oip.ModelInferResponse_InferOutputTensor{
			{Name: oip.OutputProbability, Datatype: "FP32", Shape: []int64{1}, Contents: &oip.InferTensorContents{Fp32Contents: []float32{0.5}}},
			{Name: oip.OutputLabel, Datatype: "BYTES", Shape: []int64{1}, Contents: &oip.InferTensorContents{BytesContents: [][]byte{[]byte("benign")}}},
		},
	}, nil
}

func TestRequestsCarryLabelAndExtraMetadata(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingServer{}
	srv := grpc.NewServer()
	oip.RegisterGRPCInferenceServiceServer(srv, rec)
	go srv.Serve(ln)
	defer srv.Stop()
	cases := goldenCases(t)[:3]
	snap := runGenerator(t, Config{
		Target: ln.Addr().String(), Model: service, Cases: cases,
		Metadata: map[string]string{"x-model-version": versionCandidate},
		Rate:     1000, Concurrency: 1, Timeout: 10 * time.Second, MaxRequests: 6,
	})
	if snap.Count("9.9.9-PRECLINICAL", OutcomeOK) != 6 {
		t.Fatalf("snapshot %s, want 6 ok", snap)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, md := range rec.mds {
		want := cases[i%len(cases)].Label.String()
		if got := md.Get(oip.LabelHeader); len(got) != 1 || got[0] != want {
			t.Errorf("request %d: %s = %v, want [%s] (round-robin over the cases)", i, oip.LabelHeader, got, want)
		}
		if got := md.Get("x-model-version"); len(got) != 1 || got[0] != versionCandidate {
			t.Errorf("request %d: x-model-version = %v", i, got)
		}
	}
}

// TestRateIsNotExceeded checks the pacing's lower bound: n requests at rate r take at
// least (n-1)/r.
func TestRateIsNotExceeded(t *testing.T) {
	s := startModelServer(t, versionProd, modelserver.Faults{})
	start := time.Now()
	snap := runGenerator(t, Config{
		Target: s.GRPCAddr(), Model: service, Cases: goldenCases(t),
		Rate: 50, Concurrency: 8, Timeout: 10 * time.Second, MaxRequests: 11,
	})
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("11 requests at 50/s took %v, want >= 200ms", elapsed)
	}
	if snap.Count(versionProd, OutcomeOK) != 11 {
		t.Errorf("snapshot %s, want 11 ok", snap)
	}
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	s := startModelServer(t, versionProd, modelserver.Faults{})
	g, err := New(Config{Target: s.GRPCAddr(), Model: service, Cases: goldenCases(t), Rate: 100, Concurrency: 2, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for g.Snapshot().Completed() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %s", g.Snapshot())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
	if snap := g.Snapshot(); snap.Completed() != snap.Sent {
		t.Errorf("snapshot %s: Run returned with requests unaccounted for", snap)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cases := goldenCases(t)[:1]
	good := Config{Target: "127.0.0.1:1", Model: service, Cases: cases, Rate: 1, Concurrency: 1, Timeout: time.Second}
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string
	}{
		{name: "no target", mutate: func(c *Config) { c.Target = "" }, wantErr: "Target is required"},
		{name: "no model", mutate: func(c *Config) { c.Model = "" }, wantErr: "Model is required"},
		{name: "no cases", mutate: func(c *Config) { c.Cases = nil }, wantErr: "Cases is empty"},
		{name: "zero rate", mutate: func(c *Config) { c.Rate = 0 }, wantErr: "Rate 0"},
		{name: "zero concurrency", mutate: func(c *Config) { c.Concurrency = 0 }, wantErr: "Concurrency 0"},
		{name: "zero timeout", mutate: func(c *Config) { c.Timeout = 0 }, wantErr: "Timeout 0s"},
		{name: "negative max", mutate: func(c *Config) { c.MaxRequests = -1 }, wantErr: "MaxRequests -1"},
		{name: "label metadata", mutate: func(c *Config) { c.Metadata = map[string]string{"x-vigil-label": "benign"} }, wantErr: "set per case"},
		{name: "upper-case metadata", mutate: func(c *Config) { c.Metadata = map[string]string{"X-Model-Version": "1"} }, wantErr: "lower-case"},
		{name: "unlabelled case", mutate: func(c *Config) { c.Cases = []wdbc.Case{{ID: "x", Features: cases[0].Features}} }, wantErr: "Cases[0] (x): label unknown"},
		{name: "registered twice", mutate: func(c *Config) {
			reg := prometheus.NewRegistry()
			if _, err := New(Config{Target: "127.0.0.1:1", Model: service, Cases: cases, Rate: 1, Concurrency: 1, Timeout: time.Second, Registerer: reg}); err != nil {
				t.Fatal(err)
			}
			c.Registerer = reg
		}, wantErr: "register metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mutate(&cfg)
			g, err := New(cfg)
			if err == nil {
				g.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSnapshotString(t *testing.T) {
	s := Snapshot{Sent: 5, Counts: map[Key]uint64{
		{Version: "1.1.0-CLINICALVALID", Outcome: "ok"}:       2,
		{Version: "1.0.0-PRODUCTION", Outcome: "ok"}:          2,
		{Version: "1.1.0-CLINICALVALID", Outcome: "Internal"}: 1,
	}}
	want := "sent=5 completed=5 [1.0.0-PRODUCTION ok=2] [1.1.0-CLINICALVALID Internal=1 ok=2]"
	if got := s.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := s.ByOutcome()["ok"]; got != 4 {
		t.Errorf("ByOutcome()[ok] = %d, want 4", got)
	}
	if got := s.ByVersion()["1.1.0-CLINICALVALID"]; got != 3 {
		t.Errorf("ByVersion()[1.1.0-CLINICALVALID] = %d, want 3", got)
	}
}
