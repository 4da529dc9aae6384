package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seed70a3350f/vigil/internal/oip"
)

// OutcomeInvalidResponse counts answers without an error status whose outputs could not be
// read as predictions (missing tensors, wrong counts, probabilities outside [0, 1]).
const OutcomeInvalidResponse = "InvalidResponse"

// Generator sends ModelInfer requests; create it with New, drive it with Run, read its
// counts with Snapshot at any time, and Close it when done.
type Generator struct {
	cfg      Config
	log      hclog.Logger
	conn     *grpc.ClientConn
	client   oip.GRPCInferenceServiceClient
	requests []*oip.ModelInferRequest // one per case, shared read-only by concurrent RPCs
	outgoing []metadata.MD            // one per case: Config.Metadata plus the case's label
	counts   counters
	metrics  *promMetrics // nil without a Registerer
	running  atomic.Bool
}

// New validates cfg, prepares one request per case and creates the gRPC client (which
// connects lazily, on the first request).
func New(cfg Config) (*Generator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, log: cfg.Logger}
	if g.log == nil {
		g.log = hclog.NewNullLogger()
	}
	for i, c := range cfg.Cases {
		req, err := oip.NewModelInferRequest(cfg.Model, "", c.ID, [][]float64{c.Features})
		if err != nil {
			return nil, fmt.Errorf("loadgen: case %d (%s): %w", i, c.ID, err)
		}
		md := metadata.New(cfg.Metadata)
		md.Set(oip.LabelHeader, c.Label.String())
		g.requests = append(g.requests, req)
		g.outgoing = append(g.outgoing, md)
	}
	if cfg.Registerer != nil {
		m, err := newPromMetrics(cfg.Registerer)
		if err != nil {
			return nil, err
		}
		g.metrics = m
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, cfg.DialOptions...)
	conn, err := grpc.NewClient(cfg.Target, opts...)
	if err != nil {
		return nil, fmt.Errorf("loadgen: create client for %s: %w", cfg.Target, err)
	}
	g.conn = conn
	g.client = oip.NewGRPCInferenceServiceClient(conn)
	return g, nil
}

// Run sends requests at the configured rate until MaxRequests have been sent or ctx ends,
// then waits for the requests in flight (each bounded by Timeout) so every sent request is
// counted. Requests in flight are not cancelled when ctx ends. Run returns nil when it
// stopped for either reason, and an error only if another Run is in progress.
func (g *Generator) Run(ctx context.Context) error {
	if !g.running.CompareAndSwap(false, true) {
		return errors.New("loadgen: Run is already in progress")
	}
	defer g.running.Store(false)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	rpcBase := context.WithoutCancel(ctx)
	slots := make(chan struct{}, g.cfg.Concurrency)
	interval := time.Duration(float64(time.Second) / g.cfg.Rate)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := time.Now()
	for i := 0; g.cfg.MaxRequests == 0 || i < g.cfg.MaxRequests; i++ {
		if wait := time.Until(next); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case slots <- struct{}{}:
		}
		// Schedule the next request one interval after this one's due time; when this one
		// is already more than an interval late, restart the schedule instead of bursting.
		if now := time.Now(); now.Sub(next) > interval {
			next = now
		}
		next = next.Add(interval)
		caseIndex := i % len(g.requests)
		g.counts.started()
		inFlight.Add(1)
		go func() {
			defer inFlight.Done()
			defer func() { <-slots }()
			g.send(rpcBase, caseIndex)
		}()
	}
	return nil
}

// send makes one request and counts its result.
func (g *Generator) send(base context.Context, caseIndex int) {
	ctx, cancel := context.WithTimeout(base, g.cfg.Timeout)
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, g.outgoing[caseIndex])
	var header, trailer metadata.MD
	start := time.Now()
	resp, err := g.client.ModelInfer(ctx, g.requests[caseIndex], grpc.Header(&header), grpc.Trailer(&trailer))
	elapsed := time.Since(start)
	key := Key{Version: respondingVersion(resp, header, trailer), Outcome: OutcomeOK}
	if err != nil {
		key.Outcome = status.Code(err).String()
		g.log.Debug("request failed", "case", g.cfg.Cases[caseIndex].ID, "version", key.Version, "error", err)
	} else if _, perr := oip.PredictionsFromGRPC(resp); perr != nil {
		key.Outcome = OutcomeInvalidResponse
		g.log.Warn("unreadable response", "case", g.cfg.Cases[caseIndex].ID, "version", key.Version, "error", perr)
	}
	g.counts.finished(key)
	if g.metrics != nil {
		g.metrics.observe(key, elapsed)
	}
}

// respondingVersion names the model version that answered: the response's model_version,
// else the version header or trailer a Vigil model server sets on every answer.
func respondingVersion(resp *oip.ModelInferResponse, header, trailer metadata.MD) string {
	if v := resp.GetModelVersion(); v != "" {
		return v
	}
	for _, md := range []metadata.MD{header, trailer} {
		if v := md.Get(oip.ModelVersionHeader); len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return UnknownVersion
}

// Snapshot copies the counts so far; safe to call while Run is going.
func (g *Generator) Snapshot() Snapshot { return g.counts.snapshot() }

// Close releases the gRPC client. Call it after Run has returned.
func (g *Generator) Close() error {
	if err := g.conn.Close(); err != nil {
		return fmt.Errorf("loadgen: close client: %w", err)
	}
	return nil
}

// promMetrics are the optional Prometheus series of a generator.
type promMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newPromMetrics(reg prometheus.Registerer) (*promMetrics, error) {
	m := &promMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgen_requests_total",
			Help: "ModelInfer requests finished, by the model version that answered and outcome (ok or gRPC code).",
		}, []string{"version", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loadgen_request_duration_seconds",
			Help:    "ModelInfer round-trip time seen by the load generator, in seconds.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("loadgen: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *promMetrics) observe(k Key, elapsed time.Duration) {
	m.requests.WithLabelValues(k.Version, k.Outcome).Inc()
	m.duration.WithLabelValues(k.Outcome).Observe(elapsed.Seconds())
}
