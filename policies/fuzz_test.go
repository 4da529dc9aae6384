package policies

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// FuzzParse checks Parse's contract on arbitrary input: it never panics; it returns a nil
// policy exactly when there are error diagnostics; every diagnostic has a position in the
// file; and an accepted policy formats, hashes, renders and diffs without trouble.
//
//	go test -fuzz=FuzzParse ./policies/
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.hcl", "testdata/invalid/*.hcl", "../examples/policies/*.hcl"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, diags := Parse("fuzz.hcl", src, nil)
		if (p == nil) != diags.HasErrors() {
			t.Fatalf("policy nil = %v but HasErrors = %v: %v", p == nil, diags.HasErrors(), diags)
		}
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename != "fuzz.hcl" || d.Subject.Start.Line < 1 || d.Subject.Start.Column < 1 {
				t.Fatalf("diagnostic without a position in the file: %#v", d)
			}
			if s, e := d.Subject.Start, d.Subject.End; s.Byte > len(src) || e.Byte > len(src) || e.Byte < s.Byte || s.Line > bytes.Count(src, []byte("\n"))+1 {
				t.Fatalf("diagnostic %q points outside the %d-byte input: %+v", d.Summary, len(src), *d.Subject)
			}
		}
		_ = FormatDiagnostics(map[string][]byte{"fuzz.hcl": src}, diags)
		checkErrorPositions(t, diags)
		_ = Hash(src)

		formatted, err := Format(src)
		if err == nil {
			again, err := Format(formatted)
			if err != nil {
				t.Fatalf("Format(Format(src)) failed: %v\n%s", err, formatted)
			}
			if !bytes.Equal(again, formatted) {
				t.Fatalf("Format is not idempotent:\n%q\n%q", formatted, again)
			}
			if Hash(formatted) != Hash(src) {
				t.Fatalf("Hash changed under Format")
			}
		}
		if p == nil {
			return
		}
		if err != nil {
			t.Fatalf("Parse accepted a policy Format rejects: %v", err)
		}
		reparsed, rdiags := Parse("fuzz.hcl", formatted, nil)
		if rdiags.HasErrors() {
			t.Fatalf("the formatted policy does not parse: %v", rdiags)
		}
		if changes := Diff(p, reparsed); len(changes) != 0 {
			t.Fatalf("formatting changed the policy: %v", changes)
		}
		if changes := Diff(p, p); len(changes) != 0 {
			t.Fatalf("Diff(p, p) = %v", changes)
		}
		vars := QueryVars{Service: "s", Version: "1.0.0-PRODUCTION", BaselineVersion: "0.9.0-PRODUCTION", Interval: time.Minute}
		for _, s := range p.Services {
			for _, tr := range s.Triggers {
				roundTrip(t, tr.Query, vars)
			}
			for _, j := range s.Judges {
				roundTrip(t, j.Events, vars)
				roundTrip(t, j.Trials, vars)
				roundTrip(t, j.Samples, vars)
			}
		}
	})
}

// checkErrorPositions fails the test unless DiagnosticsError(diags) is nil exactly when
// there is no error, and otherwise wraps one *DiagnosticError per error diagnostic whose
// message starts with "fuzz.hcl:LINE:COL: ".
func checkErrorPositions(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	err := DiagnosticsError(diags)
	if (err == nil) == diags.HasErrors() {
		t.Fatalf("DiagnosticsError = %v, but HasErrors = %v", err, diags.HasErrors())
	}
	if err == nil {
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("DiagnosticsError returned %T, want *ParseError", err)
	}
	wrapped := pe.Unwrap()
	i := 0
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		prefix := fmt.Sprintf("fuzz.hcl:%d:%d: ", d.Subject.Start.Line, d.Subject.Start.Column)
		if i >= len(wrapped) || !strings.HasPrefix(wrapped[i].Error(), prefix) {
			t.Fatalf("error %d of %d does not start with %q:\n%s", i, len(wrapped), prefix, err)
		}
		i++
	}
	if i != len(wrapped) {
		t.Fatalf("%d errors wrapped for %d error diagnostics", len(wrapped), i)
	}
}

func roundTrip(t *testing.T, q QueryTemplate, vars QueryVars) {
	t.Helper()
	back, err := ParseQueryTemplate(q.String())
	if err != nil {
		t.Fatalf("ParseQueryTemplate(%q): %v", q.String(), err)
	}
	if back.Render(vars) != q.Render(vars) {
		t.Fatalf("template %q does not round-trip", q.String())
	}
}
