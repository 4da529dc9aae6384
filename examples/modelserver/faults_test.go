package modelserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seed70a3350f/vigil/internal/oip"
)

func TestFaultsJSON(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Faults
		wantErr string
	}{
		{name: "all fields", body: `{"error_rate":0.2,"added_latency":"250ms","latency_jitter":"50ms","adverse_event_rate":0.01}`,
			want: Faults{ErrorRate: 0.2, AddedLatency: 250 * time.Millisecond, LatencyJitter: 50 * time.Millisecond, AdverseEventRate: 0.01}},
		{name: "omitted fields are zero", body: `{"error_rate":1}`, want: Faults{ErrorRate: 1}},
		{name: "unknown field", body: `{"error_rte":0.2}`, wantErr: `unknown field "error_rte"`},
		{name: "rate above one", body: `{"error_rate":1.5}`, wantErr: "error_rate 1.5"},
		{name: "negative adverse rate", body: `{"adverse_event_rate":-0.1}`, wantErr: "adverse_event_rate -0.1"},
		{name: "rate as a string", body: `{"error_rate":"high"}`, wantErr: "field error_rate: got a JSON string, want a number between 0 and 1"},
		{name: "duration as a number", body: `{"added_latency":250}`, wantErr: `field added_latency: got a JSON number, want a duration string such as "250ms"`},
		{name: "bad duration", body: `{"added_latency":"soon"}`, wantErr: `added_latency "soon"`},
		{name: "negative latency", body: `{"added_latency":"-1s"}`, wantErr: "added_latency -1s"},
		{name: "latency too long", body: `{"added_latency":"2h"}`, wantErr: "want a duration in [0, 1h0m0s]"},
		{name: "jitter beyond latency", body: `{"added_latency":"10ms","latency_jitter":"20ms"}`, wantErr: "latency_jitter 20ms exceeds added_latency 10ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Faults
			err := json.Unmarshal([]byte(tt.body), &f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || f != tt.want {
				t.Fatalf("decoded %+v, %v; want %+v", f, err, tt.want)
			}
			encoded, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			var back Faults
			if err := json.Unmarshal(encoded, &back); err != nil || back != f {
				t.Errorf("round trip of %s gave %+v, %v", encoded, back, err)
			}
		})
	}
}

func TestFaultPlanDrawsJitterWithinBounds(t *testing.T) {
	fi := newFaultInjector(Faults{AddedLatency: 100 * time.Millisecond, LatencyJitter: 20 * time.Millisecond}, 7)
	seen := map[bool]bool{}
	for range 1000 {
		p := fi.plan()
		if p.delay < 80*time.Millisecond || p.delay > 120*time.Millisecond {
			t.Fatalf("delay %v outside [80ms, 120ms]", p.delay)
		}
		seen[p.delay < 100*time.Millisecond] = true
		if p.fail || p.adverse {
			t.Fatalf("plan %+v fired a fault whose rate is zero", p)
		}
	}
	if !seen[true] || !seen[false] {
		t.Errorf("1000 draws all fell on one side of 100ms")
	}
}

func TestAdminFaultsEndpoint(t *testing.T) {
	s := startServer(t, versionProd, Faults{})
	url := "http://" + s.RESTAddr() + "/admin/faults"
	status, data := putFaults(t, s, `{"error_rate":0.25,"added_latency":"5ms","latency_jitter":"1ms"}`)
	if status != http.StatusOK {
		t.Fatalf("PUT status %d: %s", status, data)
	}
	want := Faults{ErrorRate: 0.25, AddedLatency: 5 * time.Millisecond, LatencyJitter: time.Millisecond}
	if s.Faults() != want {
		t.Errorf("faults %+v, want %+v", s.Faults(), want)
	}
	code, _, body := doJSON(t, http.MethodGet, url, nil, nil)
	if code != http.StatusOK || string(body) != `{"error_rate":0.25,"added_latency":"5ms","latency_jitter":"1ms","adverse_event_rate":0}`+"\n" {
		t.Errorf("GET = %d %s", code, body)
	}
	status, data = putFaults(t, s, `{"error_rate":2}`)
	if status != http.StatusBadRequest || !strings.Contains(string(data), "error_rate 2") {
		t.Errorf("bad PUT = %d %s, want 400 naming error_rate", status, data)
	}
	if s.Faults() != want {
		t.Errorf("a rejected PUT changed the faults to %+v", s.Faults())
	}
}

