package raftstore

import (
	"encoding/json"
	"fmt"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// maxRolloutEvents bounds a rollout's timeline kept in its record (the audit log keeps
// every transition regardless).
const maxRolloutEvents = 500

func applyStartRollout(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[StartRolloutBody](raw)
	rec := body.Rollout
	spec := rec.Spec
	if spec.ID == "" {
		return nil, &api.Error{Code: api.CodeInvalid, Message: "rollout id is empty"}
	}
	if s.rollouts[spec.ID] != nil {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("rollout %s already exists", spec.ID)}
	}
	if s.services[spec.Service] == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q does not exist", spec.Service)}
	}
	if active := s.activeRolloutLocked(spec.Service); active != nil {
		return nil, &api.Error{Code: api.CodeConflict,
			Message: fmt.Sprintf("service %s already has rollout %s in phase %s", spec.Service, active.Spec.ID, active.Status.Phase),
			Hint:    "one rollout per service at a time: wait for it to end, or abort it"}
	}
	for _, v := range []router.Version{spec.Stable, spec.Candidate} {
		if s.versions[versionKey{spec.Service, v}] == nil {
			return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("version %s of %s is not registered", v, spec.Service),
				Hint: "register it with `meshctl versions add` first"}
		}
	}
	if spec.Stable == spec.Candidate {
		return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("the candidate %s is already the stable version", spec.Candidate)}
	}
	rt := s.routes[spec.Service]
	if rt == nil || rt.WeightOf(spec.Stable) != router.TotalWeight {
		current := "no route table"
		if rt != nil {
			current = fmt.Sprintf("%s has %s", spec.Stable, rt.WeightOf(spec.Stable))
		}
		return nil, &api.Error{Code: api.CodeConflict,
			Message: fmt.Sprintf("a rollout starts from %s serving 100%% of %s (%s)", spec.Stable, spec.Service, current),
			Hint:    fmt.Sprintf("set `meshctl routes set %s %s=100` first", spec.Service, spec.Stable)}
	}
	if p := s.policies[spec.Policy]; spec.Policy != "" && (p == nil || p.Hash != spec.PolicyHash) {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("policy %s is not at %s any more", spec.Policy, spec.PolicyHash), Hint: "start the rollout again"}
	}
	if len(spec.Steps) == 0 {
		return nil, &api.Error{Code: api.CodeInvalid, Message: "a rollout needs at least one step"}
	}
	rec.Meta = meta(nil, index)
	r := rec
	s.rollouts[spec.ID] = &r
	return []change{{table: TableRollouts, object: "rollout/" + spec.ID, new: rolloutSummary(&r)}}, nil
}

// rolloutSummary is what the audit log records of a rollout transition.
func rolloutSummary(r *api.RolloutRecord) map[string]any {
	return map[string]any{
		"id": r.Spec.ID, "service": r.Spec.Service, "strategy": r.Spec.Strategy, "stable": r.Spec.Stable, "candidate": r.Spec.Candidate,
		"phase": r.Status.Phase, "step": r.Status.Step, "reason": r.Status.Reason, "cause": r.Status.Cause, "policy_hash": r.Spec.PolicyHash,
	}
}

func applyUpdateRollout(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[UpdateRolloutBody](raw)
	old := s.rollouts[body.ID]
	if old == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("rollout %s does not exist", body.ID)}
	}
	if h.CAS == nil {
		return nil, &api.Error{Code: api.CodeInvalid, Message: "a rollout update must name the modify index it read (check-and-set)"}
	}
	if err := checkCAS(h, "rollout "+body.ID, old.ModifyIndex); err != nil {
		return nil, err
	}
	if old.Status.Phase.Terminal() {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("rollout %s has ended (%s)", body.ID, old.Status.Phase)}
	}
	if body.Consumed < 0 || body.Consumed > len(old.Pending) {
		return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("rollout %s: consumed %d of %d pending commands", body.ID, body.Consumed, len(old.Pending))}
	}
	var changes []change
	next := *old
	next.Status = body.Status
	next.Pending = append([]api.RolloutCommand(nil), old.Pending[body.Consumed:]...)
	if body.Triggers != nil {
		next.Triggers = body.Triggers
	}
	if len(body.Events) > 0 {
		events := append(append([]api.RolloutEvent(nil), old.Events...), body.Events...)
		for i := range events[len(old.Events):] {
			events[len(old.Events)+i].Index = index
		}
		if len(events) > maxRolloutEvents {
			events = events[len(events)-maxRolloutEvents:]
		}
		next.Events = events
	}
	if body.Routes != nil {
		rt := body.Routes.Clone()
		rt.Normalize()
		var versions []router.ModelVersion
		for _, v := range s.versionsLocked(rt.Service) {
			versions = append(versions, v.ModelVersion)
		}
		if rt.Service != old.Spec.Service {
			return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("rollout %s of %s cannot change routes of %s", body.ID, old.Spec.Service, rt.Service)}
		}
		if err := router.ValidateRouteTable(rt, versions); err != nil {
			return nil, invalid(err)
		}
		oldRoutes := s.routes[rt.Service]
		var oldMeta *api.Meta
		if oldRoutes != nil {
			oldMeta = &oldRoutes.Meta
		}
		routes := &api.RouteRecord{RouteTable: rt, Meta: meta(oldMeta, index), Change: changeOf(h)}
		s.routes[rt.Service] = routes
		next.Status.RoutesIndex = index
		next.Status.RoutesPending = false
		changes = append(changes, change{table: TableRoutes, object: "routes/" + rt.Service, old: oldRoutes, new: routes})
	}
	next.Meta = meta(&old.Meta, index)
	s.rollouts[body.ID] = &next
	// Every round's clocks are replicated, but only transitions are audited.
	c := change{table: TableRollouts, object: "rollout/" + body.ID, new: rolloutSummary(&next)}
	if body.Routes != nil || len(body.Events) > 0 || old.Status.Phase != next.Status.Phase || old.Status.Step != next.Status.Step || body.Consumed > 0 {
		c.old = rolloutSummary(old)
		changes = append(changes, c)
	} else {
		c.silent = true
		changes = append(changes, c)
	}
	return changes, nil
}

