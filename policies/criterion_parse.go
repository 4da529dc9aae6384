package policies

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The require list is read from the syntax tree, never evaluated: sensitivity.lower is not
// a value at parse time but a statement about a confidence interval the validation run
// will compute. Only the numbers (goals, margins, levels) are evaluated, so they may come
// from variables and locals.

const criterionForms = "metric.lower >= goal, metric.upper <= goal, noninferior(metric, margin), auc_noninferior(margin) or mcnemar_not_worse(alpha)"

// criterionFunctions are the function names a require element may call.
var criterionFunctions = []string{"noninferior", "auc_noninferior", "mcnemar_not_worse"}

// parseRequire reads the require attribute into criteria; ok is false when any element
// was rejected (each is reported at its own position).
func (r *blockReader) parseRequire(a *hclsyntax.Attribute) ([]Criterion, bool) {
	tuple, isTuple := unwrapParens(a.Expr).(*hclsyntax.TupleConsExpr)
	if !isTuple {
		r.errorf(a.SrcRange, "write require = [sensitivity.lower >= 0.9, ...] in place; criteria are read as written, not computed",
			"require must be a list of criteria")
		return nil, false
	}
	if len(tuple.Exprs) == 0 {
		r.errorf(a.SrcRange, "add at least one criterion, e.g. sensitivity.lower >= 0.9; a validation without criteria would pass anything",
			"require is empty")
		return nil, false
	}
	var out []Criterion
	ok := true
	for _, e := range tuple.Exprs {
		c, good := r.parseCriterion(e)
		if !good {
			ok = false
			continue
		}
		out = append(out, c)
	}
	return out, ok
}

func unwrapParens(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		p, isParen := e.(*hclsyntax.ParenthesesExpr)
		if !isParen {
			return e
		}
		e = p.Expression
	}
}

func (r *blockReader) parseCriterion(e hclsyntax.Expression) (Criterion, bool) {
	rng := e.Range()
	c := Criterion{Source: r.d.sourceOf(rng), Range: rng}
	switch x := unwrapParens(e).(type) {
	case *hclsyntax.BinaryOpExpr:
		return r.parseBound(c, x)
	case *hclsyntax.FunctionCallExpr:
		return r.parseCriterionCall(c, x)
	case *hclsyntax.ScopeTraversalExpr:
		if m, found := metricNames.parse(x.Traversal.RootName()); found {
			r.errorf(rng, fmt.Sprintf("write %s.lower >= <goal>", m),
				"require: %s is not a criterion: it compares nothing", c.Source)
			return c, false
		}
	}
	r.errorf(rng, "write "+criterionForms, "require: unsupported criterion %s", c.Source)
	return c, false
}

