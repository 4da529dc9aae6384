package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/webhook"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router/controller"
	"github.com/seed70a3350f/vigil/xds"
	"github.com/seed70a3350f/vigil/xds/serve"
)

// Agent is one running xds-server node.
type Agent struct {
	cfg      resolved
	log      hclog.Logger
	registry *prometheus.Registry
	node     *raftstore.Node
	xds      *serve.Server
	http     *http.Server
	client   *http.Client // to peers' admin APIs

	controller  *controller.Controller
	policies    *policyCache
	validations *validations
	notifier    *webhook.Notifier
	// ctx lives from Start to Shutdown; background work of the node derives from it.
	ctx context.Context

	adminLis net.Listener
	xdsLis   net.Listener

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New validates cfg and opens the node's listeners and Raft stores; Start runs it.
func New(cfg Config, logger hclog.Logger) (*Agent, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "xds-server", Level: hclog.LevelFromString(r.LogLevel), JSONFormat: r.LogJSON, Output: os.Stderr})
	}
	logger = logger.With("node", r.NodeID)
	a := &Agent{cfg: r, log: logger, registry: prometheus.NewRegistry(), client: &http.Client{Timeout: 15 * time.Second}}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	ok := false
	defer func() {
		if !ok {
			a.closeListeners()
			if a.node != nil {
				_ = a.node.Shutdown()
			}
		}
	}()
	if a.adminLis, err = net.Listen("tcp", r.AdminAddr); err != nil {
		return nil, fmt.Errorf("admin_addr %s: %w", r.AdminAddr, err)
	}
	if a.xdsLis, err = net.Listen("tcp", r.XDSAddr); err != nil {
		return nil, fmt.Errorf("xds_addr %s: %w", r.XDSAddr, err)
	}
	// Listening on port 0 (tests) resolves the advertised addresses to the real ports.
	if r.AdvertiseAdmin == r.AdminAddr {
		a.cfg.AdvertiseAdmin = a.adminLis.Addr().String()
	}
	if r.AdvertiseXDS == r.XDSAddr {
		a.cfg.AdvertiseXDS = a.xdsLis.Addr().String()
	}
	a.node, err = raftstore.NewNode(raftstore.NodeConfig{
		ID:                r.NodeID,
		DataDir:           r.DataDir,
		BindAddr:          r.RaftAddr,
		Timing:            r.timing,
		SnapshotThreshold: r.SnapshotThreshold,
		TrailingLogs:      r.TrailingLogs,
		SnapshotInterval:  r.snapshotInterval,
		Logger:            logger,
	})
	if err != nil {
		return nil, err
	}
	a.xds = serve.New(serve.Options{
		ServerID:     r.NodeID,
		Logger:       logger,
		Registerer:   a.registry,
		Translate:    xds.Options{EnvoyListenerPort: uint32(r.EnvoyListenerPort)},
		DrainTimeout: r.drainTimeout,
	})
	a.registerMetrics()
	ok = true
	return a, nil
}

func (a *Agent) closeListeners() {
	for _, l := range []net.Listener{a.adminLis, a.xdsLis} {
		if l != nil {
			_ = l.Close()
		}
	}
}

// Self returns this node's member record.
func (a *Agent) Self() api.Member {
	return api.Member{ID: a.cfg.NodeID, RaftAddr: a.node.Addr(), AdminAddr: a.cfg.AdvertiseAdmin, XDSAddr: a.cfg.AdvertiseXDS, Voter: !a.cfg.NonVoter}
}

// AdminAddr is the address the admin API listens on.
func (a *Agent) AdminAddr() string { return a.adminLis.Addr().String() }

// XDSAddr is the address the xDS server listens on.
func (a *Agent) XDSAddr() string { return a.xdsLis.Addr().String() }

// Node returns the Raft node.
func (a *Agent) Node() *raftstore.Node { return a.node }

// XDS returns the xDS server.
func (a *Agent) XDS() *serve.Server { return a.xds }

