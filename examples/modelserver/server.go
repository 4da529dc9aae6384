// Package modelserver serves one version of a Vigil demo model (a model file written by
// examples/modeltrain) over the Open Inference Protocol, REST and gRPC, with faults that can
// be injected at run time and Prometheus metrics that Vigil's rollout policies query.
//
// REST (one port): the protocol's /v2 endpoints, GET/PUT /admin/faults and GET /metrics.
// gRPC (another port): the inference.GRPCInferenceService. The model name is the service
// name (e.g. breast-cancer-dx); model_version in responses is the Vigil version string.
package modelserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
	"github.com/seed70a3350f/vigil/internal/oip"
	"github.com/seed70a3350f/vigil/router"
)

// shutdownGrace bounds how long Close waits for in-flight requests before cutting them off.
const shutdownGrace = 5 * time.Second

// Options configure a Server.
type Options struct {
	// ModelFile is the path of the model file to serve, e.g.
	// examples/models/1.1.0-CLINICALVALID.json. Required.
	ModelFile string
	// ServiceName, when set, must equal the model file's service; it guards against
	// deploying a file under the wrong service. Empty accepts the file's service.
	ServiceName string
	// RESTAddr and GRPCAddr are TCP listen addresses such as "127.0.0.1:8080"; port 0 picks
	// a free port (see RESTAddr and GRPCAddr after Start). Both required.
	RESTAddr string
	GRPCAddr string
	// Faults are in force from the start; change them later with SetFaults or
	// PUT /admin/faults.
	Faults Faults
	// Seed seeds the per-request fault draws: the same seed and request order give the
	// same draws.
	Seed uint64
	// Logger receives the server's logs; nil discards them.
	Logger hclog.Logger
}

// Server serves one model version. Create it with New, then Start it; Close stops it.
type Server struct {
	log       hclog.Logger
	restAddr  string
	grpcAddr  string
	service   string
	version   string
	predictor *demomodel.Predictor
	faults    *faultInjector
	metrics   *metrics
	ready     atomic.Bool

	mu         sync.Mutex // guards the fields below
	started    bool
	httpServer *http.Server
	grpcServer *grpc.Server
	restLn     net.Listener
	grpcLn     net.Listener
	serveErr   error

	stopOnce sync.Once
	stopped  chan struct{}
	wg       sync.WaitGroup
}

// New loads and validates the model file and the options; nothing listens until Start.
func New(opts Options) (*Server, error) {
	if opts.ModelFile == "" {
		return nil, fmt.Errorf("modelserver options: ModelFile is required")
	}
	if opts.RESTAddr == "" || opts.GRPCAddr == "" {
		return nil, fmt.Errorf("modelserver options: RESTAddr %q and GRPCAddr %q are both required (port 0 picks a free port)", opts.RESTAddr, opts.GRPCAddr)
	}
	if err := opts.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("modelserver options: faults: %w", err)
	}
	m, err := demomodel.Load(opts.ModelFile)
	if err != nil {
		return nil, err
	}
	if opts.ServiceName != "" && opts.ServiceName != m.Service {
		return nil, fmt.Errorf("model file %s belongs to service %q, not %q: check the file or the service name", opts.ModelFile, m.Service, opts.ServiceName)
	}
	version, err := router.ParseVersion(m.Version)
	if err != nil {
		return nil, fmt.Errorf("model file %s: %w", opts.ModelFile, err)
	}
	predictor, err := demomodel.NewPredictor(m)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Server{
		log:       log.With("service", m.Service, "version", m.Version),
		restAddr:  opts.RESTAddr,
		grpcAddr:  opts.GRPCAddr,
		service:   m.Service,
		version:   m.Version,
		predictor: predictor,
		faults:    newFaultInjector(opts.Faults, opts.Seed),
		metrics:   newMetrics(m.Service, m.Version, version.Phase.String()),
		stopped:   make(chan struct{}),
	}, nil
}

