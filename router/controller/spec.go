package controller

import (
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// RestoreSteps are the candidate shares of a restore (a rollback of production to an
// earlier version) that is not fast-tracked: the seed procedure's gradual traffic restore
// with a stability check at each step.
var RestoreSteps = []router.BasisPoints{1000, 2500, 5000, 7500, 10000}

// RestoreBake is the observation time of each restore step.
const RestoreBake = 30 * time.Second

// SpecRequest is what an operator asks for when starting a rollout.
type SpecRequest struct {
	ID        string
	Policy    *policies.Policy
	PolicyRef string // the policy record's name
	Service   string
	Plan      string // "" for a restore
	Stable    router.Version
	Candidate router.Version
	By        string
	Reason    string
	Now       time.Time
	// FastTrack (restore only): the target was validated within the rollback window.
	FastTrack bool
}

// NewSpec turns a policy plan into a rollout spec. Errors name the plan and what is wrong.
func NewSpec(r SpecRequest) (*rollout.Spec, error) {
	svc := r.Policy.Service(r.Service)
	if svc == nil {
		return nil, fmt.Errorf("policy %s does not govern service %q", r.PolicyRef, r.Service)
	}
	if !r.Candidate.Phase.ServesWeightedTraffic() {
		return nil, fmt.Errorf("%s cannot be rolled out: %s versions serve no share of clinical traffic (validate it through a header pin instead)", r.Candidate, r.Candidate.Phase)
	}
	spec := &rollout.Spec{
		ID: r.ID, Service: r.Service, Policy: r.PolicyRef, PolicyHash: r.Policy.Hash,
		Stable: r.Stable, Candidate: r.Candidate, StartedBy: r.By, StartedAt: r.Now, Reason: r.Reason,
		EvaluationInterval: router.Duration(svc.EvaluationInterval),
		Limits:             rollout.Limits{Errors: 4},
	}
	if r.Plan == "" {
		spec.Strategy = rollout.Restore
		spec.Plan = "restore"
		spec.AckCoverage = 1
		spec.ProgressDeadline = router.Duration(2 * time.Minute)
		spec.TesterPin = &router.HeaderPin{Header: policies.DefaultValidationHeader, Value: r.Candidate.String(), Version: r.Candidate}
		if len(svc.ClinicalValidations) > 0 {
			spec.Validation = svc.ClinicalValidations[0].Name
		}
		spec.FastTrack = r.FastTrack
		if r.FastTrack {
			spec.Steps = []rollout.Step{{Weight: router.TotalWeight}}
		} else {
			for _, w := range RestoreSteps {
				spec.Steps = append(spec.Steps, rollout.Step{Weight: w, Bake: router.Duration(max(RestoreBake, svc.EvaluationInterval))})
			}
		}
		return spec, nil
	}
	switch p := svc.Plan(r.Plan).(type) {
	case *policies.CanaryPlan:
		spec.Strategy = rollout.Canary
		spec.Plan = p.Name
		spec.AckCoverage = p.AckCoverage
		spec.ProgressDeadline = router.Duration(p.ProgressDeadline)
		spec.Limits = rollout.Limits{Failed: p.Limits.Failed, Errors: p.Limits.Errors, Inconclusive: p.Limits.Inconclusive}
		spec.ConfirmBeforeStart = p.ConfirmBeforeStart || hasGate(p.Gates, policies.GateBeforeStart)
		spec.ConfirmBeforePromotion = p.ConfirmBeforePromotion || hasGate(p.Gates, policies.GateBeforePromotion)
		everyStep := hasGate(p.Gates, policies.GateBeforeStep)
		if p.HeaderRoute != nil {
			spec.TesterPin = &router.HeaderPin{Header: p.HeaderRoute.Header, Value: p.HeaderRoute.Value, Version: r.Candidate}
		}
		if len(p.Steps) > 0 && p.InitialWeight > 0 && p.InitialWeight < p.Steps[0].Weight {
			spec.Steps = append(spec.Steps, rollout.Step{Weight: router.BasisPoints(p.InitialWeight), Bake: router.Duration(p.Steps[0].Bake)})
		}
		for i, s := range p.Steps {
			spec.Steps = append(spec.Steps, rollout.Step{
				Weight: router.BasisPoints(s.Weight), Bake: router.Duration(s.Bake), Analysis: s.Analysis,
				Confirm: s.Confirm || everyStep && (i > 0 || len(spec.Steps) > 1),
			})
		}
	case *policies.BlueGreenPlan:
		spec.Strategy = rollout.BlueGreen
		spec.Plan = p.Name
		spec.AckCoverage = p.AckCoverage
		spec.ProgressDeadline = router.Duration(2 * time.Minute)
		spec.Validation = p.Validation
		spec.PostSwitchWindow = router.Duration(p.PostSwitchWindow)
		spec.FastRollbackWindow = router.Duration(p.FastRollbackWindow)
		pin := router.HeaderPin{Header: policies.DefaultValidationHeader, Value: r.Candidate.String(), Version: r.Candidate}
		if p.HeaderRoute != nil {
			pin.Header, pin.Value = p.HeaderRoute.Header, p.HeaderRoute.Value
		}
		spec.TesterPin = &pin
		if p.Switch == policies.SwitchGradual && p.Gradual != nil {
			for _, w := range p.Gradual.Steps {
				spec.Steps = append(spec.Steps, rollout.Step{Weight: router.BasisPoints(w), Bake: router.Duration(p.Gradual.Bake)})
			}
			spec.Steps[len(spec.Steps)-1].Bake = 0
		} else {
			spec.Steps = []rollout.Step{{Weight: router.TotalWeight}}
		}
	default:
		return nil, fmt.Errorf("policy %s has no plan %q for service %s", r.PolicyRef, r.Plan, r.Service)
	}
	if spec.AckCoverage <= 0 || spec.AckCoverage > 1 {
		spec.AckCoverage = 1
	}
	return spec, nil
}

func hasGate(gates []policies.Gate, pos policies.GatePosition) bool {
	for _, g := range gates {
		for _, at := range g.At {
			if at == pos {
				return true
			}
		}
	}
	return false
}

// Target is the trigger target a rollout's candidate is watched as.
func Target(s *rollout.Spec) policies.Target {
	switch s.Strategy {
	case rollout.BlueGreen:
		return policies.TargetGreen
	case rollout.Restore:
		return policies.TargetStable
	}
	return policies.TargetCanary
}
