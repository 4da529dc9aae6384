package policies

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// The canonical layout of a policy file, applied by Format and assumed by Hash, is
// hclwrite.Format's: the layout of `terraform fmt` (two-space indentation, aligned equals
// signs, canonical spacing), with "\n" line endings and exactly one final newline. It
// changes only whitespace between tokens, never a token; canonical checks that.

// errFormatterChangedTokens means formatting would have changed a token; it is a defect and
// is never expected.
var errFormatterChangedTokens = errors.New("formatting changed a token")

// canonical returns src in the canonical layout.
func canonical(src []byte) ([]byte, error) {
	src = normaliseNewlines(src)
	f, diags := hclwrite.ParseConfig(src, "<source>", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, DiagnosticsError(diags)
	}
	out := hclwrite.Format(collapseBlankLines(f.BuildTokens(nil)).Bytes())
	out = append(bytes.TrimRight(out, " \t\r\n"), '\n')
	if len(bytes.TrimSpace(out)) == 0 {
		out = nil
	}
	before, diags := hclsyntax.LexConfig(src, "<source>", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, DiagnosticsError(diags)
	}
	after, diags := hclsyntax.LexConfig(out, "<source>", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: %v", errFormatterChangedTokens, DiagnosticsError(diags))
	}
	if !sameTokens(before, after) {
		return nil, errFormatterChangedTokens
	}
	return out, nil
}

// collapseBlankLines keeps at most one blank line in a row and none at the start of the
// file. Heredoc bodies are string tokens, so their blank lines are kept.
func collapseBlankLines(tokens hclwrite.Tokens) hclwrite.Tokens {
	out := make(hclwrite.Tokens, 0, len(tokens))
	run := 2 // newlines just seen; 2 at the start drops leading blank lines
	for _, t := range tokens {
		if t.Type == hclsyntax.TokenNewline {
			if run >= 2 {
				continue
			}
			run++
		} else {
			run = 0
		}
		out = append(out, t)
	}
	return out
}

// sameTokens compares two token streams ignoring newlines (formatting may drop blank
// lines) and whitespace inside template literals.
func sameTokens(a, b hclsyntax.Tokens) bool {
	strip := func(ts hclsyntax.Tokens) hclsyntax.Tokens {
		var out hclsyntax.Tokens
		for _, t := range ts {
			if t.Type == hclsyntax.TokenNewline || t.Type == hclsyntax.TokenEOF {
				continue
			}
			out = append(out, t)
		}
		return out
	}
	a, b = strip(a), strip(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || !bytes.Equal(bytes.TrimRight(a[i].Bytes, " \t\r\n"), bytes.TrimRight(b[i].Bytes, " \t\r\n")) {
			return false
		}
	}
	return true
}