// Start listens on both addresses and serves until ctx is done or Close is called. It
// returns once both listeners are bound, or with the error that prevented it.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("model server %s %s: already started", s.service, s.version)
	}
	select {
	case <-s.stopped:
		return fmt.Errorf("model server %s %s: closed; create a new one with New", s.service, s.version)
	default:
	}
	var lc net.ListenConfig
	restLn, err := lc.Listen(ctx, "tcp", s.restAddr)
	if err != nil {
		return fmt.Errorf("listen for REST on %s: %w", s.restAddr, err)
	}
	grpcLn, err := lc.Listen(ctx, "tcp", s.grpcAddr)
	if err != nil {
		restLn.Close()
		return fmt.Errorf("listen for gRPC on %s: %w", s.grpcAddr, err)
	}
	s.started = true
	s.restLn, s.grpcLn = restLn, grpcLn
	s.httpServer = &http.Server{Handler: s.restHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.grpcServer = grpc.NewServer()
	oip.RegisterGRPCInferenceServiceServer(s.grpcServer, &grpcService{s: s})
	s.ready.Store(true)

	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := s.httpServer.Serve(restLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.recordServeError(fmt.Errorf("serve REST on %s: %w", restLn.Addr(), err))
		}
	}()
	go func() {
		defer s.wg.Done()
		// ErrServerStopped means Close won the race against this goroutine.
		if err := s.grpcServer.Serve(grpcLn); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.recordServeError(fmt.Errorf("serve gRPC on %s: %w", grpcLn.Addr(), err))
		}
	}()
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			s.stop()
		case <-s.stopped:
		}
	}()
	s.log.Info("model server started", "rest", restLn.Addr().String(), "grpc", grpcLn.Addr().String(), "faults", fmt.Sprintf("%+v", s.faults.get()))
	return nil
}

func (s *Server) recordServeError(err error) {
	s.log.Error("model server stopped serving", "error", err)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serveErr == nil {
		s.serveErr = err
	}
}

// Close stops serving: readiness turns false, in-flight requests get up to 5 s to finish,
// then connections are cut. It waits for every goroutine the server started and returns the
// first error a listener failed with, if any. Close is idempotent.
func (s *Server) Close() error {
	s.stop()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

// stop shuts the servers down once.
func (s *Server) stop() {
	s.stopOnce.Do(func() {
		s.ready.Store(false)
		close(s.stopped)
		s.mu.Lock()
		httpServer, grpcServer := s.httpServer, s.grpcServer
		s.mu.Unlock()
		if httpServer == nil {
			return // never started
		}
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := httpServer.Shutdown(ctx); err != nil {
			s.log.Warn("REST shutdown cut off in-flight requests", "error", err)
			httpServer.Close()
		}
		done := make(chan struct{})
		go func() {
			grpcServer.GracefulStop()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			s.log.Warn("gRPC shutdown cut off in-flight requests")
			grpcServer.Stop()
			<-done
		}
		s.log.Info("model server stopped")
	})
}

// RESTAddr is the bound REST address ("127.0.0.1:41234"); before Start it is the
// configured one.
func (s *Server) RESTAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.restLn != nil {
		return s.restLn.Addr().String()
	}
	return s.restAddr
}

// GRPCAddr is the bound gRPC address; before Start it is the configured one.
func (s *Server) GRPCAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grpcLn != nil {
		return s.grpcLn.Addr().String()
	}
	return s.grpcAddr
}

// Service is the served model's service (its Open Inference Protocol model name).
func (s *Server) Service() string { return s.service }

// Version is the served model version, MAJOR.MINOR.PATCH-PHASE.
func (s *Server) Version() string { return s.version }

// Faults returns the faults in force.
func (s *Server) Faults() Faults { return s.faults.get() }

// SetFaults validates f and puts it in force for requests that start afterwards.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.set(f)
	s.log.Info("faults changed", "faults", fmt.Sprintf("%+v", f))
	return nil
}
