package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/oip"
)

const (
	service          = "breast-cancer-dx"
	versionProd      = "1.0.0-PRODUCTION"
	versionCandidate = "1.1.0-CLINICALVALID"
	versionDegraded  = "1.2.0-CLINICALVALID"
)

func modelFile(version string) string { return "../models/" + version + ".json" }

// startServer starts a server for version on loopback ports and closes it when the test
// ends.
func startServer(t testing.TB, version string, faults Faults) *Server {
	t.Helper()
	s, err := New(Options{
		ModelFile: modelFile(version),
		RESTAddr:  "127.0.0.1:0",
		GRPCAddr:  "127.0.0.1:0",
		Faults:    faults,
		Seed:      42,
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return s
}

func goldenCases(t testing.TB) []wdbc.Case {
	t.Helper()
	cases, err := wdbc.LoadCases("../data/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func grpcClient(t testing.TB, s *Server) oip.GRPCInferenceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", s.GRPCAddr(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return oip.NewGRPCInferenceServiceClient(conn)
}

// httpClient has a generous timeout for a shared 2-core machine.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// doJSON sends a request with an optional JSON body and headers; it returns the status, the
// response headers and the body.
func doJSON(t testing.TB, method, url string, body any, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func inferURL(s *Server) string {
	return fmt.Sprintf("http://%s/v2/models/%s/infer", s.RESTAddr(), s.Service())
}

func rows(cases []wdbc.Case) [][]float64 {
	out := make([][]float64, len(cases))
	for i, c := range cases {
		out[i] = c.Features
	}
	return out
}

// scrape fetches and parses the server's /metrics.
func scrape(t testing.TB, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	status, _, body := doJSON(t, http.MethodGet, "http://"+s.RESTAddr()+"/metrics", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return families
}

// sample returns the counter or gauge value of the series of family name whose labels
// include want; it fails the test when there is no such series.
func sample(t testing.TB, families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	fam, ok := families[name]
	if !ok {
		t.Fatalf("metric %s is not exposed", name)
	}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("metric %s has no series with labels %v", name, want)
	return 0
}

func putFaults(t testing.TB, s *Server, body string) (int, []byte) {
	t.Helper()
	status, _, data := doJSON(t, http.MethodPut, "http://"+s.RESTAddr()+"/admin/faults", body, nil)
	return status, data
}
