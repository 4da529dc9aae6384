package policies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// decoder holds the state of one Parse: the diagnostics found so far and what expressions
// may refer to.
type decoder struct {
	filename string
	src      []byte
	diags    hcl.Diagnostics

	// vars and locals hold the resolved values; a name whose declaration was invalid is
	// present with cty.DynamicVal so references to it do not cascade into more errors.
	vars   map[string]cty.Value
	locals map[string]cty.Value

	// ctx evaluates ordinary attributes; queryCtx also binds the placeholders to markers.
	ctx      *hcl.EvalContext
	queryCtx *hcl.EvalContext
}

// policyFunctions are the functions policy expressions may call.
var policyFunctions = map[string]function.Function{
	"format": stdlib.FormatFunc,
	"join":   stdlib.JoinFunc,
	"lower":  stdlib.LowerFunc,
	"max":    stdlib.MaxFunc,
	"min":    stdlib.MinFunc,
	"upper":  stdlib.UpperFunc,
}

func newDecoder(filename string, src []byte) *decoder {
	return &decoder{
		filename: filename,
		src:      src,
		vars:     map[string]cty.Value{},
		locals:   map[string]cty.Value{},
	}
}

func (d *decoder) add(diag *hcl.Diagnostic) { d.diags = append(d.diags, diag) }

// buildContexts makes the evaluation contexts from the resolved variables and locals.
func (d *decoder) buildContexts() {
	d.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   objectOf(d.vars),
			"local": objectOf(d.locals),
		},
		Functions: policyFunctions,
	}
	markers := map[string]cty.Value{}
	for _, name := range placeholderNames.keywords() {
		p, _ := placeholderNames.parse(name)
		markers[name] = cty.StringVal(placeholderMarker(p))
	}
	d.queryCtx = d.ctx.NewChild()
	d.queryCtx.Variables = markers
}

func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// refScope says which names an expression may use: constants use none, ordinary
// attributes variables and locals, query templates the placeholders as well.
type refScope struct {
	constant     bool
	placeholders bool
}

// checkRefs reports every reference of expr that scope does not allow or that names
// nothing, each at its own position, and returns whether all were fine.
func (d *decoder) checkRefs(prefix string, expr hcl.Expression, scope refScope) bool {
	ok := true
	for _, t := range expr.Variables() {
		if !d.checkRef(prefix, t, scope) {
			ok = false
		}
	}
	return ok
}

func (d *decoder) checkRef(prefix string, t hcl.Traversal, scope refScope) bool {
	root := t.RootName()
	rng := t.SourceRange()
	if scope.constant {
		d.add(errorAt(rng, fmt.Sprintf("%s%s is a reference; a constant is needed here", prefix, d.sourceOf(rng)),
			"write the value itself; compute derived values in a locals block"))
		return false
	}
	switch root {
	case "var", "local":
		known := d.vars
		kind := "variable"
		if root == "local" {
			known, kind = d.locals, "local"
		}
		name, ok := secondStepName(t)
		if !ok {
			d.add(errorAt(rng, fmt.Sprintf("%s%s must be followed by a name", prefix, root),
				fmt.Sprintf("write %s.<name>", root)))
			return false
		}
		if _, found := known[name]; !found {
			d.add(errorAt(rng, fmt.Sprintf("%sundefined %s %q", prefix, kind, name), undefinedHint(kind, name, known)))
			return false
		}
		return true
	}
	if p, isPlaceholder := placeholderNames.parse(root); isPlaceholder {
		if !scope.placeholders {
			d.add(errorAt(rng, fmt.Sprintf("%s${%s} is a query placeholder, not a value", prefix, p),
				"placeholders are filled in at run time and only in query templates (query, events, trials, samples and min_samples query)"))
			return false
		}
		if len(t) > 1 {
			d.add(errorAt(rng, fmt.Sprintf("%splaceholder ${%s} has no attributes", prefix, p),
				fmt.Sprintf("write ${%s}", p)))
			return false
		}
		return true
	}
	hint := "refer to variables as var.<name> and locals as local.<name>"
	if scope.placeholders {
		hint = "query placeholders are " + placeholderChoices() + "; variables are var.<name> and locals local.<name>"
	}
	candidates := []string{"var", "local"}
	if scope.placeholders {
		candidates = append(candidates, placeholderNames.keywords()...)
	}
	if s := suggest(root, candidates); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, hint)
	}
	d.add(errorAt(rng, fmt.Sprintf("%sunknown name %q", prefix, root), hint))
	return false
}

func secondStepName(t hcl.Traversal) (string, bool) {
	if len(t) < 2 {
		return "", false
	}
	switch step := t[1].(type) {
	case hcl.TraverseAttr:
		return step.Name, true
	case hcl.TraverseIndex:
		if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
			return step.Key.AsString(), true
		}
	}
	return "", false
}

func undefinedHint(kind, name string, known map[string]cty.Value) string {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	if s := suggest(name, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if kind == "variable" {
		return fmt.Sprintf("declare it with a variable %q { type = ... } block", name)
	}
	return fmt.Sprintf("define it in a locals block: locals { %s = ... }", name)
}

// evaluate checks expr's references and evaluates it. It returns cty.NilVal when the
// expression had errors (already reported).
func (d *decoder) evaluate(prefix string, expr hcl.Expression, query bool) cty.Value {
	if !d.checkRefs(prefix, expr, refScope{placeholders: query}) {
		return cty.NilVal
	}
	ctx := d.ctx
	if query {
		ctx = d.queryCtx
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		d.addEvalDiags(prefix, diags)
		return cty.NilVal
	}
	if !v.IsWhollyKnown() {
		// Only a reference to an invalid variable or local yields an unknown value; that
		// declaration has been reported already.
		return cty.NilVal
	}
	return v
}

// addEvalDiags reports HCL's evaluation diagnostics with the block context in front.
func (d *decoder) addEvalDiags(prefix string, diags hcl.Diagnostics) {
	for _, diag := range diags {
		c := *diag
		c.Summary = prefix + lowerFirst(strings.TrimSuffix(c.Summary, "."))
		if c.Subject == nil {
			r := hcl.Range{Filename: d.filename, Start: hcl.InitialPos, End: hcl.InitialPos}
			c.Subject = &r
		}
		d.add(&c)
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// fileStart is the position used for problems that belong to the whole file.
func (d *decoder) fileStart() hcl.Range {
	return hcl.Range{Filename: d.filename, Start: hcl.InitialPos, End: hcl.InitialPos}
}

// sourceOf returns the text of rng in the file.
func (d *decoder) sourceOf(rng hcl.Range) string {
	if rng.Start.Byte < 0 || rng.End.Byte > len(d.src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(d.src[rng.Start.Byte:rng.End.Byte])
}

// blockWhere renders a block for messages: `trigger "error_rate"`, `step`.
func blockWhere(b *hclsyntax.Block) string {
	var parts []string
	parts = append(parts, b.Type)
	for _, l := range b.Labels {
		parts = append(parts, fmt.Sprintf("%q", l))
	}
	return strings.Join(parts, " ")
}
