package policies

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// serviceScope is what the blocks of one service need to know about it.
type serviceScope struct {
	name               string
	evaluationInterval time.Duration
	judgeNames         map[string]bool // every judge label, valid or not
	validationNames    map[string]bool // every clinical_validation label
}

func (d *decoder) decodeServices(blocks []*hclsyntax.Block) []Service {
	var out []Service
	first := map[string]*hclsyntax.Block{}
	for _, b := range blocks {
		name := b.Labels[0]
		if prev, dup := first[name]; dup {
			d.add(errorAt(b.DefRange(), fmt.Sprintf("service %q is declared twice; the first is at line %d", name, prev.DefRange().Start.Line),
				"merge the two service blocks into one"))
			continue
		}
		first[name] = b
		out = append(out, d.decodeService(b))
	}
	if len(blocks) == 0 {
		d.add(errorAt(d.fileStart(), "the policy declares no service",
			`add a service "name" { ... } block; a policy file holds one or more`))
	}
	return out
}

func (d *decoder) decodeService(b *hclsyntax.Block) Service {
	name := b.Labels[0]
	r := d.reader(blockWhere(b), b.Body)
	s := Service{Name: name, Range: b.DefRange(), EvaluationInterval: DefaultEvaluationInterval}
	if !isServiceName(name) {
		r.errorf(b.LabelRanges[0], "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (a DNS name)",
			"%q is not a valid service name", name)
	}

	if v, a, ok := r.duration("evaluation_interval", "10s"); ok {
		if v < MinEvaluationInterval {
			r.errorf(a.SrcRange, "use at least 1s", "evaluation_interval = %q is shorter than the minimum 1s", compactDuration(v))
		} else {
			s.EvaluationInterval = v
		}
	}
	if v, a, ok := r.str("baseline", `"stable"`); ok {
		switch {
		case v == baselineStable:
		case isModelVersion(v):
			s.Baseline = BaselineRef{Pinned: v}
		default:
			r.errorf(a.SrcRange, `use "stable" (the version serving before the rollout) or a version; `+versionHint,
				"baseline = %q is neither \"stable\" nor a version", v)
		}
		s.Baseline.Range = a.SrcRange
	}

	canaries := r.blockList("canary", "name")
	blueGreens := r.blockList("blue_green", "name")
	triggers := r.blockList("trigger", "name")
	judges := r.blockList("judge", "name")
	validations := r.blockList("clinical_validation", "name")
	r.finish()

	scope := &serviceScope{
		name:               name,
		evaluationInterval: s.EvaluationInterval,
		judgeNames:         labelSet(judges),
		validationNames:    labelSet(validations),
	}
	// Plans share one namespace: a rollout names its plan without saying its kind.
	d.uniqueLabels(append(append([]*hclsyntax.Block{}, canaries...), blueGreens...), "plan")
	d.uniqueLabels(triggers, "trigger")
	d.uniqueLabels(judges, "judge")
	d.uniqueLabels(validations, "clinical_validation")

	for _, cb := range canaries {
		s.Canaries = append(s.Canaries, d.decodeCanary(cb, scope))
	}
	for _, bb := range blueGreens {
		s.BlueGreens = append(s.BlueGreens, d.decodeBlueGreen(bb, scope))
	}
	for _, tb := range triggers {
		s.Triggers = append(s.Triggers, d.decodeTrigger(tb, scope))
	}
	for _, jb := range judges {
		s.Judges = append(s.Judges, d.decodeJudge(jb))
	}
	for _, vb := range validations {
		s.ClinicalValidations = append(s.ClinicalValidations, d.decodeClinicalValidation(vb))
	}
	return s
}

func labelSet(blocks []*hclsyntax.Block) map[string]bool {
	out := map[string]bool{}
	for _, b := range blocks {
		out[b.Labels[0]] = true
	}
	return out
}

// uniqueLabels reports every block whose name an earlier block of the same namespace has.
func (d *decoder) uniqueLabels(blocks []*hclsyntax.Block, namespace string) {
	first := map[string]*hclsyntax.Block{}
	for _, b := range blocks {
		name := b.Labels[0]
		prev, dup := first[name]
		if !dup {
			first[name] = b
			continue
		}
		what := "names must be unique"
		if namespace == "plan" {
			what = "canary and blue_green plans share one set of names"
		}
		d.add(errorAt(b.LabelRanges[0],
			fmt.Sprintf("%s: duplicate %s name; %s %q is already declared at line %d", blockWhere(b), namespace, prev.Type, name, prev.DefRange().Start.Line),
			"rename one of them: "+what+" within a service"))
	}
}

// checkAtLeastInterval reports a duration shorter than the evaluation interval.
func (r *blockReader) checkAtLeastInterval(a *hclsyntax.Attribute, v time.Duration, scope *serviceScope, why string) bool {
	if v >= scope.evaluationInterval {
		return true
	}
	r.errorf(a.SrcRange, fmt.Sprintf("use at least %s: %s", compactDuration(scope.evaluationInterval), why),
		"%s = %q is shorter than evaluation_interval %q", a.Name, compactDuration(v), compactDuration(scope.evaluationInterval))
	return false
}
