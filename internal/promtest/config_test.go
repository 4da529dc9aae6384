package promtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTargetGroupValidate(t *testing.T) {
	tests := []struct {
		name    string
		group   TargetGroup
		wantErr string // "" means valid
	}{
		{name: "valid", group: TargetGroup{Job: "model-a_1", Targets: []string{"127.0.0.1:1"}, Labels: map[string]string{"version": "2.2.0-PRODUCTION"}}},
		{name: "no targets is valid", group: TargetGroup{Job: "empty"}},
		{name: "empty job", group: TargetGroup{}, wantErr: `Job ""`},
		{name: "job with a slash", group: TargetGroup{Job: "a/b"}, wantErr: `Job "a/b"`},
		{name: "empty target", group: TargetGroup{Job: "j", Targets: []string{""}}, wantErr: "Targets[0] is empty"},
		{name: "job label", group: TargetGroup{Job: "j", Labels: map[string]string{"job": "x"}}, wantErr: `must not set "job"`},
		{name: "bad label name", group: TargetGroup{Job: "j", Labels: map[string]string{"model-version": "x"}}, wantErr: `label name "model-version"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.group.validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("validate error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	t.Run("zero options take the documented defaults", func(t *testing.T) {
		got, err := Options{}.withDefaults()
		if err != nil {
			t.Fatalf("withDefaults: %v", err)
		}
		if got.ScrapeInterval != time.Second || got.EvaluationInterval != time.Second || got.ReadyTimeout != 60*time.Second || got.LookbackDelta != 0 {
			t.Fatalf("withDefaults = %+v", got)
		}
	})
	bad := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "negative scrape interval", opts: Options{ScrapeInterval: -time.Second}, wantErr: "Options.ScrapeInterval"},
		{name: "sub-millisecond scrape interval", opts: Options{ScrapeInterval: time.Microsecond}, wantErr: "Options.ScrapeInterval"},
		{name: "negative lookback", opts: Options{LookbackDelta: -1}, wantErr: "Options.LookbackDelta"},
		{name: "duplicate job", opts: Options{Targets: []TargetGroup{{Job: "a"}, {Job: "a"}}}, wantErr: `job "a" appears twice`},
		{name: "invalid group", opts: Options{Targets: []TargetGroup{{Job: ""}}}, wantErr: "Options.Targets"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.opts.withDefaults()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("withDefaults error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestWriteTargets(t *testing.T) {
	dir := t.TempDir()
	g := TargetGroup{Job: "canary", Targets: []string{"127.0.0.1:2", "127.0.0.1:1"}, Labels: map[string]string{"version": "v2"}}
	if err := writeTargets(dir, g); err != nil {
		t.Fatalf("writeTargets: %v", err)
	}
	var got []fileSDGroup
	readJSON(t, filepath.Join(dir, "canary.json"), &got)
	if len(got) != 1 || strings.Join(got[0].Targets, ",") != "127.0.0.1:1,127.0.0.1:2" ||
		got[0].Labels["job"] != "canary" || got[0].Labels["version"] != "v2" {
		t.Fatalf("file_sd content = %+v", got)
	}

	t.Run("no targets leaves an empty list", func(t *testing.T) {
		if err := writeTargets(dir, TargetGroup{Job: "canary"}); err != nil {
			t.Fatalf("writeTargets: %v", err)
		}
		var got []fileSDGroup
		readJSON(t, filepath.Join(dir, "canary.json"), &got)
		if got == nil || len(got) != 0 {
			t.Fatalf("file_sd content = %#v, want an empty list", got)
		}
	})
	t.Run("no temporary files are left behind", func(t *testing.T) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("directory holds %d entries, want only canary.json", len(entries))
		}
	})
}

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}
