// Package serve serves translated xDS resources to Envoy proxies and proxyless gRPC clients:
// state-of-the-world ADS for both (Vigil's own stream handler, see adsServer), delta ADS
// and the per-type LDS/RDS/CDS/EDS services for Envoy (go-control-plane's server over
// Vigil's cache). It is the only package that touches go-control-plane's cache and server.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/config"
	"github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/seed70a3350f/vigil/xds"
)

// KindMetadataKey is the node metadata field that states a client's kind ("envoy" or
// "grpc") explicitly; without it the user agent decides (gRPC libraries say "gRPC ...").
const KindMetadataKey = "vigil.kind"

// Classify decides whether a node gets Envoy or gRPC resources.
func Classify(n *core.Node) xds.ClientKind {
	if v, ok := n.GetMetadata().GetFields()[KindMetadataKey]; ok {
		switch v.GetStringValue() {
		case "grpc":
			return xds.GRPC
		case "envoy":
			return xds.Envoy
		}
	}
	if strings.Contains(strings.ToLower(n.GetUserAgentName()), "grpc") {
		return xds.GRPC
	}
	return xds.Envoy
}

// Options configure a Server.
type Options struct {
	// ServerID names this xds-server node in the ledger and logs.
	ServerID string
	Logger   hclog.Logger
	// Registerer receives the xDS metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Translate tunes the Envoy-facing translation. It must be the same on every replica:
	// resource versions come from the replicated state and do not cover these options.
	Translate xds.Options
	// DrainTimeout bounds graceful shutdown: streams are told to go away (GOAWAY) and
	// given this long to move to another replica before they are cut. Default 5s.
	DrainTimeout time.Duration
}

// Server publishes routing state to the cache and serves it over gRPC.
type Server struct {
	opts    Options
	log     hclog.Logger
	cache   *Cache
	ledger  *Ledger
	metrics *Metrics
	weights *prometheus.GaugeVec
	grpc    *grpc.Server

	mu        sync.Mutex // serialises Publish
	published bool
	last      xds.TypeVersions

	// handled is the StateIndex of the newest snapshot Publish has dealt with (installed,
	// unchanged, or refused); handledCh is closed and replaced each time it moves.
	handledMu sync.Mutex
	handled   uint64
	handledCh chan struct{}
}

// New builds a server; call Serve to accept streams and Run (or Publish) to feed it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = 5 * time.Second
	}
	log := opts.Logger.Named("xds")
	cache := NewCache(Classify)
	metrics := NewMetrics(opts.Registerer, cache)
	ledger := NewLedger(opts.ServerID, cache, Classify, metrics, log)
	s := &Server{
		opts: opts, log: log, cache: cache, ledger: ledger, metrics: metrics, handledCh: make(chan struct{}),
		weights: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_route_weight_basis_points",
			Help: "Weighted-split share of each service version as served by this node (basis points, 10000 = 100 %).",
		}, []string{"service", "version"}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.weights)
	}
	s.grpc = grpc.NewServer(
		grpc.MaxConcurrentStreams(1<<20),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.ForceServerCodecV2(newWireCodec()),
	)
	xdsServer := serverv3.NewServer(context.Background(), cache, ledger,
		sotw.WithOrderedADS(),
		config.DeactivateLegacyWildcardForTypes([]string{typeRoute, typeEndpoint}),
		sotw.WithLogger(hclogAdapter{log}),
	)
	discovery.RegisterAggregatedDiscoveryServiceServer(s.grpc, &adsServer{
		delta: xdsServer, cache: cache, ledger: ledger, log: log,
		legacyWildcard: func(typeURL string) bool { return typeURL != typeRoute && typeURL != typeEndpoint },
	})
	listenerservice.RegisterListenerDiscoveryServiceServer(s.grpc, xdsServer)
	routeservice.RegisterRouteDiscoveryServiceServer(s.grpc, xdsServer)
	clusterservice.RegisterClusterDiscoveryServiceServer(s.grpc, xdsServer)
	endpointservice.RegisterEndpointDiscoveryServiceServer(s.grpc, xdsServer)
	return s
}

