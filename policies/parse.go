package policies

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Parse parses and validates one policy file in HCL native syntax. vars gives values for
// declared variables (as strings, converted to each variable's type); they override the
// defaults. "\r\n" line endings are read as "\n".
//
// Every problem found is reported, each with file:line:col (the diagnostic's Subject), what
// was wrong (Summary, prefixed with the block it is in) and what to do (Detail). The
// diagnostics are ordered by position. The result is nil exactly when diags has errors;
// warnings alone still yield a policy. DiagnosticsError turns diags into a Go error and
// FormatDiagnostics renders them for a terminal.
func Parse(filename string, src []byte, vars map[string]string) (*Policy, hcl.Diagnostics) {
	// CRLF line endings would otherwise end up inside heredoc queries, and a policy would
	// mean something different after formatting. Line and column numbers are unchanged.
	src = normaliseNewlines(src)
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		sortDiagnostics(diags)
		return nil, diags
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		// hclsyntax.ParseConfig always yields an *hclsyntax.Body.
		panic(fmt.Sprintf("policies: hclsyntax returned a %T body", file.Body))
	}
	d := newDecoder(filename, src)
	d.diags = diags

	top := d.reader("", body)
	variableBlocks := top.blockList("variable", "name")
	localsBlocks := top.blockList("locals", "")
	serviceBlocks := top.blockList("service", "name")
	top.finish()

	variables := d.decodeVariables(variableBlocks, vars)
	d.decodeLocals(localsBlocks)
	services := d.decodeServices(serviceBlocks)

	sortDiagnostics(d.diags)
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return &Policy{
		Filename:  filename,
		Hash:      Hash(src),
		Source:    bytes.Clone(src),
		Variables: variables,
		Services:  services,
	}, d.diags
}

// ParseFile reads the policy file at path and parses it as Parse does, with path as the
// file name in every position. A read failure is returned as a single error diagnostic.
func ParseFile(path string, vars map[string]string) (*Policy, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "cannot read policy file",
			Detail:   strings.TrimSpace(err.Error()),
			Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	return Parse(path, src, vars)
}
