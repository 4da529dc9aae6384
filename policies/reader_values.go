package policies

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The typed getters of blockReader: each evaluates one attribute, checks its type and
// range, and reports what is wrong at the attribute.

func (r *blockReader) typeError(a *hclsyntax.Attribute, want, example string, got cty.Value) {
	hint := fmt.Sprintf("write %s = %s", a.Name, example)
	if !got.IsNull() && got.Type() == cty.String && (want == "a number" || want == "a whole number" || want == "true or false") {
		// A quoted number or bool: show the same value without quotes.
		if _, err := cty.ParseNumberVal(got.AsString()); err == nil || got.AsString() == "true" || got.AsString() == "false" {
			hint = fmt.Sprintf("write %s = %s without quotes", a.Name, got.AsString())
		}
	}
	r.errorf(a.SrcRange, hint, "%s must be %s, not %s", a.Name, want, describeNullable(got))
}

func describeValue(v cty.Value) string {
	t := v.Type()
	switch {
	case t == cty.String:
		s := v.AsString()
		if len(s) > 40 || strings.Contains(s, markerOpen) {
			return "a string"
		}
		return fmt.Sprintf("the string %q", s)
	case t == cty.Number:
		return "the number " + v.AsBigFloat().Text('g', -1)
	case t == cty.Bool:
		return fmt.Sprintf("the bool %t", v.True())
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "a list"
	case t.IsObjectType() || t.IsMapType():
		return "an object"
	}
	return t.FriendlyName()
}

func (r *blockReader) str(name, example string) (string, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return "", a, false
	}
	if v.Type() != cty.String {
		r.typeError(a, "a string", example, v)
		return "", a, false
	}
	s := v.AsString()
	if !r.noPlaceholder(a, s) {
		return "", a, false
	}
	return s, a, true
}

func (r *blockReader) noPlaceholder(a *hclsyntax.Attribute, s string) bool {
	if !strings.Contains(s, markerOpen) {
		return true
	}
	r.errorf(a.SrcRange, "placeholders are only filled in in query templates; use a local without placeholders here",
		"%s uses a query placeholder (through a local)", a.Name)
	return false
}

func (r *blockReader) number(name, example string) (float64, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return 0, a, false
	}
	if v.Type() != cty.Number {
		r.typeError(a, "a number", example, v)
		return 0, a, false
	}
	f, _ := v.AsBigFloat().Float64()
	if math.IsInf(f, 0) {
		r.errorf(a.SrcRange, "use a number of ordinary size", "%s = %s is out of range", name, v.AsBigFloat().Text('g', 6))
		return 0, a, false
	}
	return f, a, true
}

func (r *blockReader) whole(name string, lo, hi uint64, example string) (uint64, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return 0, a, false
	}
	if v.Type() != cty.Number {
		r.typeError(a, "a whole number", example, v)
		return 0, a, false
	}
	bf := v.AsBigFloat()
	n, acc := bf.Uint64()
	if !bf.IsInt() || bf.Sign() < 0 || acc != big.Exact || n < lo || n > hi {
		span := fmt.Sprintf("from %d to %d", lo, hi)
		if hi >= math.MaxUint32 {
			span = fmt.Sprintf("of at least %d", lo)
		}
		r.errorf(a.SrcRange, "use a whole number "+span, "%s = %s is not a whole number %s", name, bf.Text('g', -1), span)
		return 0, a, false
	}
	return n, a, true
}

func (r *blockReader) boolean(name string) (bool, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return false, a, false
	}
	if v.Type() != cty.Bool {
		r.typeError(a, "true or false", "true", v)
		return false, a, false
	}
	return v.True(), a, true
}

func (r *blockReader) duration(name, example string) (time.Duration, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return 0, a, false
	}
	hint := fmt.Sprintf("write a number with a unit (ms, s, m, h), e.g. %s = %q", name, example)
	if v.Type() != cty.String {
		if v.Type() == cty.Number {
			r.errorf(a.SrcRange, hint, "%s = %s has no unit", name, v.AsBigFloat().Text('g', -1))
		} else {
			r.typeError(a, "a duration string", fmt.Sprintf("%q", example), v)
		}
		return 0, a, false
	}
	s := v.AsString()
	if !r.noPlaceholder(a, s) {
		return 0, a, false
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		r.errorf(a.SrcRange, hint, "%s = %q is not a duration", name, s)
		return 0, a, false
	}
	if dur < 0 {
		r.errorf(a.SrcRange, "durations are lengths of time and cannot be negative", "%s = %q is negative", name, s)
		return 0, a, false
	}
	return dur, a, true
}

func (r *blockReader) weight(name string) (BasisPoints, *hclsyntax.Attribute, bool) {
	pct, a, ok := r.number(name, "25")
	if !ok {
		return 0, a, false
	}
	bp, err := percentToBasisPoints(pct)
	if err != nil {
		r.errorf(a.SrcRange, "weights are percentages from 0 to 100 with at most two decimals, e.g. 12.5",
			"%s = %v", name, err)
		return 0, a, false
	}
	return bp, a, true
}