func applyRolloutCommand(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[RolloutCommandBody](raw)
	old := s.rollouts[body.ID]
	if old == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("rollout %s does not exist", body.ID)}
	}
	if old.Status.Phase.Terminal() {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("rollout %s has ended (%s); nothing to %s", body.ID, old.Status.Phase, body.Command.Kind)}
	}
	switch body.Command.Kind {
	case "promote", "pause", "resume", "abort", "rollback":
	default:
		return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("unknown rollout command %q: want promote, pause, resume, abort or rollback", body.Command.Kind)}
	}
	next := *old
	next.Pending = append(append([]api.RolloutCommand(nil), old.Pending...), body.Command)
	next.Meta = meta(&old.Meta, index)
	s.rollouts[body.ID] = &next
	return []change{{table: TableRollouts, object: "rollout/" + body.ID, new: body.Command}}, nil
}

// RolloutCommandOf converts a recorded command for the state machine.
func RolloutCommandOf(c api.RolloutCommand) rollout.Command {
	kinds := map[string]rollout.CommandKind{"promote": rollout.CmdPromote, "pause": rollout.CmdPause, "resume": rollout.CmdResume, "abort": rollout.CmdAbort, "rollback": rollout.CmdRollback}
	return rollout.Command{Kind: kinds[c.Kind], Full: c.Full, By: c.By, Reason: c.Reason}
}

func applyStartValidation(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[StartValidationBody](raw)
	v := body.Validation
	if v.ID == "" || v.Service == "" || v.Version == "" {
		return nil, &api.Error{Code: api.CodeInvalid, Message: "a validation run needs an id, a service and a version"}
	}
	if s.validations[v.ID] != nil {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("validation run %s already exists", v.ID)}
	}
	v.State = "running"
	v.Meta = meta(nil, index)
	s.validations[v.ID] = &v
	return []change{{table: TableValidations, object: "validation/" + v.ID, new: validationSummary(&v)}}, nil
}

func validationSummary(v *api.ValidationRecord) map[string]any {
	return map[string]any{"id": v.ID, "service": v.Service, "version": v.Version, "against": v.Against, "validation": v.Validation,
		"dataset_sha256": v.DatasetSHA256, "policy_hash": v.PolicyHash, "state": v.State, "verdict": v.Verdict, "reason": v.Reason}
}

func applyFinishValidation(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[FinishValidationBody](raw)
	old := s.validations[body.ID]
	if old == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("validation run %s does not exist", body.ID)}
	}
	if old.State == "finished" {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("validation run %s already finished (%s)", body.ID, old.Verdict)}
	}
	switch body.Verdict {
	case "PASSED", "FAILED", "INCONCLUSIVE":
	default:
		return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("verdict %q: want PASSED, FAILED or INCONCLUSIVE", body.Verdict)}
	}
	next := *old
	next.State, next.Verdict, next.Reason, next.Evidence, next.FinishedAt = "finished", body.Verdict, body.Reason, body.Evidence, body.At
	next.Meta = meta(&old.Meta, index)
	s.validations[body.ID] = &next
	return []change{{table: TableValidations, object: "validation/" + body.ID, old: validationSummary(old), new: validationSummary(&next)}}, nil
}

func applyUpdateMonitor(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[UpdateMonitorBody](raw)
	m := body.Monitor
	if s.services[m.Service] == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q does not exist", m.Service)}
	}
	old := s.monitors[m.Service]
	var oldMeta *api.Meta
	if old != nil {
		oldMeta = &old.Meta
	}
	m.Meta = meta(oldMeta, index)
	s.monitors[m.Service] = &m
	return []change{{table: TableMonitors, object: "monitor/" + m.Service, silent: true}}, nil
}
