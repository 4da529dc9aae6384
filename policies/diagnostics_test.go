package policies

import (
	"os"
	"strings"
	"testing"
)

func TestFormatDiagnosticsShowsSourceSnippet(t *testing.T) {
	src, err := os.ReadFile("testdata/invalid/for_shorter_than_interval.hcl")
	if err != nil {
		t.Fatal(err)
	}
	_, diags := Parse("policy.hcl", src, nil)
	got := FormatDiagnostics(map[string][]byte{"policy.hcl": src}, diags)
	want := `Error: trigger "error_rate": for = "500ms" is shorter than evaluation_interval "1s"

  on policy.hcl line 10, column 5:
     9 |     action    = "alert"
    10 |     for       = "500ms"
       |     ^^^^^^^^^^^^^^^^^^^

use 0s (immediate) or at least 1s
`
	if got != want {
		t.Fatalf("FormatDiagnostics =\n%s\nwant\n%s", got, want)
	}
}

func TestFormatDiagnosticsWithoutSource(t *testing.T) {
	_, diags := Parse("policy.hcl", []byte("service \"x\" {\n  bogus = 1\n}\n"), nil)
	got := FormatDiagnostics(nil, diags)
	for _, want := range []string{`Error: service "x": unsupported argument "bogus"`, "on policy.hcl line 2, column 3:"} {
		if !strings.Contains(got, want) {
			t.Errorf("FormatDiagnostics without sources lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "|") {
		t.Errorf("snippet printed without a source:\n%s", got)
	}
}

func TestFormatDiagnosticsKeepsTabsAligned(t *testing.T) {
	src := []byte("service \"x\" {\n\tbogus = 1\n}\n")
	_, diags := Parse("p.hcl", src, nil)
	got := FormatDiagnostics(map[string][]byte{"p.hcl": src}, diags)
	if !strings.Contains(got, "2 | \tbogus = 1\n      | \t^^^^^") {
		t.Fatalf("caret line does not follow the tab:\n%q", got)
	}
}

func TestPercentToBasisPoints(t *testing.T) {
	tests := []struct {
		pct     float64
		want    BasisPoints
		wantErr string
	}{
		{0, 0, ""},
		{5, 500, ""},
		{12.34, 1234, ""},
		{0.01, 1, ""},
		{33.33, 3333, ""},
		{100, 10000, ""},
		{12.345, 0, "more than two decimals"},
		{0.001, 0, "more than two decimals"},
		{100.01, 0, "outside 0-100"},
		{-1, 0, "outside 0-100"},
	}
	for _, tt := range tests {
		t.Run(formatNumber(tt.pct), func(t *testing.T) {
			got, err := percentToBasisPoints(tt.pct)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	expect(t, "String", BasisPoints(1250).String(), "12.5%")
	expect(t, "Percent", BasisPoints(1).Percent(), "0.01")
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		given      string
		candidates []string
		want       string
	}{
		{"thresold", []string{"threshold", "for"}, "threshold"},
		{"critical", []string{"critical_safety", "system_instability"}, "critical_safety"},
		{"xyz", []string{"threshold"}, ""},
		{"fore", []string{"for", "baseline"}, "for"},
		{"rate", []string{"error_rate", "success_rate"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			expect(t, "suggest", suggest(tt.given, tt.candidates), tt.want)
		})
	}
}

func TestEnumStrings(t *testing.T) {
	expect(t, "Category", CategorySystemInstability.String(), "system_instability")
	expect(t, "zero Category", Category(0).String(), "Category(0)")
	expect(t, "Metric none", MetricNone.String(), "none")
	expect(t, "ComparisonOp", OpAtMost.String(), "<=")
	expect(t, "PlanKind", PlanCanary.String(), "canary")
	if _, ok := metricNames.parse("none"); ok {
		t.Error(`"none" parses as a metric`)
	}
}