// Start bootstraps or joins as configured and starts serving. It returns once everything
// is listening; joining an existing cluster happens in the background.
func (a *Agent) Start(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.Background())
	a.ctx, a.cancel = runCtx, cancel
	if a.cfg.Bootstrap {
		voters := []api.Member{a.Self()}
		if len(a.cfg.peers) > 0 {
			voters = voters[:0]
			for _, p := range a.cfg.peers {
				voters = append(voters, api.Member{ID: p.id, RaftAddr: p.raftAddr})
			}
		}
		if err := a.node.Bootstrap(voters); err != nil {
			cancel()
			return err
		}
	}
	a.http = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	a.wg.Add(4)
	go func() {
		defer a.wg.Done()
		if err := a.http.Serve(a.adminLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("admin API stopped", "error", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		if err := a.xds.Serve(a.xdsLis); err != nil {
			a.log.Error("xDS server stopped", "error", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		_ = a.xds.Run(runCtx, stateSource{a.node.State()})
	}()
	go func() {
		defer a.wg.Done()
		a.maintainMembership(runCtx)
	}()
	if err := a.startController(runCtx); err != nil {
		cancel()
		return err
	}
	a.log.Info("xds-server started", "raft", a.node.Addr(), "admin", a.AdminAddr(), "xds", a.XDSAddr(), "data_dir", a.cfg.DataDir)
	return nil
}

// maintainMembership joins the cluster when asked to and keeps this node's member record
// (its admin and xDS addresses) registered, retrying until it succeeds; a new leader
// re-checks it.
func (a *Agent) maintainMembership(ctx context.Context) {
	joined := a.cfg.Bootstrap || a.node.HasExistingState() || len(a.cfg.Join) == 0
	backoff := 200 * time.Millisecond
	for {
		if !joined {
			if err := a.joinCluster(ctx); err != nil {
				a.log.Warn("join failed; retrying", "error", err, "join", a.cfg.Join)
			} else {
				joined = true
			}
		}
		if joined {
			self := a.Self()
			if m := a.node.State().Member(self.ID); m == nil || *m != self {
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := a.apply(wctx, raftstore.Command{Type: raftstore.CmdRegisterMember,
					Header: a.header(wctx, "node "+self.ID), Body: raftstore.RegisterMemberBody{Member: self}})
				cancel()
				if err != nil {
					a.log.Debug("member registration pending", "error", err)
				} else {
					a.log.Info("member registered", "admin", self.AdminAddr, "xds", self.XDSAddr)
				}
			} else {
				backoff = 2 * time.Second
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// joinCluster asks the configured members to add this node.
func (a *Agent) joinCluster(ctx context.Context) error {
	var errs []error
	self := a.Self()
	for _, addr := range a.cfg.Join {
		c := api.NewClient(addr, a.client)
		if err := c.Join(ctx, self); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		a.log.Info("joined cluster", "via", addr)
		return nil
	}
	return errors.Join(errs...)
}

// Shutdown stops the node: the admin API, the xDS streams (drained), then Raft.
func (a *Agent) Shutdown(ctx context.Context) error {
	if a.cancel != nil {
		a.cancel()
	}
	var errs []error
	if a.http != nil {
		if err := a.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	a.xds.Stop(ctx)
	if a.validations != nil {
		a.validations.close()
	}
	a.wg.Wait()
	if a.notifier != nil {
		a.notifier.Close()
	}
	if err := a.node.Shutdown(); err != nil {
		errs = append(errs, err)
	}
	a.closeListeners()
	return errors.Join(errs...)
}

// Registry is the node's metrics registry (served on /metrics).
func (a *Agent) Registry() *prometheus.Registry { return a.registry }

func (a *Agent) registerMetrics() {
	a.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_raft_leader", Help: "1 when this node is the Raft leader."},
			func() float64 {
				if a.node.IsLeader() {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_raft_applied_index", Help: "Index of the last applied Raft log entry."},
			func() float64 { return float64(a.node.State().AppliedIndex()) }),
	)
}