func (r *blockReader) weightList(name, example string) ([]BasisPoints, []hcl.Range, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return nil, nil, a, false
	}
	t := v.Type()
	if !(t.IsTupleType() || t.IsListType()) {
		r.typeError(a, "a list of weights", example, v)
		return nil, nil, a, false
	}
	ranges := elementRanges(a, v.LengthInt())
	var out []BasisPoints
	ok := true
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.Number {
			r.errorf(ranges[i], fmt.Sprintf("write %s = %s", name, example),
				"%s element %d must be a number, not %s", name, i+1, describeNullable(e))
			ok = false
			continue
		}
		f, _ := e.AsBigFloat().Float64()
		bp, err := percentToBasisPoints(f)
		if err != nil {
			r.errorf(ranges[i], "weights are percentages from 0 to 100 with at most two decimals, e.g. 12.5",
				"%s element %d: %v", name, i+1, err)
			ok = false
			continue
		}
		out = append(out, bp)
	}
	return out, ranges, a, ok
}

func (r *blockReader) fraction(name string, closedHigh bool) (float64, *hclsyntax.Attribute, bool) {
	f, a, ok := r.number(name, "0.95")
	if !ok {
		return 0, a, false
	}
	if f <= 0 || f > 1 || (!closedHigh && f == 1) {
		interval := "(0, 1)"
		if closedHigh {
			interval = "(0, 1]"
		}
		r.errorf(a.SrcRange, fmt.Sprintf("use a fraction in %s, e.g. 0.95", interval),
			"%s = %s is outside %s", name, formatNumber(f), interval)
		return 0, a, false
	}
	return f, a, true
}

func (r *blockReader) stringList(name, example string) ([]string, []hcl.Range, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, false)
	if v == cty.NilVal {
		return nil, nil, a, false
	}
	t := v.Type()
	if !(t.IsTupleType() || t.IsListType() || t.IsSetType()) {
		r.typeError(a, "a list of strings", example, v)
		return nil, nil, a, false
	}
	ranges := elementRanges(a, v.LengthInt())
	var out []string
	ok := true
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			r.errorf(ranges[i], fmt.Sprintf("write %s = %s", name, example),
				"%s element %d must be a string, not %s", name, i+1, describeNullable(e))
			ok = false
			continue
		}
		s := e.AsString()
		if !r.noPlaceholder(a, s) {
			return nil, nil, a, false
		}
		out = append(out, s)
	}
	return out, ranges, a, ok
}

func describeNullable(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return describeValue(v)
}

func elementRanges(a *hclsyntax.Attribute, n int) []hcl.Range {
	ranges := make([]hcl.Range, n)
	tuple, inPlace := a.Expr.(*hclsyntax.TupleConsExpr)
	for i := range ranges {
		if inPlace && len(tuple.Exprs) == n {
			ranges[i] = tuple.Exprs[i].Range()
		} else {
			ranges[i] = a.SrcRange
		}
	}
	return ranges
}

func (r *blockReader) query(name string) (QueryTemplate, *hclsyntax.Attribute, bool) {
	v, a := r.value(name, true)
	if v == cty.NilVal {
		return QueryTemplate{}, a, false
	}
	if v.Type() != cty.String {
		r.typeError(a, "a PromQL query string", `"sum(rate(...))"`, v)
		return QueryTemplate{}, a, false
	}
	s := v.AsString()
	if strings.TrimSpace(s) == "" {
		r.errorf(a.SrcRange, "write the PromQL query that gives the value", "%s is empty", name)
		return QueryTemplate{}, a, false
	}
	q, err := templateFromEvaluated(s)
	if err != nil {
		r.errorf(a.SrcRange, "write placeholders directly, e.g. service=\"${service}\"", "%s: %v", name, err)
		return QueryTemplate{}, a, false
	}
	return q, a, true
}

func enumAttr[T ~uint8](r *blockReader, name string, spec enumSpec[T]) (T, *hclsyntax.Attribute, bool) {
	s, a, ok := r.str(name, fmt.Sprintf("%q", spec.keywords()[0]))
	if !ok {
		return 0, a, false
	}
	v, found := spec.parse(s)
	if !found {
		r.errorf(a.SrcRange, enumHint(s, spec), "unknown %s %q", name, s)
		return 0, a, false
	}
	return v, a, true
}

func enumHint[T ~uint8](given string, spec enumSpec[T]) string {
	if s := suggest(given, spec.keywords()); s != "" {
		return fmt.Sprintf("did you mean %q? use %s", s, spec.choices())
	}
	return "use " + spec.choices()
}

func enumList[T ~uint8](r *blockReader, name string, spec enumSpec[T]) ([]T, *hclsyntax.Attribute, bool) {
	example := fmt.Sprintf("[%q]", spec.keywords()[0])
	items, ranges, a, ok := r.stringList(name, example)
	if !ok {
		return nil, a, false
	}
	var out []T
	seen := map[T]bool{}
	for i, s := range items {
		v, found := spec.parse(s)
		if !found {
			r.errorf(ranges[i], enumHint(s, spec), "%s: unknown value %q", name, s)
			ok = false
			continue
		}
		if seen[v] {
			r.errorf(ranges[i], "list each value once", "%s lists %q twice", name, s)
			ok = false
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, a, ok
}
