package serve

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the xDS server's Prometheus collectors. Labels: kind (envoy|grpc) and type
// (Listener, RouteConfiguration, Cluster, ClusterLoadAssignment).
type Metrics struct {
	connected  *prometheus.GaugeVec
	pushes     *prometheus.CounterVec
	nacks      *prometheus.CounterVec
	ackLatency *prometheus.HistogramVec
	published  *prometheus.GaugeVec
	publishErr prometheus.Counter
}

// NewMetrics creates the collectors and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer, cache *Cache) *Metrics {
	m := &Metrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_xds_connected_proxies",
			Help: "xDS streams connected to this server whose node has identified itself.",
		}, []string{"kind"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_xds_pushes_total",
			Help: "xDS responses sent, by client kind and resource type.",
		}, []string{"kind", "type"}),
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_xds_nacks_total",
			Help: "xDS responses rejected (NACKed) by clients.",
		}, []string{"kind", "type"}),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_xds_ack_latency_seconds",
			Help:    "Time from sending an xDS response to the client's ACK of it.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"kind", "type"}),
		published: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_xds_published_version",
			Help: "Resource version (replicated state index) this server serves, by client kind and type.",
		}, []string{"kind", "type"}),
		publishErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_xds_publish_errors_total",
			Help: "Routing states that could not be published (translation or validation failed, or stale).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.pushes, m.nacks, m.ackLatency, m.published, m.publishErr)
		if cache != nil {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "vigil_xds_dropped_responses_total",
				Help: "Responses dropped because a stream's buffer was full; non-zero means a bug.",
			}, func() float64 { return float64(cache.Dropped()) }))
		}
	}
	return m
}
