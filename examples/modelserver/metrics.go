package modelserver

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

// Protocol is the transport a request arrived on; it is the "protocol" metric label.
type Protocol uint8

// The protocols a model server speaks.
const (
	ProtocolREST Protocol = iota + 1
	ProtocolGRPC
)

// String returns "rest" or "grpc".
func (p Protocol) String() string {
	switch p {
	case ProtocolREST:
		return "rest"
	case ProtocolGRPC:
		return "grpc"
	default:
		return "unknown"
	}
}

// Outcome values of inference_requests_total.
const (
	outcomeOK    = "ok"
	outcomeError = "error"
)

// durationBuckets are the inference_request_duration_seconds bucket bounds in seconds.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics are one server's Prometheus series, in a registry of its own so several servers
// can run in one process. Every series carries the constant labels service and version.
// Policies and dashboards are written against these names and labels.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec   // inference_requests_total{protocol,outcome}
	duration    *prometheus.HistogramVec // inference_request_duration_seconds{protocol}
	timeouts    prometheus.Counter       // inference_timeouts_total
	predictions *prometheus.CounterVec   // inference_predictions_total{class}
	feedback    *prometheus.CounterVec   // inference_feedback_total{label,predicted}
	adverse     prometheus.Counter       // clinical_adverse_events_total

	// Resolved children of predictions and feedback, so the per-case path does no label
	// lookups; keyed by class (and label, predicted class) for Malignant and Benign.
	predictedAs  map[wdbc.Class]prometheus.Counter
	feedbackFrom map[[2]wdbc.Class]prometheus.Counter // key: {label, predicted}
}

func newMetrics(service, version, phase string) *metrics {
	constLabels := prometheus.Labels{"service": service, "version": version}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "inference_requests_total",
			Help:        "Inference requests answered, by protocol (rest, grpc) and outcome (ok, error; timeouts and rejected requests are errors).",
			ConstLabels: constLabels,
		}, []string{"protocol", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "inference_request_duration_seconds",
			Help:        "Time from receiving an inference request to answering it, in seconds, including injected latency.",
			ConstLabels: constLabels,
			Buckets:     durationBuckets,
		}, []string{"protocol"}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "inference_timeouts_total",
			Help:        "Inference requests whose client stopped waiting (deadline expired or request cancelled) before the answer was ready.",
			ConstLabels: constLabels,
		}),
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "inference_predictions_total",
			Help:        "Cases answered, by predicted class (malignant, benign).",
			ConstLabels: constLabels,
		}, []string{"class"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "inference_feedback_total",
			Help:        "Answered cases that carried a ground-truth label (x-vigil-label or parameter label), by label and predicted class.",
			ConstLabels: constLabels,
		}, []string{"label", "predicted"}),
		adverse: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "clinical_adverse_events_total",
			Help:        "Simulated adverse-event reports, drawn with probability adverse_event_rate per answered request.",
			ConstLabels: constLabels,
		}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "model_info",
		Help:        "Always 1; labels name the served model version and its clinical phase.",
		ConstLabels: prometheus.Labels{"service": service, "version": version, "phase": phase},
	})
	info.Set(1)
	m.registry.MustRegister(m.requests, m.duration, m.timeouts, m.predictions, m.feedback, m.adverse, info)
	// Create every series at zero so rates and ratios exist before the first event.
	for _, p := range []Protocol{ProtocolREST, ProtocolGRPC} {
		m.duration.WithLabelValues(p.String())
		for _, o := range []string{outcomeOK, outcomeError} {
			m.requests.WithLabelValues(p.String(), o)
		}
	}
	classes := []wdbc.Class{wdbc.Malignant, wdbc.Benign}
	m.predictedAs = map[wdbc.Class]prometheus.Counter{}
	m.feedbackFrom = map[[2]wdbc.Class]prometheus.Counter{}
	for _, c := range classes {
		m.predictedAs[c] = m.predictions.WithLabelValues(c.String())
		for _, predicted := range classes {
			m.feedbackFrom[[2]wdbc.Class{c, predicted}] = m.feedback.WithLabelValues(c.String(), predicted.String())
		}
	}
	return m
}

// observePrediction counts one answered case; label is wdbc.ClassUnknown when the request
// carried no ground truth.
func (m *metrics) observePrediction(label, predicted wdbc.Class) {
	m.predictedAs[predicted].Inc()
	if label != wdbc.ClassUnknown {
		m.feedbackFrom[[2]wdbc.Class{label, predicted}].Inc()
	}
}

// observeRequest records one inference request's outcome and duration; err is the error
// returned to the client (nil on success).
func (m *metrics) observeRequest(p Protocol, elapsed time.Duration, err error) {
	outcome := outcomeOK
	if err != nil {
		outcome = outcomeError
	}
	m.requests.WithLabelValues(p.String(), outcome).Inc()
	m.duration.WithLabelValues(p.String()).Observe(elapsed.Seconds())
	if errors.Is(err, errTimeout) {
		m.timeouts.Inc()
	}
}
