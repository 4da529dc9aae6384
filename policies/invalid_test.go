package policies

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// Every file in testdata/invalid breaks one or more rules of the language and declares the
// errors it must produce in comment lines:
//
//	# error: LINE:COL: fragment of "summary; detail"
//	# vars: name=value          (optional, passed to Parse)
//
// The test requires exactly the declared errors: each at its exact position with its
// fragment, and no others.

var (
	errorLinePattern = regexp.MustCompile(`^# error: (\d+):(\d+): (.+)$`)
	varsLinePattern  = regexp.MustCompile(`^# vars: ([A-Za-z0-9_]+)=(.*)$`)
)

type wantDiag struct {
	line, col int
	fragment  string
}

func readExpectations(t *testing.T, src []byte) ([]wantDiag, map[string]string) {
	t.Helper()
	var wants []wantDiag
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		text := sc.Text()
		if m := errorLinePattern.FindStringSubmatch(text); m != nil {
			var w wantDiag
			fmt.Sscan(m[1], &w.line)
			fmt.Sscan(m[2], &w.col)
			w.fragment = m[3]
			wants = append(wants, w)
		}
		if m := varsLinePattern.FindStringSubmatch(text); m != nil {
			vars[m[1]] = m[2]
		}
	}
	return wants, vars
}

func TestInvalidPoliciesReportEveryErrorWithPosition(t *testing.T) {
	paths, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no invalid policies found: %v", err)
	}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wants, vars := readExpectations(t, src)
			if len(wants) == 0 {
				t.Fatalf("%s declares no '# error: line:col: fragment' expectation", name)
			}
			p, diags := Parse(name, src, vars)
			if p != nil {
				t.Errorf("Parse returned a policy for an invalid file")
			}
			var errs hcl.Diagnostics
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d)
				}
			}
			matched := make([]bool, len(errs))
			for _, w := range wants {
				found := false
				for i, d := range errs {
					if matched[i] || d.Subject == nil || d.Subject.Start.Line != w.line || d.Subject.Start.Column != w.col {
						continue
					}
					if strings.Contains(d.Summary+"; "+d.Detail, w.fragment) {
						matched[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing error at %d:%d containing %q", w.line, w.col, w.fragment)
				}
			}
			for i, d := range errs {
				if !matched[i] {
					t.Errorf("unexpected error: %s", diagnosticLine(d))
				}
				if d.Subject == nil || d.Subject.Filename != name {
					t.Errorf("error without a position in %s: %s", name, diagnosticLine(d))
				}
			}
			if t.Failed() {
				t.Logf("diagnostics:\n%s", FormatDiagnostics(map[string][]byte{name: src}, diags))
			}
		})
	}
}

// The message form promised to callers: file:line:col, block context, what is wrong, and
// after the semicolon what to do.
func TestDiagnosticErrorMessageForm(t *testing.T) {
	src, err := os.ReadFile("testdata/invalid/for_shorter_than_interval.hcl")
	if err != nil {
		t.Fatal(err)
	}
	_, diags := Parse("policy.hcl", src, nil)
	err = DiagnosticsError(diags)
	if err == nil {
		t.Fatal("DiagnosticsError returned nil for a policy with errors")
	}
	want := `policy.hcl:10:5: trigger "error_rate": for = "500ms" is shorter than evaluation_interval "1s"; use 0s (immediate) or at least 1s`
	if err.Error() != want {
		t.Fatalf("Error() =\n%s\nwant\n%s", err.Error(), want)
	}
	var de *DiagnosticError
	if !errors.As(err, &de) {
		t.Fatalf("errors.As(*DiagnosticError) failed on %T", err)
	}
	if r := de.Range(); r == nil || r.Start.Line != 10 || r.Start.Column != 5 {
		t.Fatalf("DiagnosticError.Range() = %v, want line 10 column 5", r)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Diagnostics) != 1 {
		t.Fatalf("errors.As(*ParseError) = %v", pe)
	}
}

func TestDiagnosticsErrorIgnoresWarnings(t *testing.T) {
	warn := warningAt(hcl.Range{Filename: "p.hcl", Start: hcl.InitialPos}, "w", "")
	if err := DiagnosticsError(hcl.Diagnostics{warn}); err != nil {
		t.Fatalf("DiagnosticsError(warnings only) = %v, want nil", err)
	}
	if err := DiagnosticsError(nil); err != nil {
		t.Fatalf("DiagnosticsError(nil) = %v, want nil", err)
	}
}
