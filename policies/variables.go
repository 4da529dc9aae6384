package policies

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// VariableType is the declared type of a variable.
type VariableType uint8

const (
	TypeString VariableType = iota + 1
	TypeNumber
	TypeBool
)

var variableTypeNames = enumSpec[VariableType]{kind: "VariableType", names: []string{"", "string", "number", "bool"}}

func (t VariableType) String() string { return variableTypeNames.name(t) }

func (t VariableType) ctyType() cty.Type {
	switch t {
	case TypeNumber:
		return cty.Number
	case TypeBool:
		return cty.Bool
	}
	return cty.String
}

// decodeVariables resolves every variable block against vars. A variable whose value
// cannot be determined is reported and bound to an unknown value so that its uses do not
// report again.
func (d *decoder) decodeVariables(blocks []*hclsyntax.Block, vars map[string]string) []Variable {
	var out []Variable
	first := map[string]*hclsyntax.Block{}
	for _, b := range blocks {
		name := b.Labels[0]
		where := blockWhere(b)
		if !hclsyntax.ValidIdentifier(name) {
			d.add(errorAt(b.LabelRanges[0], fmt.Sprintf("%s: %q is not a valid variable name", where, name),
				"use letters, digits, underscores and dashes, starting with a letter"))
			continue
		}
		if prev, dup := first[name]; dup {
			d.add(errorAt(b.LabelRanges[0], fmt.Sprintf("%s is declared twice; the first is at line %d", where, prev.DefRange().Start.Line),
				"remove or rename one of them"))
			continue
		}
		first[name] = b
		v, ok := d.decodeVariable(b, vars)
		if !ok {
			d.vars[name] = cty.DynamicVal
			continue
		}
		out = append(out, v)
	}

	var unknown []string
	for name := range vars {
		if _, declared := first[name]; !declared {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		d.add(errorAt(d.fileStart(), fmt.Sprintf("a value is given for %q, which the policy does not declare", name),
			fmt.Sprintf("declare variable %q { type = ... } or stop passing it", name)))
	}
	return out
}

func (d *decoder) decodeVariable(b *hclsyntax.Block, vars map[string]string) (Variable, bool) {
	name := b.Labels[0]
	r := d.reader(blockWhere(b), b.Body)
	v := Variable{Name: name, Range: b.DefRange()}

	typ, typeOK := r.variableType(b)
	v.Type = typ
	desc, descAttr, descOK := r.constString("description")
	v.Description = desc
	def, defAttr, defOK := r.constValue("default")
	r.finish()
	if !typeOK || (descAttr != nil && !descOK) || (defAttr != nil && !defOK) {
		return v, false
	}

	var value cty.Value
	given, fromVars := vars[name]
	switch {
	case fromVars:
		parsed, err := parseVarValue(given, typ)
		if err != nil {
			d.add(errorAt(b.LabelRanges[0], fmt.Sprintf("%s: the value given, %q, %v", blockWhere(b), given, err),
				fmt.Sprintf("pass a %s", typ)))
			return v, false
		}
		value = parsed
		v.FromVars = true
	case defAttr != nil:
		if def.IsNull() || def.Type() != typ.ctyType() {
			r.errorf(defAttr.SrcRange, fmt.Sprintf("give a %s default or change the type", typ),
				"default is %s but the type is %s", describeNullable(def), typ)
			return v, false
		}
		value = def
	default:
		r.errorf(b.DefRange(), "give it a default, or pass a value for it when the policy is applied",
			"no value is given and there is no default")
		return v, false
	}
	d.vars[name] = value
	v.Value = renderValue(value)
	return v, true
}

// variableType reads the type keyword of a variable block.
func (r *blockReader) variableType(b *hclsyntax.Block) (VariableType, bool) {
	a := r.attr("type")
	if a == nil {
		r.errorf(b.DefRange(), "add type = number, type = string or type = bool", "missing required argument type")
		return 0, false
	}
	t, found := variableTypeNames.parse(hcl.ExprAsKeyword(a.Expr))
	if !found {
		r.errorf(a.SrcRange, "use number, string or bool, without quotes", "type = %s is not a variable type",
			strings.TrimSpace(r.d.sourceOf(a.Expr.Range())))
		return 0, false
	}
	return t, true
}

// constValue evaluates an attribute that may not refer to anything.
func (r *blockReader) constValue(name string) (cty.Value, *hclsyntax.Attribute, bool) {
	a := r.attr(name)
	if a == nil {
		return cty.NilVal, nil, false
	}
	prefix := r.prefix() + name + ": "
	if !r.d.checkRefs(prefix, a.Expr, refScope{constant: true}) {
		return cty.NilVal, a, false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		r.d.addEvalDiags(prefix, diags)
		return cty.NilVal, a, false
	}
	return v, a, true
}

// constString reads a string attribute that may not refer to anything.
func (r *blockReader) constString(name string) (string, *hclsyntax.Attribute, bool) {
	v, a, ok := r.constValue(name)
	if !ok {
		return "", a, false
	}
	if v.IsNull() || v.Type() != cty.String {
		r.typeError(a, "a string", `"..."`, v)
		return "", a, false
	}
	return v.AsString(), a, true
}

// parseVarValue converts a value given from outside (always a string) to the declared type.
func parseVarValue(s string, t VariableType) (cty.Value, error) {
	switch t {
	case TypeNumber:
		v, err := cty.ParseNumberVal(strings.TrimSpace(s))
		if err != nil {
			return cty.NilVal, errors.New("is not a number")
		}
		return v, nil
	case TypeBool:
		switch strings.TrimSpace(s) {
		case "true":
			return cty.True, nil
		case "false":
			return cty.False, nil
		}
		return cty.NilVal, errors.New("is not true or false")
	}
	return cty.StringVal(s), nil
}

// renderValue renders a primitive value in policy syntax.
func renderValue(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case cty.Bool:
		return fmt.Sprint(v.True())
	}
	return v.GoString()
}