// TestInjectedErrorsAreInternalAndCounted turns errors on at run time and checks both
// protocols fail with INTERNAL / 500 (never UNAVAILABLE) and the error outcome is counted.
func TestInjectedErrorsAreInternalAndCounted(t *testing.T) {
	s := startServer(t, versionCandidate, Faults{})
	client := grpcClient(t, s)
	features := goldenCases(t)[0].Features
	grpcReq, err := oip.NewModelInferRequest(service, "", "", [][]float64{features})
	if err != nil {
		t.Fatal(err)
	}
	restReq, err := oip.NewInferenceRequest("", [][]float64{features})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ModelInfer(testContext(t), grpcReq); err != nil {
		t.Fatalf("before faults: %v", err)
	}
	if status, data := putFaults(t, s, `{"error_rate":1}`); status != http.StatusOK {
		t.Fatalf("PUT faults: %d %s", status, data)
	}
	var trailer metadata.MD
	_, err = client.ModelInfer(testContext(t), grpcReq, grpc.Trailer(&trailer))
	if status.Code(err) != codes.Internal {
		t.Errorf("gRPC error %v, want Internal", err)
	}
	if got := trailer.Get(oip.ModelVersionHeader); len(got) != 1 || got[0] != versionCandidate {
		t.Errorf("failed RPC trailer %s = %v, want [%s]", oip.ModelVersionHeader, got, versionCandidate)
	}
	code, header, body := doJSON(t, http.MethodPost, inferURL(s), restReq, nil)
	if code != http.StatusInternalServerError || !strings.Contains(string(body), "injected fault") {
		t.Errorf("REST = %d %s, want 500 naming the injected fault", code, body)
	}
	if header.Get(oip.ModelVersionHeader) != versionCandidate {
		t.Errorf("failed REST response names version %q", header.Get(oip.ModelVersionHeader))
	}
	families := scrape(t, s)
	for _, tt := range []struct {
		protocol, outcome string
		want              float64
	}{{"grpc", "ok", 1}, {"grpc", "error", 1}, {"rest", "ok", 0}, {"rest", "error", 1}} {
		got := sample(t, families, "inference_requests_total", map[string]string{"protocol": tt.protocol, "outcome": tt.outcome, "version": versionCandidate})
		if got != tt.want {
			t.Errorf("inference_requests_total{protocol=%s,outcome=%s} = %v, want %v", tt.protocol, tt.outcome, got, tt.want)
		}
	}
	if got := sample(t, families, "inference_predictions_total", map[string]string{"class": "malignant"}) +
		sample(t, families, "inference_predictions_total", map[string]string{"class": "benign"}); got != 1 {
		t.Errorf("predictions %v, want 1: failed requests predict nothing", got)
	}
}

// TestAddedLatencyPastTheDeadlineIsATimeout delays answers far beyond the client deadline.
func TestAddedLatencyPastTheDeadlineIsATimeout(t *testing.T) {
	s := startServer(t, versionProd, Faults{AddedLatency: time.Minute})
	client := grpcClient(t, s)
	features := goldenCases(t)[0].Features
	req, err := oip.NewModelInferRequest(service, "", "", [][]float64{features})
	if err != nil {
		t.Fatal(err)
	}
	// Connect first, so the short deadline below is spent on the server, not on dialling.
	if _, err := client.ServerLive(testContext(t), &oip.ServerLiveRequest{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testContext(t), time.Second)
	defer cancel()
	if _, err := client.ModelInfer(ctx, req); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("gRPC error %v, want DeadlineExceeded", err)
	}
	restReq, err := oip.NewInferenceRequest("", [][]float64{features})
	if err != nil {
		t.Fatal(err)
	}
	code, _, body := doJSON(t, http.MethodPost, inferURL(s), restReq, map[string]string{ExpectedTimeoutHeader: "1000"})
	if code != http.StatusGatewayTimeout {
		t.Errorf("REST = %d %s, want 504", code, body)
	}
	// The gRPC server notices the expired deadline on its own clock; poll until both
	// timeouts are counted.
	deadline := time.Now().Add(20 * time.Second)
	for {
		families := scrape(t, s)
		timeouts := sample(t, families, "inference_timeouts_total", nil)
		if timeouts == 2 {
			if got := sample(t, families, "inference_requests_total", map[string]string{"protocol": "grpc", "outcome": "error"}); got != 1 {
				t.Errorf("grpc error outcomes %v, want 1", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inference_timeouts_total = %v, want 2; requests: grpc errors %v, rest errors %v", timeouts,
				sample(t, families, "inference_requests_total", map[string]string{"protocol": "grpc", "outcome": "error"}),
				sample(t, families, "inference_requests_total", map[string]string{"protocol": "rest", "outcome": "error"}))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAdverseEventsFollowTheirRate(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		want float64
	}{{name: "never", rate: 0, want: 0}, {name: "always", rate: 1, want: 5}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, versionProd, Faults{AdverseEventRate: tt.rate})
			client := grpcClient(t, s)
			req, err := oip.NewModelInferRequest(service, "", "", [][]float64{goldenCases(t)[0].Features})
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if _, err := client.ModelInfer(testContext(t), req); err != nil {
					t.Fatal(err)
				}
			}
			if got := sample(t, scrape(t, s), "clinical_adverse_events_total", nil); got != tt.want {
				t.Errorf("adverse events %v, want %v", got, tt.want)
			}
		})
	}
}
