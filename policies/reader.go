package policies

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// blockReader reads the attributes and nested blocks of one block body. Every attribute
// or block type the decoder asks for is recorded as accepted; finish then reports anything
// else in the body as unsupported, with a did-you-mean suggestion. Getters return the
// attribute too: nil means absent (or null), a non-nil attribute with ok == false means
// the value was invalid and has been reported.
type blockReader struct {
	d      *decoder
	where  string // `trigger "error_rate"`; "" at the top level
	body   *hclsyntax.Body
	attrs  []string
	blocks []string
}

func (d *decoder) reader(where string, body *hclsyntax.Body) *blockReader {
	return &blockReader{d: d, where: where, body: body}
}

// prefix is where + ": ", the start of every message about this block.
func (r *blockReader) prefix() string {
	if r.where == "" {
		return ""
	}
	return r.where + ": "
}

// errorf reports a problem in this block at rng; detail says what to do.
func (r *blockReader) errorf(rng hcl.Range, detail, format string, args ...any) {
	r.d.add(errorAt(rng, r.prefix()+fmt.Sprintf(format, args...), detail))
}

func (r *blockReader) attr(name string) *hclsyntax.Attribute {
	r.attrs = append(r.attrs, name)
	return r.body.Attributes[name]
}

// value evaluates the attribute; query binds the placeholders.
func (r *blockReader) value(name string, query bool) (cty.Value, *hclsyntax.Attribute) {
	a := r.attr(name)
	if a == nil {
		return cty.NilVal, nil
	}
	v := r.d.evaluate(r.prefix()+name+": ", a.Expr, query)
	if v == cty.NilVal {
		return cty.NilVal, a
	}
	if v.IsNull() {
		return cty.NilVal, nil
	}
	return v, a
}

// describeValue names a value's type for messages, with the value when it is short.
// str reads a string attribute (without query placeholders).
// noPlaceholder reports a placeholder that reached a non-query attribute through a local.
// number reads a finite number attribute.
// whole reads a whole number in [lo, hi].
// boolean reads a bool attribute.
// duration reads a non-negative duration written as a Go duration string ("30s").
// weight reads a percentage in [0, 100] with at most two decimals as basis points.
// weightList reads a list of weights (percentages) as basis points, with each element's
// range.
// fraction reads a number in (0, 1]  (closedHigh) or (0, 1) (open).
// stringList reads a list of strings; it returns each element's range too.
// elementRanges returns the range of each element of a list written in place, or the
// attribute's range for every element of a list that came from a variable or function.
// query reads a query template.
// enumAttr reads a keyword attribute of an enum.
// enumList reads a list of enum keywords without duplicates.
// required reports a missing attribute at the block's header.
func (r *blockReader) required(a *hclsyntax.Attribute, blockRange hcl.Range, name, example string) bool {
	if a != nil {
		return true
	}
	if r.body.Attributes[name] != nil {
		// Present but null.
		r.errorf(r.body.Attributes[name].SrcRange, fmt.Sprintf("write %s = %s", name, example), "%s must not be null", name)
		return false
	}
	r.errorf(blockRange, fmt.Sprintf("add %s = %s", name, example), "missing required argument %s", name)
	return false
}

// forbid reports an attribute that is present although another setting makes it
// meaningless; why completes "only ...".
func (r *blockReader) forbid(a *hclsyntax.Attribute, why string) {
	if a != nil {
		r.errorf(a.SrcRange, "remove it, "+why, "%s is not used here", a.Name)
	}
}

// blockList returns the nested blocks of type typ. label names the one label the block
// takes ("" for none); blocks with a wrong number of labels are reported and skipped.
func (r *blockReader) blockList(typ, label string) []*hclsyntax.Block {
	r.blocks = append(r.blocks, typ)
	var out []*hclsyntax.Block
	for _, b := range r.body.Blocks {
		if b.Type != typ {
			continue
		}
		switch {
		case label == "" && len(b.Labels) > 0:
			r.errorf(b.LabelRanges[0], fmt.Sprintf("write %s { ... }", typ), "%s takes no name, found %q", typ, b.Labels[0])
		case label != "" && len(b.Labels) == 0:
			r.errorf(b.DefRange(), fmt.Sprintf("write %s %q { ... }", typ, "my-"+label), "%s needs a %s", typ, label)
		case label != "" && len(b.Labels) > 1:
			r.errorf(b.LabelRanges[1], fmt.Sprintf("write %s %q { ... }", typ, b.Labels[0]), "%s takes one %s, found a second %q", typ, label, b.Labels[1])
		case label != "" && b.Labels[0] == "":
			r.errorf(b.LabelRanges[0], fmt.Sprintf("write %s %q { ... }", typ, "my-"+label), "%s has an empty %s", typ, label)
		default:
			out = append(out, b)
		}
	}
	return out
}

// singleBlock returns the block of type typ, or nil; more than one is reported.
func (r *blockReader) singleBlock(typ string) *hclsyntax.Block {
	list := r.blockList(typ, "")
	for _, extra := range list[min(1, len(list)):] {
		r.errorf(extra.DefRange(), "merge them into one block", "%s appears more than once; the first is at line %d", typ, list[0].DefRange().Start.Line)
	}
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// finish reports attributes and blocks the decoder did not ask for.
func (r *blockReader) finish() {
	names := make([]string, 0, len(r.body.Attributes))
	for n := range r.body.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if contains(r.attrs, n) {
			continue
		}
		a := r.body.Attributes[n]
		switch {
		case contains(r.blocks, n):
			r.errorf(a.NameRange, fmt.Sprintf("write %s { ... }", n), "%s is a block, not an argument", n)
		default:
			r.errorf(a.NameRange, r.acceptedHint(n), "unsupported argument %q", n)
		}
	}
	for _, b := range r.body.Blocks {
		if contains(r.blocks, b.Type) {
			continue
		}
		switch {
		case contains(r.attrs, b.Type):
			r.errorf(b.DefRange(), fmt.Sprintf("write %s = ...", b.Type), "%s is an argument, not a block", b.Type)
		default:
			r.errorf(b.DefRange(), r.acceptedHint(b.Type), "unsupported block %q", b.Type)
		}
	}
}

func (r *blockReader) acceptedHint(given string) string {
	all := append(append([]string{}, r.attrs...), r.blocks...)
	all = dedupe(all)
	where := r.where
	if where == "" {
		where = "the top level"
	}
	accepted := fmt.Sprintf("%s accepts %s", where, joinChoices(all))
	if len(r.attrs) == 0 {
		accepted = fmt.Sprintf("%s accepts blocks %s", where, joinChoices(all))
	}
	if s := suggest(given, all); s != "" {
		return fmt.Sprintf("did you mean %q? %s", s, accepted)
	}
	return accepted
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
