package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/webhook"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/controller"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/trigger"
)

// controllerStore gives the controller the leader's state and commits its writes on this
// node only: a write from a node that lost the leadership fails instead of being forwarded,
// so a deposed leader's controller cannot act.
type controllerStore struct{ a *Agent }

var _ controller.Store = controllerStore{}

func (s controllerStore) Rollouts() []*api.RolloutRecord { return s.a.node.State().Rollouts("") }
func (s controllerStore) Routes(service string) *api.RouteRecord {
	return s.a.node.State().Routes(service)
}
func (s controllerStore) Version(service string, v router.Version) *api.VersionRecord {
	return s.a.node.State().Version(service, v)
}
func (s controllerStore) Policies() []*api.PolicyRecord { return s.a.node.State().Policies() }
func (s controllerStore) Monitor(service string) *api.MonitorRecord {
	return s.a.node.State().Monitor(service)
}

// PolicyVersion finds a policy version by name and hash in the policy history.
func (s controllerStore) PolicyVersion(name, hash string) *api.PolicyRecord {
	return policyVersion(s.a.node.State(), name, hash)
}

func (s controllerStore) UpdateRollout(ctx context.Context, t controller.Transition, cas uint64) (uint64, error) {
	h := s.a.header(ctx, "controller")
	h.CAS = &cas
	return s.a.node.Apply(ctx, raftstore.Command{Type: raftstore.CmdUpdateRollout, Header: h, Body: raftstore.UpdateRolloutBody{
		ID: t.ID, Status: t.Status, Routes: t.Routes, Consumed: t.Consumed, Triggers: t.Triggers, Events: t.Events,
	}})
}

func (s controllerStore) UpdateMonitor(ctx context.Context, m api.MonitorRecord) error {
	_, err := s.a.node.Apply(ctx, raftstore.Command{Type: raftstore.CmdUpdateMonitor, Header: s.a.header(ctx, "controller"),
		Body: raftstore.UpdateMonitorBody{Monitor: m}})
	return err
}

func (s controllerStore) ClusterProxies(ctx context.Context) []api.Proxy {
	return s.a.clusterProxies(ctx).Proxies
}

// policyCache parses stored policy versions once.
type policyCache struct {
	mu     sync.Mutex
	parsed map[string]*policies.Policy
}

// service returns the parsed policy of a rollout's pinned version for its service.
func (c *policyCache) service(st *raftstore.State, r *api.RolloutRecord) *policies.Service {
	rec := policyVersion(st, r.Spec.Policy, r.Spec.PolicyHash)
	if rec == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parsed == nil {
		c.parsed = map[string]*policies.Policy{}
	}
	p, ok := c.parsed[rec.Hash]
	if !ok {
		parsed, diags := policies.Parse(rec.Filename, []byte(rec.Source), rec.Vars)
		if diags.HasErrors() {
			return nil
		}
		p = parsed
		c.parsed[rec.Hash] = p
	}
	return p.Service(r.Spec.Service)
}

// policyVersion finds a policy version by name and hash in the policy history.
func policyVersion(st *raftstore.State, name, hash string) *api.PolicyRecord {
	hist := st.PolicyHistory(name)
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Hash == hash && !hist[i].Deleted {
			return hist[i]
		}
	}
	return nil
}

// startController builds the rollout controller with its measurements, validations,
// gates and notifications, and runs it; it steps only while this node leads.
func (a *Agent) startController(ctx context.Context) error {
	src, err := a.metricsSource()
	if err != nil {
		return err
	}
	a.policies = &policyCache{}
	a.validations = newValidations(a)
	lookup := func(r *api.RolloutRecord) *policies.Service { return a.policies.service(a.node.State(), r) }
	a.notifier = webhook.NewNotifier(lookup, a.log, a.registry)
	a.controller = controller.New(controller.Options{
		Store:       controllerStore{a},
		Proxies:     controllerStore{a},
		Triggers:    &triggerRounds{eval: &trigger.Evaluator{Source: src, Concurrency: 16, Timeout: a.cfg.promTimeout + time.Second}},
		Judges:      &judgeRunner{src: src, step: 10 * time.Second},
		Validations: a.validations,
		Gates:       webhook.NewGates(lookup, a.log, 0),
		Notifier:    a.notifier,
		Logger:      a.log,
		Registerer:  a.registry,
		Tick:        a.cfg.tick,
		IsLeader:    a.node.IsLeader,
	})
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.controller.Run(ctx)
	}()
	return nil
}

// metricsSource is the Prometheus the node measures with, or a source whose every query
// fails when none is configured.
func (a *Agent) metricsSource() (metrics.Source, error) {
	if a.cfg.PrometheusAddress == "" {
		a.log.Warn("no prometheus_address: triggers and judges report errors and rollouts hold")
		return noSource{}, nil
	}
	p, err := metrics.NewPrometheus(metrics.Config{Address: a.cfg.PrometheusAddress, Timeout: a.cfg.promTimeout,
		Retries: 1, RetryBackoff: 100 * time.Millisecond, RetryBackoffMax: 500 * time.Millisecond,
		BearerTokenFile: a.cfg.PrometheusBearerTokenFile})
	if err != nil {
		return nil, fmt.Errorf("prometheus_address %q: %w", a.cfg.PrometheusAddress, err)
	}
	return p, nil
}

// kickController asks the controller for a round now (after an operator command).
func (a *Agent) kickController() {
	if a.controller != nil {
		a.controller.Kick()
	}
}
