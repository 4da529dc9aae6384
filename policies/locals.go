package policies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// decodeLocals evaluates every local of every locals block. Locals may refer to variables,
// to other locals (in any order, without cycles) and to query placeholders; a local that
// holds a placeholder can be used only in query templates.
func (d *decoder) decodeLocals(blocks []*hclsyntax.Block) {
	type pending struct {
		attr *hclsyntax.Attribute
		deps []string
	}
	defs := map[string]*pending{}
	var order []string
	for _, b := range blocks {
		for _, nested := range b.Body.Blocks {
			d.add(errorAt(nested.DefRange(), fmt.Sprintf("locals: unsupported block %q", nested.Type),
				"a locals block holds only name = value definitions"))
		}
		for _, a := range sortedAttributes(b.Body) {
			if prev, dup := defs[a.Name]; dup {
				d.add(errorAt(a.NameRange, fmt.Sprintf("locals: %s is defined twice; the first is at line %d", a.Name, prev.attr.NameRange.Start.Line),
					"remove or rename one of them"))
				continue
			}
			p := &pending{attr: a}
			for _, t := range a.Expr.Variables() {
				if t.RootName() == "local" {
					if name, ok := secondStepName(t); ok {
						p.deps = append(p.deps, name)
					}
				}
			}
			defs[a.Name] = p
			order = append(order, a.Name)
		}
	}
	// Every defined name is known from the start (so references check), unknown until
	// evaluated.
	for _, name := range order {
		d.locals[name] = cty.DynamicVal
	}

	done := map[string]bool{}
	for progress := true; progress; {
		progress = false
		for _, name := range order {
			p := defs[name]
			if done[name] || !allDone(p.deps, done, defs) {
				continue
			}
			d.buildContexts()
			prefix := fmt.Sprintf("local.%s: ", name)
			v := d.evaluate(prefix, p.attr.Expr, true)
			if v == cty.NilVal {
				v = cty.DynamicVal
			}
			d.locals[name] = v
			done[name] = true
			progress = true
		}
	}
	for _, name := range order {
		if done[name] {
			continue
		}
		p := defs[name]
		deps := map[string][]string{}
		for n, def := range defs {
			deps[n] = def.deps
		}
		cycle := cycleDescription(name, deps)
		if cycle == "" {
			// name only waits on locals of a cycle, which are reported themselves.
			continue
		}
		d.add(errorAt(p.attr.NameRange, fmt.Sprintf("locals: %s refers to itself through %s", name, cycle),
			"break the cycle: a local cannot depend on its own value"))
	}
	d.buildContexts()
}

// allDone reports whether every dependency is evaluated; a dependency on an undefined
// local counts as done (evaluate reports it).
func allDone[T any](deps []string, done map[string]bool, defs map[string]T) bool {
	for _, dep := range deps {
		if _, defined := defs[dep]; defined && !done[dep] {
			return false
		}
	}
	return true
}

// cycleDescription renders the first dependency path from name back to name, such as
// "local.b -> local.a", or "" when there is none.
func cycleDescription(name string, deps map[string][]string) string {
	var path []string
	seen := map[string]bool{}
	var walk func(n string) bool
	walk = func(n string) bool {
		for _, dep := range deps[n] {
			if dep == name {
				path = append(path, "local."+dep)
				return true
			}
			if seen[dep] {
				continue
			}
			seen[dep] = true
			path = append(path, "local."+dep)
			if walk(dep) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	walk(name)
	return strings.Join(path, " -> ")
}

// sortedAttributes returns a body's attributes in source order.
func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}
