package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/internal/vigiltest"
)

// TestPolicyCommands exercises meshctl policy validate, fmt, apply, get, diff and history
// against a running xds-server.
func TestPolicyCommands(t *testing.T) {
	a := vigiltest.StartDev(t)
	example, err := os.ReadFile("../../examples/policies/breast-cancer-dx.hcl")
	if err != nil {
		t.Fatal(err)
	}
	// The policy names its golden set relative to itself (../data/golden.csv).
	root := t.TempDir()
	dir := filepath.Join(root, "policies")
	golden, err := os.ReadFile("../../examples/data/golden.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(root, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "data", "golden.csv"), golden, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "breast-cancer-dx.hcl")
	if err := os.WriteFile(path, example, 0o644); err != nil {
		t.Fatal(err)
	}

	out := mustMeshctl(t, a, "policy", "validate", path)
	if !strings.Contains(out, "valid, sha256:") || !strings.Contains(out, "breast-cancer-dx") {
		t.Fatalf("validate output: %s", out)
	}
	if code, out, _ := meshctl(t, a, "policy", "fmt", "-check", path); code != 0 || out != "" {
		t.Fatalf("the example is not canonically formatted: exit %d, %s", code, out)
	}

	broken := filepath.Join(dir, "broken.hcl")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(example), `condition = "below"`, `condition = "sideways"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := meshctl(t, a, "policy", "validate", broken)
	if code != 5 || !strings.Contains(errOut, "broken.hcl:") || !strings.Contains(errOut, "sideways") {
		t.Fatalf("validate of a broken policy: exit %d\n%s", code, errOut)
	}
	if code, _, _ := meshctl(t, a, "policy", "apply", broken); code != 5 {
		t.Fatalf("apply of a broken policy: exit %d, want 5", code)
	}
	if list := mustMeshctl(t, a, "policy", "get"); strings.Contains(list, "broken") {
		t.Fatalf("a refused policy was stored:\n%s", list)
	}

	// diff before the first apply shows the whole policy as new.
	if code, out, _ := meshctl(t, a, "policy", "diff", path); code != 1 || out == "" {
		t.Fatalf("diff against nothing: exit %d\n%s", code, out)
	}
	out = mustMeshctl(t, a, "policy", "apply", path)
	if !strings.Contains(out, "policy breast-cancer-dx applied: sha256:") {
		t.Fatalf("apply output: %s", out)
	}
	if code, out, _ := meshctl(t, a, "policy", "diff", path); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("diff after apply: exit %d\n%s", code, out)
	}
	changed := strings.Replace(string(example), "threshold = 0.01", "threshold = 0.02", 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = meshctl(t, a, "policy", "diff", path)
	if code != 1 || !strings.Contains(out, "threshold") || !strings.Contains(out, "0.01") || !strings.Contains(out, "0.02") {
		t.Fatalf("diff of a changed threshold: exit %d\n%s", code, out)
	}
	mustMeshctl(t, a, "policy", "apply", path)
	hist := mustMeshctl(t, a, "policy", "history", "breast-cancer-dx")
	if n := strings.Count(hist, "sha256:"); n != 2 {
		t.Fatalf("history lists %d versions, want 2:\n%s", n, hist)
	}
	if got := mustMeshctl(t, a, "policy", "get", "breast-cancer-dx"); !strings.Contains(got, "threshold = 0.02") {
		t.Fatalf("get does not show the applied source:\n%s", got)
	}
	audit := mustMeshctl(t, a, "audit", "--verify")
	if strings.Count(audit, "apply-policy") != 2 || !strings.Contains(audit, "hash chain of") {
		t.Fatalf("audit:\n%s", audit)
	}
}