// parseBound reads "<metric>.lower >= <number>" and "<metric>.upper <= <number>".
func (r *blockReader) parseBound(c Criterion, x *hclsyntax.BinaryOpExpr) (Criterion, bool) {
	lhs := unwrapParens(x.LHS)
	trav, isTrav := lhs.(*hclsyntax.ScopeTraversalExpr)
	if !isTrav {
		if rt, rIsTrav := unwrapParens(x.RHS).(*hclsyntax.ScopeTraversalExpr); rIsTrav {
			if _, found := metricNames.parse(rt.Traversal.RootName()); found {
				r.errorf(c.Range, fmt.Sprintf("write %s %s %s", r.d.sourceOf(rt.Range()), flippedOp(x.Op), r.d.sourceOf(x.LHS.Range())),
					"require: %s: put the metric bound on the left", c.Source)
				return c, false
			}
		}
		r.errorf(c.Range, "write "+criterionForms, "require: unsupported criterion %s", c.Source)
		return c, false
	}
	metric, ok := r.criterionMetric(trav.Traversal, c.Source)
	if !ok {
		return c, false
	}
	c.Kind, c.Metric = BoundCriterion, metric
	goalText := r.d.sourceOf(x.RHS.Range())

	side := ""
	if len(trav.Traversal) >= 2 {
		if step, isAttr := trav.Traversal[1].(hcl.TraverseAttr); isAttr {
			side = step.Name
		}
	}
	pointHint := fmt.Sprintf("gates decide on confidence bounds; write %s.lower >= %s", metric, goalText)
	switch {
	case len(trav.Traversal) == 1 || side == "estimate":
		r.errorf(c.Range, pointHint, "require: %s decides on a point estimate", c.Source)
		return c, false
	case len(trav.Traversal) > 2 || (side != "lower" && side != "upper"):
		r.errorf(trav.Range(), fmt.Sprintf("write %s.lower or %s.upper", metric, metric),
			"require: %s: unknown bound %q", c.Source, r.d.sourceOf(trav.Range()))
		return c, false
	}
	c.Bound, _ = boundSideNames.parse(side)
	switch {
	case c.Bound == LowerBound && x.Op == hclsyntax.OpGreaterThanOrEqual:
		c.Op = OpAtLeast
	case c.Bound == UpperBound && x.Op == hclsyntax.OpLessThanOrEqual:
		c.Op = OpAtMost
	case c.Bound == LowerBound:
		r.errorf(c.Range, fmt.Sprintf("write %s.lower >= %s", metric, goalText),
			"require: %s: a lower bound is required to be at least a goal (>=)", c.Source)
		return c, false
	default:
		r.errorf(c.Range, fmt.Sprintf("write %s.upper <= %s", metric, goalText),
			"require: %s: an upper bound is required to be at most a goal (<=)", c.Source)
		return c, false
	}
	goal, ok := r.criterionNumber(x.RHS, c.Source, "goal")
	if !ok {
		return c, false
	}
	if goal <= 0 || goal >= 1 {
		r.errorf(x.RHS.Range(), "a bound of a proportion lies in (0, 1): a goal of 0 or less accepts anything and one of 1 or more nothing",
			"require: %s: goal %s is outside (0, 1)", c.Source, formatNumber(goal))
		return c, false
	}
	c.Goal = goal
	return c, true
}

// criterionMetric reads the metric name at the root of t.
func (r *blockReader) criterionMetric(t hcl.Traversal, source string) (Metric, bool) {
	name := t.RootName()
	m, found := metricNames.parse(name)
	if !found {
		hint := "metrics are " + metricNames.choices()
		if s := suggest(name, metricNames.keywords()); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		r.errorf(t.SourceRange(), hint, "require: %s: unknown metric %q", source, name)
		return 0, false
	}
	return m, true
}

func flippedOp(op *hclsyntax.Operation) string {
	switch op {
	case hclsyntax.OpLessThanOrEqual:
		return ">="
	case hclsyntax.OpGreaterThanOrEqual:
		return "<="
	case hclsyntax.OpLessThan:
		return ">"
	case hclsyntax.OpGreaterThan:
		return "<"
	}
	return ">="
}

