package policies

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const messyPolicy = "\n\n# demo\r\nvariable \"x\" {\r\n    type=number\r\n  default   =   -0.5\r\n}\n\n\n\nservice \"svc\" {\n" +
	"evaluation_interval=\"1s\"\n  canary \"c\" {\n  initial_weight=min( 5 ,var.x*-2 )\n step {\n   weight = 10\n" +
	"   bake=\"1m\" # first\n analysis=[ ]\n }\n }\n\n\n trigger \"t\"{\n category=\"critical_safety\"\n" +
	"    query = \"up{service=\\\"${service}\\\"}\"\n    condition=\"above\"\n threshold = ! true ? 1 : 2\n" +
	"    action=\"rollback_immediately\"\n  }\n}\n\n\n"

const canonicalPolicy = `# demo
variable "x" {
  type    = number
  default = -0.5
}

service "svc" {
  evaluation_interval = "1s"
  canary "c" {
    initial_weight = min(5, var.x * -2)
    step {
      weight   = 10
      bake     = "1m" # first
      analysis = []
    }
  }

  trigger "t" {
    category  = "critical_safety"
    query     = "up{service=\"${service}\"}"
    condition = "above"
    threshold = !true ? 1 : 2
    action    = "rollback_immediately"
  }
}
`

func TestFormatProducesCanonicalLayout(t *testing.T) {
	got, err := Format([]byte(messyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != canonicalPolicy {
		t.Fatalf("Format() =\n%s\nwant\n%s", got, canonicalPolicy)
	}
}

// corpus returns every policy file of the test data and the example.
func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pattern := range []string{"testdata/valid/*.hcl", "testdata/invalid/*.hcl", "../examples/policies/*.hcl"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[p] = src
		}
	}
	if len(out) == 0 {
		t.Fatal("no policy files found")
	}
	return out
}

func TestFormatIsIdempotentAndKeepsMeaning(t *testing.T) {
	for path, src := range corpus(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			once, err := Format(src)
			if err != nil {
				if strings.Contains(path, "syntax_") {
					return // not valid HCL: Format must refuse, checked below
				}
				t.Fatalf("Format: %v", err)
			}
			twice, err := Format(once)
			if err != nil {
				t.Fatalf("Format(Format(src)): %v", err)
			}
			if !bytes.Equal(once, twice) {
				t.Fatalf("Format is not idempotent:\n--- once\n%s\n--- twice\n%s", once, twice)
			}
			p1, d1 := Parse("p.hcl", src, nil)
			p2, d2 := Parse("p.hcl", once, nil)
			if (p1 == nil) != (p2 == nil) || len(d1.Errs()) != len(d2.Errs()) {
				t.Fatalf("formatting changed the parse outcome: %d errors before, %d after", len(d1.Errs()), len(d2.Errs()))
			}
			if changes := Diff(p1, p2); len(changes) != 0 {
				t.Fatalf("formatting changed the policy: %v", changes)
			}
			if Hash(src) != Hash(once) {
				t.Fatalf("Hash changed under formatting")
			}
		})
	}
}

func TestFormatRejectsInvalidSyntax(t *testing.T) {
	_, err := Format([]byte("service \"x\" {\n  a = \n}\n"))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Format error = %v, want a *ParseError", err)
	}
	if !strings.Contains(err.Error(), "<source>:2:") {
		t.Fatalf("Format error %q does not give the line", err)
	}
}

func TestHash(t *testing.T) {
	canonical := Hash([]byte(canonicalPolicy))
	if !strings.HasPrefix(canonical, "sha256:") || len(canonical) != len("sha256:")+64 {
		t.Fatalf("Hash = %q, want sha256:<64 hex>", canonical)
	}
	tests := []struct {
		name string
		src  string
		same bool
	}{
		{"messy layout of the same policy", messyPolicy, true},
		{"CRLF line endings", strings.ReplaceAll(canonicalPolicy, "\n", "\r\n"), true},
		{"extra blank lines and indentation", strings.ReplaceAll(canonicalPolicy, "\n  trigger", "\n\n\n      trigger"), true},
		{"a threshold changes", strings.Replace(canonicalPolicy, "!true ? 1 : 2", "!true ? 1 : 3", 1), false},
		{"a name changes", strings.Replace(canonicalPolicy, `trigger "t"`, `trigger "u"`, 1), false},
		{"a string changes by one space", strings.Replace(canonicalPolicy, `"1m" # first`, `"1m " # first`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Hash([]byte(tt.src))
			if (got == canonical) != tt.same {
				t.Fatalf("Hash equal = %v, want %v", got == canonical, tt.same)
			}
		})
	}
	if Hash([]byte("service {")) != Hash([]byte("service {")) {
		t.Fatal("Hash of invalid syntax is not stable")
	}
}

func TestParseSetsHashAndSource(t *testing.T) {
	src, err := os.ReadFile("testdata/valid/minimal.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p, diags := Parse("minimal.hcl", src, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	expect(t, "Hash", p.Hash, Hash(src))
	expect(t, "Source", string(p.Source), string(src))
	src[0] = '!'
	if p.Source[0] == '!' {
		t.Fatal("Policy.Source aliases the caller's buffer")
	}
}

// A heredoc query means the same with either line ending, so formatting (which writes "\n")
// cannot change the policy.
func TestCRLFHeredocMeansTheSame(t *testing.T) {
	lf := `service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = <<-EOT
      sum(up)
      / 2
    EOT
    condition = "above"
    threshold = 1
    action    = "rollback_immediately"
  }
}
`
	crlf := mustParse(t, strings.ReplaceAll(lf, "\n", "\r\n"))
	expect(t, "query", crlf.Services[0].Triggers[0].Query.String(), "sum(up)\n/ 2\n")
	if changes := Diff(crlf, mustParse(t, lf)); len(changes) != 0 {
		t.Fatalf("CRLF and LF versions differ: %v", changes)
	}
	expect(t, "Hash", crlf.Hash, Hash([]byte(lf)))
}
