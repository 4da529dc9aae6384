package policies

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Defaults and limits of a service block.
const (
	// DefaultEvaluationInterval is how often triggers are evaluated when a service does not
	// say.
	DefaultEvaluationInterval = 10 * time.Second
	// MinEvaluationInterval is the shortest evaluation_interval accepted.
	MinEvaluationInterval = time.Second
)

// Policy is one parsed and validated policy file.
type Policy struct {
	// Filename is the name given to Parse; every Range in the policy refers to it.
	Filename string
	// Hash is "sha256:<hex>" of the canonically formatted source (see Hash). Two files
	// that differ only in formatting have the same hash.
	Hash string
	// Source is the file as parsed: as given, with "\r\n" line endings read as "\n".
	// Byte offsets in Ranges refer to it.
	Source []byte
	// Variables are the declared variables with the values the policy was evaluated with,
	// in source order. The specs below depend on them as well as on Source.
	Variables []Variable
	// Services in source order; names are unique.
	Services []Service
}

// Variable is a declared variable and the value used for it.
type Variable struct {
	Name        string
	Type        VariableType
	Description string
	// Value is the value in policy syntax: 0.1, "stable", true.
	Value string
	// FromVars is true when Value came from the vars map given to Parse, false when it is
	// the declared default.
	FromVars bool
	Range    hcl.Range
}

// Service is the policy of one service: its rollout plans and what decides them.
type Service struct {
	// Name is the service label; it is what ${service} renders to in queries.
	Name string
	// EvaluationInterval is the period of trigger evaluation: at least 1 s, default 10 s.
	EvaluationInterval time.Duration
	// Baseline says which version ${baseline_version} renders to.
	Baseline BaselineRef
	// Canaries, BlueGreens, Triggers, Judges and ClinicalValidations are in source order.
	// Plan names are unique across Canaries and BlueGreens; the other names are unique
	// within their kind.
	Canaries            []CanaryPlan
	BlueGreens          []BlueGreenPlan
	Triggers            []Trigger
	Judges              []Judge
	ClinicalValidations []ClinicalValidation
	// Range is the block header: service "name".
	Range hcl.Range
}

// BaselineRef is what a service compares its candidate with. The zero value means the
// stable version: whichever version served before the rollout started.
type BaselineRef struct {
	// Pinned is an explicit MAJOR.MINOR.PATCH-PHASE version, or "" for the stable version.
	Pinned string
	Range  hcl.Range
}

// String returns "stable" or the pinned version.
func (b BaselineRef) String() string {
	if b.Pinned == "" {
		return baselineStable
	}
	return b.Pinned
}

const baselineStable = "stable"

// Plan is a canary or blue-green plan; switch on its concrete type (*CanaryPlan or
// *BlueGreenPlan) to reach the details.
type Plan interface {
	PlanName() string
	PlanKind() PlanKind
	// DefRange is the block header, for citing the plan in evidence.
	DefRange() hcl.Range
	// PlanNotifications are the plan's notify blocks, in source order.
	PlanNotifications() []Notification
}

// PlanKind tells a canary plan from a blue-green one.
type PlanKind uint8

const (
	PlanCanary PlanKind = iota + 1
	PlanBlueGreen
)

var planKindNames = enumSpec[PlanKind]{kind: "PlanKind", names: []string{"", "canary", "blue_green"}}

func (k PlanKind) String() string { return planKindNames.name(k) }

// Service returns the service named name, or nil.
func (p *Policy) Service(name string) *Service {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return &p.Services[i]
		}
	}
	return nil
}

// Plan returns the canary or blue-green plan named name, or nil.
func (s *Service) Plan(name string) Plan {
	for i := range s.Canaries {
		if s.Canaries[i].Name == name {
			return &s.Canaries[i]
		}
	}
	for i := range s.BlueGreens {
		if s.BlueGreens[i].Name == name {
			return &s.BlueGreens[i]
		}
	}
	return nil
}

// Trigger returns the trigger named name, or nil.
func (s *Service) Trigger(name string) *Trigger {
	for i := range s.Triggers {
		if s.Triggers[i].Name == name {
			return &s.Triggers[i]
		}
	}
	return nil
}

// Judge returns the judge named name, or nil.
func (s *Service) Judge(name string) *Judge {
	for i := range s.Judges {
		if s.Judges[i].Name == name {
			return &s.Judges[i]
		}
	}
	return nil
}

// ClinicalValidation returns the clinical_validation block named name, or nil.
func (s *Service) ClinicalValidation(name string) *ClinicalValidation {
	for i := range s.ClinicalValidations {
		if s.ClinicalValidations[i].Name == name {
			return &s.ClinicalValidations[i]
		}
	}
	return nil
}

// TriggersFor returns the triggers that watch target, in source order.
func (s *Service) TriggersFor(target Target) []*Trigger {
	var out []*Trigger
	for i := range s.Triggers {
		if s.Triggers[i].Watches(target) {
			out = append(out, &s.Triggers[i])
		}
	}
	return out
}
