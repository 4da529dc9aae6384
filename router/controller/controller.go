package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
	"github.com/seed70a3350f/vigil/xds"
)

// Options wires a Controller.
type Options struct {
	Store       Store
	Proxies     Proxies
	Triggers    Triggers
	Judges      Judges
	Validations Validations
	Gates       Gates
	Notifier    Notifier
	Logger      hclog.Logger
	Registerer  prometheus.Registerer
	// Tick is the period of Run's rounds; default 250ms. Each service's triggers are
	// evaluated at its policy's evaluation interval, rollouts advance every round.
	Tick time.Duration
	// IsLeader reports whether this node leads; Run steps only while it does.
	IsLeader func() bool
}

// Controller advances rollouts and monitors stable versions.
type Controller struct {
	opts    Options
	log     hclog.Logger
	kick    chan struct{}
	metrics *metrics

	mu       sync.Mutex
	lastEval map[string]time.Time // owner -> last trigger evaluation (leader-local)
	parsed   map[string]*policies.Policy
}

type metrics struct {
	steps       prometheus.Counter
	transitions *prometheus.CounterVec
	rollbacks   prometheus.Counter
	stepSeconds prometheus.Histogram
}

// New returns a controller; call Run (or Step, in tests).
func New(opts Options) *Controller {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Tick == 0 {
		opts.Tick = 250 * time.Millisecond
	}
	c := &Controller{opts: opts, log: opts.Logger.Named("controller"), kick: make(chan struct{}, 1),
		lastEval: map[string]time.Time{}, parsed: map[string]*policies.Policy{}}
	c.metrics = &metrics{
		steps: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_controller_rounds_total", Help: "Controller rounds run on this node while leader."}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_rollout_transitions_total",
			Help: "Rollout phase transitions committed, by phase entered."}, []string{"phase"}),
		rollbacks:   prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_rollbacks_total", Help: "Rollbacks started by the controller."}),
		stepSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_controller_round_seconds", Help: "Duration of one controller round.", Buckets: prometheus.DefBuckets}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(c.metrics.steps, c.metrics.transitions, c.metrics.rollbacks, c.metrics.stepSeconds)
	}
	return c
}

// Kick asks for a round as soon as possible (after an operator command).
func (c *Controller) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run steps every Tick (or when kicked) while this node leads, until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	t := time.NewTicker(c.opts.Tick)
	defer t.Stop()
	wasLeader := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
		}
		leader := c.opts.IsLeader == nil || c.opts.IsLeader()
		if leader && !wasLeader {
			c.log.Info("leading: resuming rollouts from the replicated state")
			c.mu.Lock()
			c.lastEval = map[string]time.Time{}
			c.mu.Unlock()
		}
		wasLeader = leader
		if !leader {
			continue
		}
		if err := c.Step(ctx, time.Now().UTC()); err != nil {
			c.log.Warn("controller round incomplete", "error", err)
		}
	}
}

