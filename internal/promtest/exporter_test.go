package promtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestExporterServesWhatTheTestSets(t *testing.T) {
	exp := NewExporter(t)
	exp.Gauge("vigil_test_ratio", map[string]string{"version": "a"}).Set(0.25)
	exp.Gauge("vigil_test_ratio", map[string]string{"version": "b"}).Set(0.5)
	exp.Counter("vigil_test_requests_total", nil).Add(3)
	h := exp.Histogram("vigil_test_latency_seconds", nil, []float64{0.1, 1})
	h.Observe(0.05)
	h.Observe(0.5)

	body := scrape(t, exp)
	for _, line := range []string{
		`vigil_test_ratio{version="a"} 0.25`,
		`vigil_test_ratio{version="b"} 0.5`,
		`vigil_test_requests_total 3`,
		`vigil_test_latency_seconds_bucket{le="0.1"} 1`,
		`vigil_test_latency_seconds_bucket{le="1"} 2`,
		`vigil_test_latency_seconds_count 2`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", line, body)
		}
	}

	t.Run("deleted series is no longer served", func(t *testing.T) {
		if !exp.Delete("vigil_test_ratio", map[string]string{"version": "a"}) {
			t.Fatal("Delete of an existing series returned false")
		}
		if exp.Delete("vigil_test_ratio", map[string]string{"version": "a"}) {
			t.Fatal("second Delete returned true")
		}
		if body := scrape(t, exp); strings.Contains(body, `version="a"`) {
			t.Fatalf("deleted series still served:\n%s", body)
		}
	})

	t.Run("closed exporter refuses scrapes", func(t *testing.T) {
		exp.Close()
		exp.Close()
		if resp, err := http.Get(exp.URL() + "/metrics"); err == nil {
			resp.Body.Close()
			t.Fatal("scrape of a closed exporter succeeded")
		}
	})
}

func TestExporterRejectsInconsistentMetrics(t *testing.T) {
	tests := []struct {
		name    string
		misuse  func(*Exporter)
		wantErr string
	}{
		{
			name:    "same name with other label names",
			misuse:  func(e *Exporter) { e.Gauge("vigil_x", map[string]string{"b": "1"}) },
			wantErr: `metric "vigil_x" has label names [a], not [b]`,
		},
		{
			name:    "same name as another kind",
			misuse:  func(e *Exporter) { e.Counter("vigil_x", map[string]string{"a": "1"}) },
			wantErr: `metric "vigil_x" is a gauge, not a counter`,
		},
		{
			name:    "invalid metric name",
			misuse:  func(e *Exporter) { e.Gauge("vigil x", nil) },
			wantErr: `metric name "vigil x" is not valid for Prometheus 2.x`,
		},
		{
			name:    "invalid label name",
			misuse:  func(e *Exporter) { e.Gauge("vigil_y", map[string]string{"model-version": "1"}) },
			wantErr: `label name "model-version" is not valid`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp := NewExporter(t)
			exp.Gauge("vigil_x", map[string]string{"a": "1"})
			rec := &fatalRecorder{TB: t}
			exp.t = rec
			rec.run(func() { tc.misuse(exp) })
			if !strings.Contains(rec.msg, tc.wantErr) {
				t.Fatalf("Fatalf message = %q, want one containing %q", rec.msg, tc.wantErr)
			}
		})
	}
}

// fatalRecorder captures a Fatalf call instead of failing the test, so misuse can be
// checked.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r)
}

// run calls f and recovers the panic of a recorded Fatalf.
func (r *fatalRecorder) run(f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		f()
	}()
	wg.Wait()
}

func scrape(t *testing.T, exp *Exporter) string {
	t.Helper()
	resp, err := http.Get(exp.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	return string(body)
}
