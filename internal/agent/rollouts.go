package agent

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/controller"
	"github.com/seed70a3350f/vigil/router/rollout"
)

func (a *Agent) listRollouts(r *http.Request) (any, error) {
	out := []api.RolloutRecord{}
	for _, rec := range a.node.State().Rollouts(r.URL.Query().Get("service")) {
		out = append(out, *rec)
	}
	return out, nil
}

func (a *Agent) getRollout(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if rec := a.node.State().Rollout(id); rec != nil {
		return rec, nil
	}
	// A service name stands for its active (else latest) rollout.
	if all := a.node.State().Rollouts(id); len(all) > 0 {
		if active := a.node.State().ActiveRollout(id); active != nil {
			return active, nil
		}
		return all[len(all)-1], nil
	}
	return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("no rollout %q (neither an id nor a service with rollouts)", id),
		Hint: "`meshctl rollout history SERVICE` lists a service's rollouts"}
}

// parsedPolicyFor returns the policy governing a service, parsed.
func (a *Agent) parsedPolicyFor(service string) (*api.PolicyRecord, *policies.Policy, error) {
	rec := a.node.State().PolicyFor(service)
	if rec == nil {
		return nil, nil, &api.Error{Code: api.CodePrecondition, Message: fmt.Sprintf("no policy governs service %q", service),
			Hint: "apply one with `meshctl policy apply FILE`: rollouts follow a policy's plans and triggers"}
	}
	p, diags := policies.Parse(rec.Filename, []byte(rec.Source), rec.Vars)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("stored policy %s does not parse: %w", rec.Name, policies.DiagnosticsError(diags))
	}
	return rec, p, nil
}

// startRollout builds a rollout from the service's policy and commits it.
func (a *Agent) startRollout(w http.ResponseWriter, r *http.Request) {
	var req api.StartRolloutRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	spec, err := a.buildSpec(req, actor(r), r.Header.Get(api.HeaderReason))
	if err != nil {
		writeError(w, err)
		return
	}
	rec := api.RolloutRecord{Spec: *spec, Status: rollout.Initial()}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if _, err := a.apply(ctx, a.command(r, raftstore.CmdStartRollout, nil, raftstore.StartRolloutBody{Rollout: rec})); err != nil {
		writeError(w, err)
		return
	}
	a.kickController()
	writeJSON(w, http.StatusOK, a.node.State().Rollout(spec.ID))
}

func (a *Agent) buildSpec(req api.StartRolloutRequest, by, reason string) (*rollout.Spec, error) {
	st := a.node.State()
	if st.Service(req.Service) == nil {
		return nil, notFoundService(req.Service)
	}
	to, err := router.ParseVersion(req.To)
	if err != nil {
		return nil, &api.Error{Code: api.CodeInvalid, Message: "to: " + err.Error()}
	}
	if st.Version(req.Service, to) == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("version %s of %s is not registered", to, req.Service),
			Hint: "register it with `meshctl versions add` first"}
	}
	if active := st.ActiveRollout(req.Service); active != nil {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("service %s already has rollout %s (%s)", req.Service, active.Spec.ID, active.Status.Phase),
			Hint: "one rollout per service: wait for it, or `meshctl rollout abort " + req.Service + "`"}
	}
	rt := st.Routes(req.Service)
	if rt == nil || len(rt.Split) != 1 {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("a rollout starts from one version serving 100%% of %s; the split is %s", req.Service, describeRoutes(rt)),
			Hint: fmt.Sprintf("set `meshctl routes set %s VERSION=100` first", req.Service)}
	}
	stable := rt.Split[0].Version
	polRec, pol, err := a.parsedPolicyFor(req.Service)
	if err != nil {
		return nil, err
	}
	n := len(st.Rollouts(req.Service))
	sr := controller.SpecRequest{
		ID: fmt.Sprintf("%s-%d", req.Service, n+1), Policy: pol, PolicyRef: polRec.Name, Service: req.Service, Plan: req.Plan,
		Stable: stable, Candidate: to, By: by, Reason: reason, Now: time.Now().UTC(),
	}
	if req.Plan == "" {
		sr.FastTrack = a.recentlyValidated(req.Service, to, pol)
	}
	spec, err := controller.NewSpec(sr)
	if err != nil {
		return nil, &api.Error{Code: api.CodeInvalid, Message: err.Error()}
	}
	return spec, nil
}

func describeRoutes(rt *api.RouteRecord) string {
	if rt == nil {
		return "not set"
	}
	var parts []string
	for _, s := range rt.Split {
		parts = append(parts, fmt.Sprintf("%s=%s", s.Version, s.Weight))
	}
	return strings.Join(parts, " ")
}

// recentlyValidated reports whether a restore to v may be fast-tracked: v passed a
// clinical validation, or served production until a rollout replaced it, within the
// policy's rollback window (the longest canary rollback_window or blue-green
// fast_rollback_window of the service).
func (a *Agent) recentlyValidated(service string, v router.Version, pol *policies.Policy) bool {
	svc := pol.Service(service)
	if svc == nil {
		return false
	}
	var window time.Duration
	for _, p := range svc.Canaries {
		window = max(window, p.RollbackWindow)
	}
	for _, p := range svc.BlueGreens {
		window = max(window, p.FastRollbackWindow)
	}
	if window == 0 {
		return false
	}
	since := time.Now().Add(-window)
	st := a.node.State()
	for _, val := range st.Validations(service) {
		if val.Version == v.String() && val.Verdict == "PASSED" && val.FinishedAt.After(since) {
			return true
		}
	}
	for _, ro := range st.Rollouts(service) {
		if ro.Spec.Stable == v && ro.Status.Phase == rollout.Promoted && ro.Status.FinishedAt.After(since) {
			return true
		}
	}
	return false
}

// rolloutCommand queues an operator command; the controller applies it at its next round
// (kicked at once).
func (a *Agent) rolloutCommand(w http.ResponseWriter, r *http.Request) {
	var cmd api.RolloutCommand
	if err := decodeJSON(r, &cmd); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	if rec := a.node.State().Rollout(id); rec == nil {
		if active := a.node.State().ActiveRollout(id); active != nil {
			id = active.Spec.ID
		}
	}
	cmd.By = actor(r)
	cmd.At = time.Now().UTC()
	if cmd.Reason == "" {
		cmd.Reason = r.Header.Get(api.HeaderReason)
	}
	a.commit(w, r, a.command(r, raftstore.CmdRolloutCommand, nil, raftstore.RolloutCommandBody{ID: id, Command: cmd}))
	a.kickController()
}
