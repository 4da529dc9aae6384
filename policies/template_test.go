package policies

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// triggerQuery parses a one-trigger policy with the given query expression (HCL source)
// and returns the trigger's template.
func triggerQuery(t *testing.T, queryExpr string) (QueryTemplate, error) {
	t.Helper()
	src := fmt.Sprintf(`locals {
  sel = "service=\"${service}\""
}
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = %s
    condition = "above"
    threshold = 1
    action    = "rollback_immediately"
  }
}
`, queryExpr)
	p, diags := Parse("q.hcl", []byte(src), nil)
	if err := DiagnosticsError(diags); err != nil {
		return QueryTemplate{}, err
	}
	return p.Services[0].Triggers[0].Query, nil
}

func TestRenderReplacesPlaceholders(t *testing.T) {
	vars := QueryVars{Service: "breast-cancer-dx", Version: "2.3.0-CLINICALVALID", BaselineVersion: "2.2.0-PRODUCTION", Interval: 90 * time.Second}
	tests := []struct {
		name, expr, wantTemplate, wantRendered string
	}{
		{
			name:         "all four placeholders",
			expr:         `"sum(rate(x{service=\"${service}\",version=~\"${version}|${baseline_version}\"}[${interval}]))"`,
			wantTemplate: `sum(rate(x{service="${service}",version=~"${version}|${baseline_version}"}[${interval}]))`,
			wantRendered: `sum(rate(x{service="breast-cancer-dx",version=~"2.3.0-CLINICALVALID|2.2.0-PRODUCTION"}[1m30s]))`,
		},
		{
			name:         "placeholder through a local",
			expr:         `"up{${local.sel}}"`,
			wantTemplate: `up{service="${service}"}`,
			wantRendered: `up{service="breast-cancer-dx"}`,
		},
		{
			name:         "placeholder through format",
			expr:         `format("up{version=%q}", version)`,
			wantTemplate: `up{version="${version}"}`,
			wantRendered: `up{version="2.3.0-CLINICALVALID"}`,
		},
		{
			name:         "escaped dollar stays literal",
			expr:         `"label_replace(up, \"x\", \"$${service}\", \"\", \"\") + ${interval}"`,
			wantTemplate: `label_replace(up, "x", "$${service}", "", "") + ${interval}`,
			wantRendered: `label_replace(up, "x", "${service}", "", "") + 1m30s`,
		},
		{
			name:         "no placeholders",
			expr:         `"vector(1)"`,
			wantTemplate: `vector(1)`,
			wantRendered: `vector(1)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := triggerQuery(t, tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.String(); got != tt.wantTemplate {
				t.Errorf("String() = %s\nwant       %s", got, tt.wantTemplate)
			}
			if got := q.Render(vars); got != tt.wantRendered {
				t.Errorf("Render() = %s\nwant       %s", got, tt.wantRendered)
			}
			back, err := ParseQueryTemplate(q.String())
			if err != nil {
				t.Fatalf("ParseQueryTemplate(String()): %v", err)
			}
			if back.Render(vars) != q.Render(vars) || back.String() != q.String() {
				t.Errorf("ParseQueryTemplate(String()) does not round-trip: %s", back)
			}
		})
	}
}

func TestParseRejectsUnknownPlaceholders(t *testing.T) {
	tests := []struct{ name, expr, want string }{
		{"misspelled", `"up{service=\"${servce}\"}"`, `q.hcl:7:33: trigger "t": query: unknown name "servce"; did you mean "service"?`},
		{"attribute of a placeholder", `"up{service=\"${service.name}\"}"`, `q.hcl:7:33: trigger "t": query: placeholder ${service} has no attributes`},
		{"changed by a function", `upper("${service}")`, `q.hcl:7:5: trigger "t": query: a placeholder was changed by a function`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := triggerQuery(t, tt.expr)
			if err == nil {
				t.Fatal("Parse accepted the query")
			}
			if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Fatalf("error = %s\nwant prefix %s", got, tt.want)
			}
		})
	}
}

func TestParseQueryTemplate(t *testing.T) {
	t.Run("unknown placeholder", func(t *testing.T) {
		_, err := ParseQueryTemplate(`up{job="${job}"}`)
		if !errors.Is(err, ErrUnknownPlaceholder) {
			t.Fatalf("err = %v, want ErrUnknownPlaceholder", err)
		}
	})
	t.Run("unclosed placeholder", func(t *testing.T) {
		if _, err := ParseQueryTemplate(`up{job="${service"}`); err == nil {
			t.Fatal("unclosed ${ accepted")
		}
	})
	t.Run("text round trip", func(t *testing.T) {
		in := `a ${service} b $${literal} c %%{x} ${interval}`
		q, err := ParseQueryTemplate(in)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := q.MarshalText()
		if string(b) != in {
			t.Fatalf("MarshalText = %s, want %s", b, in)
		}
		var back QueryTemplate
		if err := back.UnmarshalText(b); err != nil || back.String() != in {
			t.Fatalf("UnmarshalText = %s, %v", back, err)
		}
		expect(t, "Render", q.Render(QueryVars{Service: "s", Interval: time.Second}), "a s b ${literal} c %{x} 1s")
	})
}

func TestRenderEscapesLabelValues(t *testing.T) {
	q, err := ParseQueryTemplate(`up{service="${service}",version="${version}"}`)
	if err != nil {
		t.Fatal(err)
	}
	got := q.Render(QueryVars{Service: `a"b`, Version: `c\d`})
	expect(t, "Render", got, `up{service="a\"b",version="c\\d"}`)
}

func TestPromDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{500 * time.Millisecond, "500ms"},
		{1500 * time.Millisecond, "1s500ms"},
		{90 * time.Second, "1m30s"},
		{2 * time.Hour, "2h"},
		{25*time.Hour + time.Second, "25h1s"},
		{time.Millisecond + time.Microsecond, "1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			expect(t, "promDuration", promDuration(tt.in), tt.want)
		})
	}
	expect(t, "compactDuration keeps sub-millisecond parts", compactDuration(time.Millisecond+time.Microsecond), "1.001ms")
}