// parseCriterionCall reads noninferior(metric, margin), auc_noninferior(margin) and
// mcnemar_not_worse(alpha).
func (r *blockReader) parseCriterionCall(c Criterion, call *hclsyntax.FunctionCallExpr) (Criterion, bool) {
	wantArgs := map[string]int{"noninferior": 2, "auc_noninferior": 1, "mcnemar_not_worse": 1}
	usage := map[string]string{
		"noninferior":       "noninferior(sensitivity, 0.05)",
		"auc_noninferior":   "auc_noninferior(0.02)",
		"mcnemar_not_worse": "mcnemar_not_worse(0.05)",
	}
	n, known := wantArgs[call.Name]
	if !known {
		hint := "criterion functions are " + joinChoices(criterionFunctions)
		if s := suggest(call.Name, criterionFunctions); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		r.errorf(call.NameRange, hint, "require: %s: unknown criterion function %q", c.Source, call.Name)
		return c, false
	}
	if len(call.Args) != n || call.ExpandFinal {
		r.errorf(c.Range, "write "+usage[call.Name], "require: %s: %s takes %d argument(s)", c.Source, call.Name, n)
		return c, false
	}
	switch call.Name {
	case "noninferior":
		c.Kind = NonInferiority
		m, ok := r.pairedMetric(call.Args[0], c.Source)
		if !ok {
			return c, false
		}
		c.Metric = m
		margin, ok := r.criterionMargin(call.Args[1], c.Source)
		c.Margin = margin
		return c, ok
	case "auc_noninferior":
		c.Kind, c.Metric = AUCNonInferiority, MetricAUC
		margin, ok := r.criterionMargin(call.Args[0], c.Source)
		c.Margin = margin
		return c, ok
	default:
		c.Kind = McNemarNotWorse
		alpha, ok := r.criterionNumber(call.Args[0], c.Source, "alpha")
		if !ok {
			return c, false
		}
		if alpha <= 0 || alpha >= 1 {
			r.errorf(call.Args[0].Range(), "use a significance level such as 0.05",
				"require: %s: alpha %s is outside (0, 1)", c.Source, formatNumber(alpha))
			return c, false
		}
		c.Alpha = alpha
		return c, true
	}
}

// pairedMetric reads the metric argument of noninferior: a bare metric name of a paired
// proportion.
func (r *blockReader) pairedMetric(e hclsyntax.Expression, source string) (Metric, bool) {
	trav, isTrav := unwrapParens(e).(*hclsyntax.ScopeTraversalExpr)
	if !isTrav || len(trav.Traversal) != 1 {
		r.errorf(e.Range(), "write noninferior(sensitivity, 0.05): the first argument is a metric name without .lower or .upper",
			"require: %s: the first argument must be a metric name", source)
		return 0, false
	}
	m, ok := r.criterionMetric(trav.Traversal, source)
	if !ok {
		return 0, false
	}
	switch m {
	case MetricSensitivity, MetricSpecificity, MetricAccuracy:
		return m, true
	case MetricAUC:
		r.errorf(e.Range(), "write auc_noninferior(margin), which uses DeLong's paired test",
			"require: %s: noninferior does not compare AUCs", source)
	default:
		r.errorf(e.Range(), "noninferior compares sensitivity, specificity or accuracy: proportions over the same cases for both versions; "+m.String()+"'s denominator depends on each version's own answers",
			"require: %s: %s is not a paired proportion", source, m)
	}
	return 0, false
}

func (r *blockReader) criterionMargin(e hclsyntax.Expression, source string) (float64, bool) {
	margin, ok := r.criterionNumber(e, source, "margin")
	if !ok {
		return 0, false
	}
	if margin < 0 || margin >= 1 {
		r.errorf(e.Range(), "a margin is a difference of proportions in [0, 1), e.g. 0.05",
			"require: %s: margin %s is outside [0, 1)", source, formatNumber(margin))
		return 0, false
	}
	return margin, true
}

// criterionNumber evaluates a goal, margin or level: a number literal, or an expression of
// variables and locals that yields a number.
func (r *blockReader) criterionNumber(e hclsyntax.Expression, source, what string) (float64, bool) {
	for _, t := range e.Variables() {
		if _, isMetric := metricNames.parse(t.RootName()); isMetric {
			r.errorf(t.SourceRange(), "compare a bound with a fixed goal, e.g. sensitivity.lower >= 0.9",
				"require: %s: the %s must be a number, not a metric", source, what)
			return 0, false
		}
	}
	v := r.d.evaluate(fmt.Sprintf("require: %s: ", source), e, false)
	if v == cty.NilVal {
		return 0, false
	}
	if v.IsNull() || v.Type() != cty.Number {
		r.errorf(e.Range(), "write a number such as 0.9, or a variable holding one",
			"require: %s: the %s must be a number, not %s", source, what, describeNullable(v))
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}
