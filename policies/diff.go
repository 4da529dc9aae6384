package policies

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// ChangeKind is what happened to a block or field between two policies.
type ChangeKind uint8

const (
	ChangeAdded ChangeKind = iota + 1
	ChangeRemoved
	ChangeModified
)

var changeKindNames = enumSpec[ChangeKind]{kind: "ChangeKind", names: []string{"", "added", "removed", "modified"}}

func (k ChangeKind) String() string { return changeKindNames.name(k) }

// Change is one structural difference between two policies.
type Change struct {
	Kind ChangeKind
	// Path locates the block or field in policy terms:
	//   service["breast-cancer-dx"].trigger["error_rate"].threshold
	//   service["breast-cancer-dx"].canary["standard"].step[2].weight
	//   service["breast-cancer-dx"].clinical_validation["golden"].require["sensitivity.lower"].goal
	// Named blocks are keyed by name, steps and notify blocks by position (from 1), criteria
	// by what they bound.
	Path string
	// Old and New are field values in policy syntax (0.1, "30s", ["canary", "green"]);
	// empty for a whole block and for the side where the field is absent.
	Old, New string
	// OldRange and NewRange are the enclosing blocks in each policy; the zero Range on the
	// side where the block is absent.
	OldRange, NewRange hcl.Range
}

// String renders the change as "+ path", "- path" or "~ path: old -> new".
func (c Change) String() string {
	switch c.Kind {
	case ChangeAdded:
		if c.New != "" {
			return fmt.Sprintf("+ %s = %s", c.Path, c.New)
		}
		return "+ " + c.Path
	case ChangeRemoved:
		if c.Old != "" {
			return fmt.Sprintf("- %s = %s", c.Path, c.Old)
		}
		return "- " + c.Path
	}
	return fmt.Sprintf("~ %s: %s -> %s", c.Path, c.Old, c.New)
}

// Diff returns the structural differences from old to new: blocks added or removed (a new
// or removed block is one change, not one per field) and fields added, removed or changed,
// with their old and new values. A nil policy counts as empty. Identical policies, however
// formatted, have no changes.
func Diff(old, new *Policy) []Change {
	var out []Change
	diffNodes("", policyNode(old), policyNode(new), &out)
	return out
}

// node is a block flattened for comparison.
type node struct {
	key    string
	rng    hcl.Range
	fields []field
	kids   []*node
}

type field struct{ name, value string }

func (n *node) set(name, value string) { n.fields = append(n.fields, field{name, value}) }
func (n *node) add(kid *node)          { n.kids = append(n.kids, kid) }

func diffNodes(path string, old, new *node, out *[]Change) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	for _, of := range old.fields {
		nf, found := findField(new.fields, of.name)
		switch {
		case !found:
			*out = append(*out, Change{Kind: ChangeRemoved, Path: join(of.name), Old: of.value, OldRange: old.rng})
		case nf.value != of.value:
			*out = append(*out, Change{Kind: ChangeModified, Path: join(of.name), Old: of.value, New: nf.value, OldRange: old.rng, NewRange: new.rng})
		}
	}
	for _, nf := range new.fields {
		if _, found := findField(old.fields, nf.name); !found {
			*out = append(*out, Change{Kind: ChangeAdded, Path: join(nf.name), New: nf.value, NewRange: new.rng})
		}
	}
	for _, ok := range old.kids {
		nk := findKid(new.kids, ok.key)
		if nk == nil {
			*out = append(*out, Change{Kind: ChangeRemoved, Path: join(ok.key), OldRange: ok.rng})
			continue
		}
		diffNodes(join(ok.key), ok, nk, out)
	}
	for _, nk := range new.kids {
		if findKid(old.kids, nk.key) == nil {
			*out = append(*out, Change{Kind: ChangeAdded, Path: join(nk.key), NewRange: nk.rng})
		}
	}
}

