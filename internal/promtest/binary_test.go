package promtest

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestFindBinary(t *testing.T) {
	files := map[string]bool{
		"/opt/prom/prometheus":  true,
		"/repo/.bin/prometheus": true,
	}
	isFile := func(p string) bool { return files[p] }
	onPath := func(string) (string, error) { return "/usr/bin/prometheus", nil }
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }

	tests := []struct {
		name        string
		lookup      binaryLookup
		want        string
		errContains []string
	}{
		{
			name:   "environment variable wins over PATH",
			lookup: binaryLookup{env: "/opt/prom/prometheus", lookPath: onPath, repoRoot: "/repo", isFile: isFile},
			want:   "/opt/prom/prometheus",
		},
		{
			name:        "environment variable naming a missing file is an error, not a fallback",
			lookup:      binaryLookup{env: "/nope/prometheus", lookPath: onPath, repoRoot: "/repo", isFile: isFile},
			errContains: []string{"$VIGIL_PROMETHEUS", `"/nope/prometheus"`, "/repo/scripts/install-prometheus.sh"},
		},
		{
			name:   "PATH wins over the repository's .bin",
			lookup: binaryLookup{lookPath: onPath, repoRoot: "/repo", isFile: isFile},
			want:   "/usr/bin/prometheus",
		},
		{
			name:   "repository .bin when PATH has none",
			lookup: binaryLookup{lookPath: notOnPath, repoRoot: "/repo", isFile: isFile},
			want:   "/repo/.bin/prometheus",
		},
		{
			name:        "nothing found names every place searched and the install command",
			lookup:      binaryLookup{lookPath: notOnPath, repoRoot: "/elsewhere", isFile: isFile},
			errContains: []string{"$VIGIL_PROMETHEUS is unset", "not on $PATH", "/elsewhere/.bin/prometheus", "/elsewhere/scripts/install-prometheus.sh"},
		},
		{
			name:        "nothing found outside the repository still names the install script",
			lookup:      binaryLookup{lookPath: notOnPath, isFile: isFile},
			errContains: []string{"repository root not found", "scripts/install-prometheus.sh"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findBinary(tc.lookup)
			if tc.errContains == nil {
				if err != nil {
					t.Fatalf("findBinary: %v", err)
				}
				if got != tc.want {
					t.Fatalf("findBinary = %q, want %q", got, tc.want)
				}
				return
			}
			if !errors.Is(err, errNoBinary) {
				t.Fatalf("findBinary error = %v, want one wrapping errNoBinary", err)
			}
			for _, s := range tc.errContains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestFindRepoRoot(t *testing.T) {
	root, err := findRepoRoot()
	if err != nil {
		t.Fatalf("findRepoRoot: %v", err)
	}
	if !declaresModule(root+"/go.mod", modulePath) {
		t.Fatalf("findRepoRoot = %q, whose go.mod does not declare %s", root, modulePath)
	}
}
