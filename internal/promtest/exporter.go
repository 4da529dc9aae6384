package promtest

import (
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
)

// Exporter is an HTTP server on loopback that serves its own metric registry at /metrics.
// A test creates gauges, counters and histograms on it, sets their values, and points
// Prometheus at Target(): Prometheus then scrapes exactly what the test set. Methods are safe
// for concurrent use; the metric constructors must be called from the test goroutine because
// misuse fails the test.
type Exporter struct {
	t        testing.TB
	registry *prometheus.Registry
	server   *httptest.Server
	close    sync.Once

	mu      sync.Mutex
	metrics map[string]*exportedMetric // by metric name
}

// metricKind is the type of an exported metric family.
type metricKind int

const (
	gaugeKind metricKind = iota + 1
	counterKind
	histogramKind
)

func (k metricKind) String() string {
	switch k {
	case gaugeKind:
		return "gauge"
	case counterKind:
		return "counter"
	case histogramKind:
		return "histogram"
	default:
		return fmt.Sprintf("metricKind(%d)", int(k))
	}
}

// exportedMetric is one registered metric family and the label names all its series share.
type exportedMetric struct {
	kind       metricKind
	labelNames []string // sorted
	gauges     *prometheus.GaugeVec
	counters   *prometheus.CounterVec
	histograms *prometheus.HistogramVec
}

// NewExporter starts an exporter on a free 127.0.0.1 port; it is closed in t.Cleanup.
func NewExporter(t testing.TB) *Exporter {
	t.Helper()
	reg := prometheus.NewRegistry()
	e := &Exporter{
		t:        t,
		registry: reg,
		metrics:  map[string]*exportedMetric{},
	}
	e.server = httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.HTTPErrorOnError,
	}))
	t.Cleanup(e.Close)
	return e
}

// Target returns the "127.0.0.1:PORT" address to give to Server.SetTargets.
func (e *Exporter) Target() string { return e.server.Listener.Addr().String() }

// URL returns the base URL of the exporter; metrics are at URL()+"/metrics".
func (e *Exporter) URL() string { return e.server.URL }

// Close stops serving, so Prometheus's scrapes of this target fail (its "up" becomes 0).
// Closing twice does nothing.
func (e *Exporter) Close() {
	e.close.Do(e.server.Close)
}

// Gauge returns the gauge series name{labels}, creating its metric family on first use.
// Every series of one name must use the same label names.
func (e *Exporter) Gauge(name string, labels map[string]string) prometheus.Gauge {
	e.t.Helper()
	m := e.family(name, gaugeKind, labels, nil)
	return m.gauges.With(prometheus.Labels(labels))
}

// Counter returns the counter series name{labels}, creating its metric family on first
// use. Every series of one name must use the same label names. By Prometheus convention
// counter names end in "_total".
func (e *Exporter) Counter(name string, labels map[string]string) prometheus.Counter {
	e.t.Helper()
	m := e.family(name, counterKind, labels, nil)
	return m.counters.With(prometheus.Labels(labels))
}

// Histogram returns the histogram series name{labels} with the given upper bucket bounds,
// creating its metric family on first use (later calls must pass the same label names; their
// buckets are ignored). Nil buckets means prometheus.DefBuckets.
func (e *Exporter) Histogram(name string, labels map[string]string, buckets []float64) prometheus.Observer {
	e.t.Helper()
	m := e.family(name, histogramKind, labels, buckets)
	return m.histograms.With(prometheus.Labels(labels))
}

// Delete removes the series name{labels} so that it is no longer exported. It reports
// whether the series existed.
func (e *Exporter) Delete(name string, labels map[string]string) bool {
	e.mu.Lock()
	m, ok := e.metrics[name]
	e.mu.Unlock()
	if !ok {
		return false
	}
	switch m.kind {
	case gaugeKind:
		return m.gauges.Delete(prometheus.Labels(labels))
	case counterKind:
		return m.counters.Delete(prometheus.Labels(labels))
	default:
		return m.histograms.Delete(prometheus.Labels(labels))
	}
}

// family returns the metric family called name, registering it on first use. A second use
// with another kind or other label names fails the test.
func (e *Exporter) family(name string, kind metricKind, labels map[string]string, buckets []float64) *exportedMetric {
	e.t.Helper()
	names := slices.Sorted(maps.Keys(labels))
	// Prometheus 2.x accepts only the classic character set; a name outside it would make
	// every scrape of this exporter fail, not just this metric.
	if !model.LegacyValidation.IsValidMetricName(name) {
		e.t.Fatalf("promtest.Exporter: metric name %q is not valid for Prometheus 2.x: use [a-zA-Z_:][a-zA-Z0-9_:]*", name)
	}
	for _, l := range names {
		if !model.LegacyValidation.IsValidLabelName(l) {
			e.t.Fatalf("promtest.Exporter: metric %q: label name %q is not valid for Prometheus 2.x: use [a-zA-Z_][a-zA-Z0-9_]*", name, l)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.metrics[name]; ok {
		if m.kind != kind {
			e.t.Fatalf("promtest.Exporter: metric %q is a %v, not a %v", name, m.kind, kind)
		}
		if !slices.Equal(m.labelNames, names) {
			e.t.Fatalf("promtest.Exporter: metric %q has label names [%s], not [%s]",
				name, strings.Join(m.labelNames, ", "), strings.Join(names, ", "))
		}
		return m
	}
	help := "Value set by a Vigil test through promtest.Exporter."
	m := &exportedMetric{kind: kind, labelNames: names}
	var c prometheus.Collector
	switch kind {
	case gaugeKind:
		m.gauges = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, names)
		c = m.gauges
	case counterKind:
		m.counters = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, names)
		c = m.counters
	case histogramKind:
		if buckets == nil {
			buckets = prometheus.DefBuckets
		}
		m.histograms = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, names)
		c = m.histograms
	}
	if err := e.registry.Register(c); err != nil {
		e.t.Fatalf("promtest.Exporter: register %v %q: %v", kind, name, err)
	}
	e.metrics[name] = m
	return m
}