func findField(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func findKid(kids []*node, key string) *node {
	for _, k := range kids {
		if k.key == key {
			return k
		}
	}
	return nil
}

func named(kind, name string) string { return fmt.Sprintf("%s[%q]", kind, name) }
func indexed(kind string, i int) string {
	return fmt.Sprintf("%s[%d]", kind, i+1)
}

func policyNode(p *Policy) *node {
	n := &node{}
	if p == nil {
		return n
	}
	for i := range p.Services {
		n.add(serviceNode(&p.Services[i]))
	}
	return n
}

func serviceNode(s *Service) *node {
	n := &node{key: named("service", s.Name), rng: s.Range}
	n.set("evaluation_interval", quoteDuration(s.EvaluationInterval))
	n.set("baseline", strconv.Quote(s.Baseline.String()))
	for i := range s.Canaries {
		n.add(canaryNode(&s.Canaries[i]))
	}
	for i := range s.BlueGreens {
		n.add(blueGreenNode(&s.BlueGreens[i]))
	}
	for i := range s.Triggers {
		n.add(triggerNode(&s.Triggers[i]))
	}
	for i := range s.Judges {
		n.add(judgeNode(&s.Judges[i]))
	}
	for i := range s.ClinicalValidations {
		n.add(clinicalNode(&s.ClinicalValidations[i]))
	}
	return n
}

func canaryNode(c *CanaryPlan) *node {
	n := &node{key: named("canary", c.Name), rng: c.Range}
	n.set("initial_weight", c.InitialWeight.Percent())
	n.set("max_weight", c.MaxWeight.Percent())
	n.set("confirm_before_start", strconv.FormatBool(c.ConfirmBeforeStart))
	n.set("confirm_before_promotion", strconv.FormatBool(c.ConfirmBeforePromotion))
	n.set("ack_coverage", formatNumber(c.AckCoverage))
	n.set("progress_deadline", quoteDuration(c.ProgressDeadline))
	n.set("rollback_window", quoteDuration(c.RollbackWindow))
	for i, s := range c.Steps {
		k := &node{key: indexed("step", i), rng: s.Range}
		k.set("weight", s.Weight.Percent())
		k.set("bake", quoteDuration(s.Bake))
		k.set("analysis", quoteList(s.Analysis))
		k.set("confirm", strconv.FormatBool(s.Confirm))
		n.add(k)
	}
	if c.HeaderRoute != nil {
		n.add(headerRouteNode(c.HeaderRoute))
	}
	limits := &node{key: "limits", rng: c.Limits.Range}
	limits.set("failed", strconv.FormatUint(uint64(c.Limits.Failed), 10))
	limits.set("errors", strconv.FormatUint(uint64(c.Limits.Errors), 10))
	limits.set("inconclusive", strconv.FormatUint(uint64(c.Limits.Inconclusive), 10))
	n.add(limits)
	for _, g := range c.Gates {
		k := &node{key: named("gate", g.Name), rng: g.Range}
		k.set("url", strconv.Quote(g.URL))
		k.set("timeout", quoteDuration(g.Timeout))
		k.set("at", quoteList(enumStrings(g.At)))
		n.add(k)
	}
	addNotifyNodes(n, c.Notifications)
	return n
}

// addNotifyNodes adds a plan's notify blocks, matched by position.
func addNotifyNodes(n *node, notifications []Notification) {
	for i, nt := range notifications {
		k := &node{key: indexed("notify", i), rng: nt.Range}
		k.set("url", strconv.Quote(nt.URL))
		k.set("format", strconv.Quote(nt.Format.String()))
		k.set("events", quoteList(enumStrings(nt.Events)))
		n.add(k)
	}
}

func headerRouteNode(h *HeaderRoute) *node {
	k := &node{key: "header_route", rng: h.Range}
	k.set("header", strconv.Quote(h.Header))
	k.set("value", strconv.Quote(h.Value))
	return k
}

func blueGreenNode(b *BlueGreenPlan) *node {
	n := &node{key: named("blue_green", b.Name), rng: b.Range}
	n.set("validation", strconv.Quote(b.Validation))
	n.set("switch", strconv.Quote(b.Switch.String()))
	n.set("post_switch_window", quoteDuration(b.PostSwitchWindow))
	n.set("fast_rollback_window", quoteDuration(b.FastRollbackWindow))
	n.set("ack_coverage", formatNumber(b.AckCoverage))
	if b.HeaderRoute != nil {
		n.add(headerRouteNode(b.HeaderRoute))
	}
	if b.Gradual != nil {
		k := &node{key: "gradual", rng: b.Gradual.Range}
		var steps []string
		for _, s := range b.Gradual.Steps {
			steps = append(steps, s.Percent())
		}
		k.set("steps", "["+strings.Join(steps, ", ")+"]")
		k.set("bake", quoteDuration(b.Gradual.Bake))
		n.add(k)
	}
	addNotifyNodes(n, b.Notifications)
	return n
}

func triggerNode(t *Trigger) *node {
	n := &node{key: named("trigger", t.Name), rng: t.Range}
	n.set("category", strconv.Quote(t.Category.String()))
	n.set("query", strconv.Quote(t.Query.String()))
	n.set("condition", strconv.Quote(t.Condition.String()))
	if t.Threshold != nil {
		n.set("threshold", formatNumber(*t.Threshold))
	}
	n.set("for", quoteDuration(t.For))
	n.set("consecutive", strconv.FormatUint(uint64(t.Consecutive), 10))
	n.set("action", strconv.Quote(t.Action.String()))
	if t.WarningPeriod != 0 {
		n.set("warning_period", quoteDuration(t.WarningPeriod))
	}
	n.set("on_no_data", strconv.Quote(t.OnNoData.String()))
	n.set("applies_to", quoteList(enumStrings(t.AppliesTo)))
	if t.Baseline != nil {
		k := &node{key: "baseline", rng: t.Baseline.Range}
		k.set("ratio", formatNumber(t.Baseline.Ratio))
		k.set("delta", formatNumber(t.Baseline.Delta))
		n.add(k)
	}
	if t.MinSamples != nil {
		k := &node{key: "min_samples", rng: t.MinSamples.Range}
		k.set("query", strconv.Quote(t.MinSamples.Query.String()))
		k.set("count", strconv.FormatUint(t.MinSamples.Count, 10))
		n.add(k)
	}
	return n
}

func judgeNode(j *Judge) *node {
	n := &node{key: named("judge", j.Name), rng: j.Range}
	n.set("method", strconv.Quote(j.Method.String()))
	for _, q := range []struct {
		name string
		q    QueryTemplate
	}{{"events", j.Events}, {"trials", j.Trials}, {"samples", j.Samples}} {
		if !q.q.IsZero() {
			n.set(q.name, strconv.Quote(q.q.String()))
		}
	}
	n.set("direction", strconv.Quote(j.Direction.String()))
	n.set("margin", formatNumber(j.Margin))
	n.set("alpha", formatNumber(j.Alpha))
	n.set("confidence", formatNumber(j.Confidence))
	if j.Method == MethodSPRT {
		n.set("p0", formatNumber(j.P0))
		n.set("p1", formatNumber(j.P1))
		n.set("beta", formatNumber(j.Beta))
	}
	n.set("min_samples", strconv.FormatUint(j.MinSamples, 10))
	n.set("critical", strconv.FormatBool(j.Critical))
	return n
}

func clinicalNode(c *ClinicalValidation) *node {
	n := &node{key: named("clinical_validation", c.Name), rng: c.Range}
	n.set("dataset", strconv.Quote(c.Dataset))
	n.set("dataset_sha256", strconv.Quote(c.DatasetSHA256))
	n.set("against", strconv.Quote(c.Against.String()))
	n.set("confidence", formatNumber(c.Confidence))
	n.set("min_cases", strconv.FormatUint(uint64(c.MinCases), 10))
	n.set("min_positive_cases", strconv.FormatUint(uint64(c.MinPositiveCases), 10))
	n.set("subgroups", quoteList(c.Subgroups))
	n.set("min_subgroup_cases", strconv.FormatUint(uint64(c.MinSubgroupCases), 10))
	n.set("labels", quoteList([]string{c.PositiveLabel, c.NegativeLabel}))
	n.set("interval", strconv.Quote(c.Interval.String()))
	n.set("concurrency", strconv.FormatUint(uint64(c.Concurrency), 10))
	n.set("timeout", quoteDuration(c.Timeout))
	seen := map[string]int{}
	for _, crit := range c.Require {
		id := criterionIdentity(crit)
		seen[id]++
		if seen[id] > 1 {
			id = fmt.Sprintf("%s#%d", id, seen[id])
		}
		k := &node{key: named("require", id), rng: crit.Range}
		switch crit.Kind {
		case BoundCriterion:
			k.set("goal", formatNumber(crit.Goal))
		case NonInferiority, AUCNonInferiority:
			k.set("margin", formatNumber(crit.Margin))
		case McNemarNotWorse:
			k.set("alpha", formatNumber(crit.Alpha))
		}
		n.add(k)
	}
	return n
}

// criterionIdentity names what a criterion bounds, independent of its number:
// "sensitivity.lower", "noninferior(specificity)", "auc_noninferior", "mcnemar_not_worse".
func criterionIdentity(c Criterion) string {
	switch c.Kind {
	case BoundCriterion:
		return c.Metric.String() + "." + c.Bound.String()
	case NonInferiority:
		return "noninferior(" + c.Metric.String() + ")"
	}
	return c.Kind.String()
}

func quoteDuration(d time.Duration) string { return strconv.Quote(compactDuration(d)) }

func quoteList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func enumStrings[T fmt.Stringer](items []T) []string {
	out := make([]string, len(items))
	for i, v := range items {
		out[i] = v.String()
	}
	return out
}