// policy returns the parsed policy of a record (cached by hash).
func (c *Controller) policy(rec *api.PolicyRecord) (*policies.Policy, error) {
	key := rec.Name + "\x00" + rec.Hash + "\x00" + fmt.Sprint(rec.Vars)
	c.mu.Lock()
	p, ok := c.parsed[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, diags := policies.Parse(rec.Filename, []byte(rec.Source), rec.Vars)
	if diags.HasErrors() {
		return nil, fmt.Errorf("policy %s at %s does not parse: %w", rec.Name, rec.Hash, policies.DiagnosticsError(diags))
	}
	c.mu.Lock()
	c.parsed[key] = p
	c.mu.Unlock()
	return p, nil
}

// due reports whether an owner's triggers should be evaluated at now.
func (c *Controller) due(owner string, interval time.Duration, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	last, ok := c.lastEval[owner]
	return !ok || now.Sub(last) >= interval-interval/20
}

func (c *Controller) evaluated(owner string, now time.Time) {
	c.mu.Lock()
	c.lastEval[owner] = now
	c.mu.Unlock()
}

// round is what one Step gathers for one rollout before deciding.
type round struct {
	rec     *api.RolloutRecord
	svc     *policies.Service
	obs     rollout.Observation
	trigger int // index in the trigger batch, -1 when not evaluated
	status  rollout.Status
	resp    *TriggerResponse
}

// Step advances every active rollout once and evaluates the stable versions' triggers
// that are due. It commits each rollout's transition before performing its other actions.
func (c *Controller) Step(ctx context.Context, now time.Time) error {
	start := time.Now()
	defer func() {
		c.metrics.steps.Inc()
		c.metrics.stepSeconds.Observe(time.Since(start).Seconds())
	}()
	// The cluster's proxy list is gathered at most once per step, and only when an active
	// rollout needs ACK coverage: with thousands of proxies it is the step's largest cost.
	var proxies []api.Proxy
	gathered := false
	clusterProxies := func() []api.Proxy {
		if !gathered {
			proxies, gathered = c.opts.Proxies.ClusterProxies(ctx), true
		}
		return proxies
	}
	var rounds []*round
	var reqs []TriggerRequest
	var errs []string
	busy := map[string]bool{}
	for _, rec := range c.opts.Store.Rollouts() {
		if rec.Status.Phase.Terminal() {
			continue
		}
		busy[rec.Spec.Service] = true
		r, err := c.observe(ctx, now, rec, clusterProxies)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if c.due(rec.Spec.ID, r.svc.EvaluationInterval, now) {
			r.trigger = len(reqs)
			reqs = append(reqs, TriggerRequest{Owner: rec.Spec.ID, Service: r.svc, Subjects: c.servingSubjects(r.svc, &rec.Spec), Clocks: rec.Status.Clocks})
		}
		rounds = append(rounds, r)
	}
	monitors := c.monitorRequests(now, busy, &reqs)
	var resps []TriggerResponse
	if len(reqs) > 0 {
		resps = c.opts.Triggers.Round(ctx, now, reqs)
	}
	for _, r := range rounds {
		if r.trigger >= 0 && r.trigger < len(resps) {
			resp := resps[r.trigger]
			r.resp = &resp
			r.obs.Triggers = resp.Results
			if r.obs.Triggers == nil {
				r.obs.Triggers = []rollout.TriggerResult{}
			}
			r.status.Clocks = resp.Clocks
			c.evaluated(r.rec.Spec.ID, now)
		}
		if err := c.decide(ctx, r); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, m := range monitors {
		if m.index < len(resps) {
			if err := c.recordMonitor(ctx, now, m, resps[m.index]); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// servingSubjects lists the rollout's versions that serve weighted traffic now: a trigger
// watches the traffic a version serves, so a version without any (a blue-green candidate
// before its switch, the stable version after it) has nothing to be judged on, and its
// queries' empty results must not count as a breach or hold the rollout.
func (c *Controller) servingSubjects(svc *policies.Service, s *rollout.Spec) []Subject {
	rt := c.opts.Store.Routes(s.Service)
	var out []Subject
	for _, sub := range rolloutSubjects(svc, s) {
		if rt != nil && rt.WeightOf(sub.Version) > 0 {
			out = append(out, sub)
		}
	}
	return out
}

// rolloutSubjects lists the versions a rollout's triggers watch, each compared with the
// service's baseline.
func rolloutSubjects(svc *policies.Service, s *rollout.Spec) []Subject {
	base := baselineVersion(svc, s.Stable)
	return []Subject{
		{Target: Target(s), Version: s.Candidate, Baseline: base},
		{Target: policies.TargetStable, Version: s.Stable, Baseline: base},
	}
}

// baselineVersion is the version the policy compares with: its pinned baseline, or the
// stable version when it pins none. The policy parser has validated a pinned version.
func baselineVersion(svc *policies.Service, stable router.Version) router.Version {
	if svc.Baseline.Pinned == "" {
		return stable
	}
	v, err := router.ParseVersion(svc.Baseline.Pinned)
	if err != nil {
		return stable
	}
	return v
}

// observe gathers everything but the triggers for one rollout.
func (c *Controller) observe(ctx context.Context, now time.Time, rec *api.RolloutRecord, proxies func() []api.Proxy) (*round, error) {
	pol := c.opts.Store.PolicyVersion(rec.Spec.Policy, rec.Spec.PolicyHash)
	if pol == nil {
		return nil, fmt.Errorf("rollout %s: policy %s at %s is not stored", rec.Spec.ID, rec.Spec.Policy, rec.Spec.PolicyHash)
	}
	parsed, err := c.policy(pol)
	if err != nil {
		return nil, fmt.Errorf("rollout %s: %w", rec.Spec.ID, err)
	}
	svc := parsed.Service(rec.Spec.Service)
	if svc == nil {
		return nil, fmt.Errorf("rollout %s: policy %s no longer governs %s", rec.Spec.ID, pol.Name, rec.Spec.Service)
	}
	r := &round{rec: rec, svc: svc, trigger: -1, status: rec.Status, obs: rollout.Observation{Now: now}}
	if len(rec.Pending) > 0 {
		cmd := rolloutCommand(rec.Pending[0])
		r.obs.Command = &cmd
	}
	st := rec.Status
	if st.RoutesIndex > 0 && !st.RoutesApplied {
		cov := xds.RouteCoverage(proxies(), rec.Spec.Service, st.RoutesIndex)
		oc := &rollout.Coverage{Fraction: cov.Fraction()}
		for i, n := range cov.Rejected {
			oc.Rejected = append(oc.Rejected, fmt.Sprintf("%s rejected routes version %d: %s", cov.RejectedBy[i], n.Version, n.Error))
		}
		r.obs.Coverage = oc
	}
	if st.Phase == rollout.Pending {
		if v := c.opts.Store.Version(rec.Spec.Service, rec.Spec.Candidate); v != nil {
			cov := xds.ClusterCoverage(proxies(), rec.Spec.Service, rec.Spec.Candidate, v.ModifyIndex)
			r.obs.CandidateWarm = len(cov.Pending) == 0 && len(cov.Rejected) == 0
		}
	}
	if st.AnalysisRequested && st.Step >= 0 && st.Step < len(rec.Spec.Steps) {
		step := rec.Spec.Steps[st.Step]
		r.obs.Analysis = c.opts.Judges.Analyse(ctx, now, svc, step.Analysis, rec.Spec.Candidate, baselineVersion(svc, rec.Spec.Stable), max(step.Bake.Std(), svc.EvaluationInterval))
	}
	if st.ValidationRequested {
		if res, ok := c.opts.Validations.Result(rec.Spec.ID); ok {
			r.obs.Validation = res
		} else if err := c.opts.Validations.Start(ctx, rec, rec.Spec.Validation); err != nil {
			c.log.Warn("validation run could not start", "rollout", rec.Spec.ID, "error", err)
		}
	}
	if st.Gate != nil {
		r.obs.Gate = c.opts.Gates.Ask(ctx, rec, st.Gate.Position)
	}
	return r, nil
}

func rolloutCommand(c api.RolloutCommand) rollout.Command {
	kinds := map[string]rollout.CommandKind{"promote": rollout.CmdPromote, "pause": rollout.CmdPause, "resume": rollout.CmdResume, "abort": rollout.CmdAbort, "rollback": rollout.CmdRollback}
	return rollout.Command{Kind: kinds[c.Kind], Full: c.Full, By: c.By, Reason: c.Reason}
}

// decide runs the state machine for one rollout and commits its transition, then performs
// the actions that lie outside the replicated state.
func (c *Controller) decide(ctx context.Context, r *round) error {
	rec := r.rec
	next, actions := rollout.Next(&rec.Spec, r.status, r.obs)
	t := Transition{ID: rec.Spec.ID, Status: next}
	if r.obs.Command != nil {
		t.Consumed = 1
	}
	if r.resp != nil {
		t.Triggers = r.resp.Statuses
	}
	for _, a := range actions {
		switch a := a.(type) {
		case rollout.SetRoutes:
			rt, err := c.routesFor(rec, a)
			if err != nil {
				return fmt.Errorf("rollout %s: %w", rec.Spec.ID, err)
			}
			t.Routes = rt
		case rollout.Notify:
			t.Events = append(t.Events, api.RolloutEvent{At: r.obs.Now, Phase: next.Phase.String(), Kind: string(a.Event), Message: a.Message})
		}
	}
	if !changed(rec, t) {
		return nil
	}
	updated := *rec
	updated.Status = next
	if _, err := c.opts.Store.UpdateRollout(ctx, t, rec.ModifyIndex); err != nil {
		return fmt.Errorf("rollout %s: commit %s: %w", rec.Spec.ID, next.Phase, err)
	}
	if next.Phase != rec.Status.Phase {
		c.metrics.transitions.WithLabelValues(next.Phase.String()).Inc()
		if next.Phase == rollout.RollingBack {
			c.metrics.rollbacks.Inc()
		}
		c.log.Info("rollout transition", "rollout", rec.Spec.ID, "from", rec.Status.Phase, "to", next.Phase, "reason", next.Reason)
	}
	// Effects outside the replicated state happen only after the commit.
	for _, a := range actions {
		switch a := a.(type) {
		case rollout.Notify:
			c.opts.Notifier.Notify(&updated, api.RolloutEvent{At: r.obs.Now, Phase: next.Phase.String(), Kind: string(a.Event), Message: a.Message})
		case rollout.RunValidation:
			if err := c.opts.Validations.Start(ctx, &updated, a.Name); err != nil {
				c.log.Warn("validation run could not start", "rollout", rec.Spec.ID, "error", err)
			}
		case rollout.CallGate:
			c.opts.Gates.Ask(ctx, &updated, a.Position)
		}
	}
	return nil
}

// changed reports whether a transition carries anything worth committing.
func changed(rec *api.RolloutRecord, t Transition) bool {
	if t.Routes != nil || t.Consumed > 0 || len(t.Events) > 0 {
		return true
	}
	a, b := rec.Status, t.Status
	a.LastTick, b.LastTick = time.Time{}, time.Time{}
	if !reflect.DeepEqual(a, b) {
		return true
	}
	return t.Triggers != nil && !sameTriggerVerdicts(rec.Triggers, t.Triggers)
}

func sameTriggerVerdicts(a, b []api.TriggerStatus) bool {
	return slices.EqualFunc(a, b, func(x, y api.TriggerStatus) bool { return x.Key == y.Key && x.Verdict == y.Verdict })
}

// routesFor applies a SetRoutes action to the service's current route table: the split
// becomes stable and candidate only; the rollout's pin is added or removed; other pins,
// the mirror and the timeouts stay.
func (c *Controller) routesFor(rec *api.RolloutRecord, a rollout.SetRoutes) (*router.RouteTable, error) {
	cur := c.opts.Store.Routes(rec.Spec.Service)
	if cur == nil {
		return nil, fmt.Errorf("service %s has no route table", rec.Spec.Service)
	}
	rt := cur.RouteTable.Clone()
	rt.Split = slices.Clone(a.Split)
	if pin := rec.Spec.TesterPin; pin != nil {
		// A rollout with a clinical validation also pins its stable version, the paired
		// comparator, so the validation never relies on the weighted split.
		comparator := router.HeaderPin{Header: policies.DefaultValidationHeader, Value: rec.Spec.Stable.String(), Version: rec.Spec.Stable}
		if a.RemovePin {
			rt, _ = rt.Unpin(pin.Header, pin.Value)
			if rec.Spec.Validation != "" {
				rt, _ = rt.Unpin(comparator.Header, comparator.Value)
			}
		} else if a.Pin != nil {
			rt = rt.Pin(a.Pin.Header, a.Pin.Value, a.Pin.Version)
			if rec.Spec.Validation != "" {
				rt = rt.Pin(comparator.Header, comparator.Value, comparator.Version)
			}
		}
	}
	if rt.Mirror != nil && rt.Mirror.Version == rec.Spec.Candidate && (a.RemovePin || weight(a.Split, rec.Spec.Candidate) == 0) {
		rt.Mirror = nil
	}
	rt.Normalize()
	return &rt, nil
}

func weight(split []router.Split, v router.Version) router.BasisPoints {
	for _, s := range split {
		if s.Version == v {
			return s.Weight
		}
	}
	return 0
}

// monitorRequest is a stable version's trigger evaluation while no rollout runs.
type monitorRequest struct {
	service string
	version router.Version
	index   int
	prev    *api.MonitorRecord
}

// monitorRequests adds, for every governed service without an active rollout whose
// stable version serves all traffic, the evaluation of its stable triggers when due.
func (c *Controller) monitorRequests(now time.Time, busy map[string]bool, reqs *[]TriggerRequest) []monitorRequest {
	var out []monitorRequest
	for _, pr := range c.opts.Store.Policies() {
		parsed, err := c.policy(pr)
		if err != nil {
			c.log.Warn("stored policy does not parse", "policy", pr.Name, "error", err)
			continue
		}
		for i := range parsed.Services {
			svc := &parsed.Services[i]
			if busy[svc.Name] || len(svc.TriggersFor(policies.TargetStable)) == 0 {
				continue
			}
			rt := c.opts.Store.Routes(svc.Name)
			if rt == nil || len(rt.Split) != 1 {
				continue
			}
			owner := "monitor/" + svc.Name
			if !c.due(owner, svc.EvaluationInterval, now) {
				continue
			}
			v := rt.Split[0].Version
			prev := c.opts.Store.Monitor(svc.Name)
			var clocks map[string]json.RawMessage
			if prev != nil && prev.Version == v.String() {
				clocks = prev.Clocks
			}
			out = append(out, monitorRequest{service: svc.Name, version: v, index: len(*reqs), prev: prev})
			*reqs = append(*reqs, TriggerRequest{Owner: owner, Service: svc,
				Subjects: []Subject{{Target: policies.TargetStable, Version: v, Baseline: v}}, Clocks: clocks})
		}
	}
	return out
}

// recordMonitor commits a stable version's clocks when they changed and alerts on
// breaches.
func (c *Controller) recordMonitor(ctx context.Context, now time.Time, m monitorRequest, resp TriggerResponse) error {
	c.evaluated("monitor/"+m.service, now)
	rec := api.MonitorRecord{Service: m.service, Version: m.version.String(), Clocks: resp.Clocks, Triggers: resp.Statuses}
	if m.prev != nil && m.prev.Version == rec.Version && reflect.DeepEqual(m.prev.Clocks, rec.Clocks) && sameTriggerVerdicts(m.prev.Triggers, rec.Triggers) {
		return nil
	}
	for _, t := range resp.Results {
		if t.Kind == rollout.TriggerBreached && (m.prev == nil || !breached(m.prev.Triggers, t.Key)) {
			c.log.Warn("stable version breaches a trigger", "service", m.service, "version", m.version, "trigger", t.Key, "evidence", t.Message)
		}
	}
	if err := c.opts.Store.UpdateMonitor(ctx, rec); err != nil {
		return fmt.Errorf("monitor %s: %w", m.service, err)
	}
	return nil
}

func breached(ts []api.TriggerStatus, key string) bool {
	for _, t := range ts {
		if t.Key == key {
			return t.Verdict == "Breached"
		}
	}
	return false
}