// Ledger returns the per-stream ACK/NACK ledger.
func (s *Server) Ledger() *Ledger { return s.ledger }

// Cache returns the resource cache (for its served versions).
func (s *Server) Cache() *Cache { return s.cache }

// Publish translates snap for both client kinds and installs it. Nothing is installed when
// either translation fails, so proxies keep the last good configuration. A snapshot whose
// versions equal the last published ones is skipped: versions change whenever routing
// state does.
func (s *Server) Publish(snap *xds.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.markHandled(snap.StateIndex)
	if s.published && snap.Versions == s.last {
		return nil
	}
	var all []*xds.Resources
	for _, kind := range []xds.ClientKind{xds.Envoy, xds.GRPC} {
		res, err := xds.Translate(snap, kind, s.opts.Translate)
		if err != nil {
			s.metrics.publishErr.Inc()
			return fmt.Errorf("publish state at routes version %d: %w", snap.Versions.Routes, err)
		}
		all = append(all, res)
	}
	for _, res := range all {
		if err := s.cache.Publish(res); err != nil {
			s.metrics.publishErr.Inc()
			return err
		}
		for _, typeURL := range xds.TypeURLs {
			_, v := res.ByType(typeURL)
			s.metrics.published.WithLabelValues(res.Kind.String(), shortType(typeURL)).Set(float64(v))
		}
	}
	s.published, s.last = true, snap.Versions
	s.weights.Reset()
	for _, svc := range snap.Services {
		if svc.Routes == nil {
			continue
		}
		for _, mv := range svc.Versions {
			s.weights.WithLabelValues(svc.Service.Name, mv.Version.String()).Set(float64(svc.Routes.WeightOf(mv.Version)))
		}
	}
	return nil
}

func (s *Server) markHandled(index uint64) {
	s.handledMu.Lock()
	defer s.handledMu.Unlock()
	if index > s.handled {
		s.handled = index
		close(s.handledCh)
		s.handledCh = make(chan struct{})
	}
}

// WaitPublished waits until Publish has dealt with a snapshot of state index or newer, so
// proxies that connect afterwards are served that state (or, if it was refused, the last
// good one, which is what they would get later too). It returns ctx's error if ctx ends
// first. The admin API calls it after a write so that the writer can read its own write
// over this node's xDS.
func (s *Server) WaitPublished(ctx context.Context, index uint64) error {
	for {
		s.handledMu.Lock()
		done, ch := s.handled >= index, s.handledCh
		s.handledMu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Run publishes every state src produces until ctx ends. States that arrive while one is
// being published are folded into the next publish (the latest wins); nothing is ever
// delayed on purpose, so a rollback reaches proxies as fast as the node applies it.
func (s *Server) Run(ctx context.Context, src xds.Source) error {
	for {
		snap, changed := src.RoutingSnapshot()
		if err := s.Publish(snap); err != nil {
			s.log.Error("routing state not published; proxies keep the previous configuration", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// Serve accepts xDS streams on lis until Stop.
func (s *Server) Serve(lis net.Listener) error {
	if err := s.grpc.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// Stop drains: it tells every client to go away (so it reconnects, to another replica if it
// has one), waits up to DrainTimeout or ctx for streams to close, then closes the rest.
func (s *Server) Stop(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(s.opts.DrainTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.grpc.Stop()
		<-done
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
	}
}

// hclogAdapter gives go-control-plane's logger interface to hclog; its default logger
// is silent, which hides its warnings.
type hclogAdapter struct{ l hclog.Logger }

func (a hclogAdapter) Debugf(f string, args ...any) {
	if a.l.IsTrace() {
		a.l.Trace(fmt.Sprintf(f, args...))
	}
}
func (a hclogAdapter) Infof(f string, args ...any) {
	if a.l.IsDebug() {
		a.l.Debug(fmt.Sprintf(f, args...))
	}
}
func (a hclogAdapter) Warnf(f string, args ...any)  { a.l.Warn(fmt.Sprintf(f, args...)) }
func (a hclogAdapter) Errorf(f string, args ...any) { a.l.Error(fmt.Sprintf(f, args...)) }
