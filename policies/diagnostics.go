package policies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// DiagnosticError is one error diagnostic as a Go error. Its message has the form
//
//	policy.hcl:12:5: trigger "error_rate": for = "500ms" is shorter than evaluation_interval "1s"; use 0s (immediate) or at least 1s
//
// that is file:line:column of the problem, what was wrong, and after the semicolon what to do.
type DiagnosticError struct {
	Diagnostic *hcl.Diagnostic
}

func (e *DiagnosticError) Error() string {
	return diagnosticLine(e.Diagnostic)
}

// Range returns where the problem is, or nil when the diagnostic has no position.
func (e *DiagnosticError) Range() *hcl.Range { return e.Diagnostic.Subject }

// ParseError carries every error diagnostic of one parse. Error lists them one per line;
// errors.As with *DiagnosticError reaches each of them.
type ParseError struct {
	Diagnostics hcl.Diagnostics
}

func (e *ParseError) Error() string {
	var lines []string
	for _, d := range e.Diagnostics {
		if d.Severity == hcl.DiagError {
			lines = append(lines, diagnosticLine(d))
		}
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns one *DiagnosticError per error diagnostic.
func (e *ParseError) Unwrap() []error {
	var errs []error
	for _, d := range e.Diagnostics {
		if d.Severity == hcl.DiagError {
			errs = append(errs, &DiagnosticError{Diagnostic: d})
		}
	}
	return errs
}

// DiagnosticsError returns nil when diags holds no errors, else a *ParseError of them.
// Warnings alone are not an error.
func DiagnosticsError(diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	return &ParseError{Diagnostics: diags}
}

// diagnosticLine renders "file:line:col: summary; detail". Parse gives every diagnostic a
// position; one without (from a caller's own diagnostics) is rendered without the prefix.
func diagnosticLine(d *hcl.Diagnostic) string {
	var b strings.Builder
	if d.Subject != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString("; ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// FormatDiagnostics renders diagnostics for a terminal, each with the source line it points
// at and a caret underline, in the manner of terraform:
//
//	Error: trigger "error_rate": for = "500ms" is shorter than evaluation_interval "1s"
//
//	  on policy.hcl line 12, column 5:
//	    11 |   trigger "error_rate" {
//	    12 |     for = "500ms"
//	       |     ^^^^^^^^^^^^^
//
//	use 0s (immediate) or at least 1s
//
// sources maps a file name (as given to Parse) to its contents; a diagnostic whose file is
// not in sources is rendered without a snippet.
func FormatDiagnostics(sources map[string][]byte, diags hcl.Diagnostics) string {
	var b strings.Builder
	for i, d := range diags {
		if i > 0 {
			b.WriteString("\n")
		}
		writeDiagnostic(&b, sources, d)
	}
	return b.String()
}

func writeDiagnostic(b *strings.Builder, sources map[string][]byte, d *hcl.Diagnostic) {
	switch d.Severity {
	case hcl.DiagWarning:
		b.WriteString("Warning: ")
	default:
		b.WriteString("Error: ")
	}
	b.WriteString(d.Summary)
	b.WriteString("\n")
	if d.Subject != nil {
		s := d.Subject
		fmt.Fprintf(b, "\n  on %s line %d, column %d:\n", s.Filename, s.Start.Line, s.Start.Column)
		writeSnippet(b, sources[s.Filename], *s)
	}
	if d.Detail != "" {
		b.WriteString("\n")
		b.WriteString(d.Detail)
		b.WriteString("\n")
	}
}

// writeSnippet prints the line before the subject (context) and the subject's first line
// with a caret underline of the subject's extent on that line.
func writeSnippet(b *strings.Builder, src []byte, rng hcl.Range) {
	if src == nil {
		return
	}
	lines := strings.Split(string(src), "\n")
	line := rng.Start.Line
	if line < 1 || line > len(lines) {
		return
	}
	width := len(fmt.Sprint(line))
	if line > 1 {
		fmt.Fprintf(b, "    %*d | %s\n", width, line-1, strings.TrimRight(lines[line-2], "\r"))
	}
	text := strings.TrimRight(lines[line-1], "\r")
	fmt.Fprintf(b, "    %*d | %s\n", width, line, text)

	// Columns count characters; the underline is built from the line's own runes so tabs
	// keep their width.
	runes := []rune(text)
	startCol := max(rng.Start.Column, 1)
	endCol := len(runes) + 1
	if rng.End.Line == rng.Start.Line && rng.End.Column > startCol {
		endCol = min(rng.End.Column, endCol)
	}
	var pad strings.Builder
	for i := 0; i < startCol-1 && i < len(runes); i++ {
		if runes[i] == '\t' {
			pad.WriteRune('\t')
		} else {
			pad.WriteRune(' ')
		}
	}
	carets := max(endCol-startCol, 1)
	fmt.Fprintf(b, "    %*s | %s%s\n", width, "", pad.String(), strings.Repeat("^", carets))
}

// errorAt builds an error diagnostic. summary says what was wrong (with its block context),
// detail what to do.
func errorAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r}
}

// warningAt builds a warning diagnostic; warnings never make Parse fail.
func warningAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: &r}
}

// sortDiagnostics orders diagnostics by file position so a policy's problems read top to
// bottom; the sort is stable, so problems at one position keep their discovery order.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		default:
			return a.Start.Column < b.Start.Column
		}
	})
}
