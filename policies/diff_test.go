package policies

import (
	"os"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	base, err := os.ReadFile("testdata/valid/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	old := mustParse(t, string(base))
	tests := []struct {
		name string
		edit func(string) string
		want []string // Change.String() of every change, in order
	}{
		{
			name: "identical policies",
			edit: func(s string) string { return s },
			want: nil,
		},
		{
			name: "threshold changes",
			edit: func(s string) string {
				return strings.Replace(s, "threshold = 0.80", "threshold = 0.85", 1)
			},
			want: []string{`~ service["breast-cancer-dx"].trigger["accuracy_floor"].threshold: 0.8 -> 0.85`},
		},
		{
			name: "variable default changes a threshold",
			edit: func(s string) string { return strings.Replace(s, "default     = 0.10", "default     = 0.2", 1) },
			want: []string{`~ service["breast-cancer-dx"].trigger["error_rate"].threshold: 0.1 -> 0.2`},
		},
		{
			name: "trigger removed",
			edit: func(s string) string { return cutBlock(s, `  trigger "error_rate" {`) },
			want: []string{`- service["breast-cancer-dx"].trigger["error_rate"]`},
		},
		{
			name: "trigger added",
			edit: func(s string) string {
				return strings.Replace(s, `  judge "latency" {`, `  trigger "timeouts" {
    category  = "performance_degradation"
    query     = "up"
    condition = "above"
    threshold = 0.05
    action    = "alert"
  }

  judge "latency" {`, 1)
			},
			want: []string{`+ service["breast-cancer-dx"].trigger["timeouts"]`},
		},
		{
			name: "plan step weight and bake change, plan removed",
			edit: func(s string) string {
				s = strings.Replace(s, "      weight = 25\n      bake   = \"1m\"", "      weight = 30\n      bake   = \"90s\"", 1)
				return cutBlock(s, `  blue_green "switch" {`)
			},
			want: []string{
				`~ service["breast-cancer-dx"].canary["standard"].step[2].weight: 25 -> 30`,
				`~ service["breast-cancer-dx"].canary["standard"].step[2].bake: "1m" -> "1m30s"`,
				`- service["breast-cancer-dx"].blue_green["switch"]`,
			},
		},
		{
			name: "threshold replaced by a baseline comparison",
			edit: func(s string) string {
				return strings.Replace(s, "    threshold = 0.80\n", "    baseline {\n      ratio = 1\n      delta = 0.05\n    }\n", 1)
			},
			want: []string{
				`- service["breast-cancer-dx"].trigger["accuracy_floor"].threshold = 0.8`,
				`+ service["breast-cancer-dx"].trigger["accuracy_floor"].baseline`,
			},
		},
		{
			name: "criterion goal changes",
			edit: func(s string) string {
				return strings.Replace(s, "sensitivity.lower >= 0.90", "sensitivity.lower >= 0.92", 1)
			},
			want: []string{`~ service["breast-cancer-dx"].clinical_validation["golden"].require["sensitivity.lower"].goal: 0.9 -> 0.92`},
		},
		{
			name: "warning period added with the action change",
			edit: func(s string) string {
				return strings.Replace(s, `    action    = "rollback_immediately"`, "    action    = \"rollback_after_warning\"\n    warning_period = \"1m\"", 1)
			},
			want: []string{
				`~ service["breast-cancer-dx"].trigger["accuracy_floor"].action: "rollback_immediately" -> "rollback_after_warning"`,
				`+ service["breast-cancer-dx"].trigger["accuracy_floor"].warning_period = "1m"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := tt.edit(string(base))
			if tt.name != "identical policies" && edited == string(base) {
				t.Fatal("the edit did not apply")
			}
			changes := Diff(old, mustParse(t, edited))
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			expect(t, "changes", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		})
	}
}

func TestDiffCarriesValuesAndRanges(t *testing.T) {
	base, err := os.ReadFile("testdata/valid/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	old := mustParse(t, string(base))
	changed := mustParse(t, strings.Replace(string(base), "threshold = 0.80", "threshold = 0.85", 1))
	changes := Diff(old, changed)
	if len(changes) != 1 {
		t.Fatalf("changes = %v", changes)
	}
	c := changes[0]
	expect(t, "Kind", c.Kind, ChangeModified)
	expect(t, "Old", c.Old, "0.8")
	expect(t, "New", c.New, "0.85")
	expect(t, "OldRange line", c.OldRange.Start.Line, old.Services[0].Trigger("accuracy_floor").Range.Start.Line)
	expect(t, "NewRange line", c.NewRange.Start.Line, changed.Services[0].Trigger("accuracy_floor").Range.Start.Line)
}

func TestDiffWithNil(t *testing.T) {
	p := mustParse(t, `service "a" {
}
service "b" {
}
`)
	var added []string
	for _, c := range Diff(nil, p) {
		added = append(added, c.String())
	}
	expect(t, "Diff(nil, p)", added, []string{`+ service["a"]`, `+ service["b"]`})
	removed := Diff(p, nil)
	if len(removed) != 2 || removed[0].Kind != ChangeRemoved {
		t.Fatalf("Diff(p, nil) = %v", removed)
	}
	if len(Diff(nil, nil)) != 0 {
		t.Fatal("Diff(nil, nil) is not empty")
	}
}

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, diags := Parse("p.hcl", []byte(src), nil)
	if diags.HasErrors() {
		t.Fatalf("Parse: %s", FormatDiagnostics(map[string][]byte{"p.hcl": []byte(src)}, diags))
	}
	return p
}

// cutBlock removes the block whose header line is header (two-space indented) up to its
// closing "  }" line and the blank line after it.
func cutBlock(src, header string) string {
	start := strings.Index(src, header)
	if start < 0 {
		return src
	}
	end := strings.Index(src[start:], "\n  }\n")
	return src[:start] + strings.TrimPrefix(src[start+end+len("\n  }\n"):], "\n")
}
