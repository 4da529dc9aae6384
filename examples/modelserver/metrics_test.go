package modelserver

import (
	"math"
	"net/http"
	"testing"

	"github.com/seed70a3350f/vigil/internal/oip"
)

// TestMetricsExpositionNamesAndLabels pins the series that policies and dashboards query.
func TestMetricsExpositionNamesAndLabels(t *testing.T) {
	s := startServer(t, versionCandidate, Faults{})
	req, err := oip.NewInferenceRequest("", [][]float64{goldenCases(t)[0].Features})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := doJSON(t, http.MethodPost, inferURL(s), req, nil); code != http.StatusOK {
		t.Fatalf("infer: %d %s", code, body)
	}
	families := scrape(t, s)
	base := map[string]string{"service": service, "version": versionCandidate}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{name: "inference_requests_total", labels: with(map[string]string{"protocol": "rest", "outcome": "ok"}), want: 1},
		{name: "inference_requests_total", labels: with(map[string]string{"protocol": "grpc", "outcome": "error"}), want: 0},
		{name: "inference_request_duration_seconds", labels: with(map[string]string{"protocol": "rest"}), want: 1},
		{name: "inference_request_duration_seconds", labels: with(map[string]string{"protocol": "grpc"}), want: 0},
		{name: "inference_timeouts_total", labels: base, want: 0},
		{name: "inference_predictions_total", labels: with(map[string]string{"class": "malignant"}), want: 1},
		{name: "inference_predictions_total", labels: with(map[string]string{"class": "benign"}), want: 0},
		{name: "inference_feedback_total", labels: with(map[string]string{"label": "benign", "predicted": "malignant"}), want: 0},
		{name: "clinical_adverse_events_total", labels: base, want: 0},
		{name: "model_info", labels: with(map[string]string{"phase": "CLINICALVALID"}), want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sample(t, families, tt.name, tt.labels); got != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
			}
		})
	}
	t.Run("histogram buckets", func(t *testing.T) {
		var bounds []float64
		for _, b := range families["inference_request_duration_seconds"].GetMetric()[0].GetHistogram().GetBucket() {
			if !math.IsInf(b.GetUpperBound(), 1) {
				bounds = append(bounds, b.GetUpperBound())
			}
		}
		want := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
		if len(bounds) != len(want) {
			t.Fatalf("buckets %v, want %v", bounds, want)
		}
		for i := range want {
			if bounds[i] != want[i] {
				t.Fatalf("buckets %v, want %v", bounds, want)
			}
		}
	})
}

// TestServersInOneProcessKeepSeparateMetrics runs two versions side by side.
func TestServersInOneProcessKeepSeparateMetrics(t *testing.T) {
	prod := startServer(t, versionProd, Faults{})
	candidate := startServer(t, versionCandidate, Faults{})
	req, err := oip.NewInferenceRequest("", [][]float64{goldenCases(t)[0].Features})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if code, _, body := doJSON(t, http.MethodPost, inferURL(candidate), req, nil); code != http.StatusOK {
			t.Fatalf("infer: %d %s", code, body)
		}
	}
	ok := map[string]string{"protocol": "rest", "outcome": "ok"}
	if got := sample(t, scrape(t, candidate), "inference_requests_total", ok); got != 3 {
		t.Errorf("candidate ok requests %v, want 3", got)
	}
	if got := sample(t, scrape(t, prod), "inference_requests_total", ok); got != 0 {
		t.Errorf("production ok requests %v, want 0", got)
	}
}
