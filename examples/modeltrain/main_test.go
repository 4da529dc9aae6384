package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

const (
	committedData   = "../data"
	committedModels = "../models"
	demoModelsDoc   = "../../docs/demo-models.md"
)

var (
	buildOnce   sync.Once
	built       artifacts
	buildFailed error
)

// committedBuild trains once per test binary from the committed data set.
func committedBuild(t *testing.T) artifacts {
	t.Helper()
	buildOnce.Do(func() { built, buildFailed = buildFromDir(committedData) })
	if buildFailed != nil {
		t.Fatalf("build: %v", buildFailed)
	}
	return built
}

// TestCommittedArtifactsAreReproducible retrains in memory and requires the committed golden
// set and model files to be byte-identical to the result, with no stale model files.
func TestCommittedArtifactsAreReproducible(t *testing.T) {
	a := committedBuild(t)
	files := a.outputs(committedData, committedModels)
	for path, want := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read committed file: %v (regenerate with go run ./examples/modeltrain)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what training produces now (%d vs %d bytes); regenerate with go run ./examples/modeltrain", path, len(got), len(want))
			}
		})
	}
	t.Run("no stale model files", func(t *testing.T) {
		committed, err := filepath.Glob(filepath.Join(committedModels, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range committed {
			if _, ok := files[path]; !ok {
				t.Errorf("%s is not produced by training: delete it or add its recipe to modelSpecs", path)
			}
		}
	})
}

// TestGoldenSetQualityOrdering checks the relations the rollout demos rely on: both good
// versions find at least 90 % of malignant cases, the candidate 1.1.0 is at least as good as
// production on sensitivity and specificity, and the degraded 1.2.0 finds at most 82 %.
func TestGoldenSetQualityOrdering(t *testing.T) {
	a := committedBuild(t)
	byVersion := map[string]trainedModel{}
	for _, tm := range a.models {
		c := tm.overall
		t.Logf("%s: TP=%d FN=%d TN=%d FP=%d sensitivity %s specificity %s",
			tm.model.Version, c.TP, c.FN, c.TN, c.FP, c.Sensitivity(), c.Specificity())
		byVersion[tm.model.Version] = tm
	}
	golden := 0
	for _, c := range a.golden {
		if c.Label == wdbc.Malignant {
			golden++
		}
	}
	if golden < 80 || golden > 90 {
		t.Errorf("golden set has %d malignant cases, want about 85", golden)
	}
	production := byVersion["1.0.0-PRODUCTION"].overall
	tests := []struct {
		version        string
		minSensitivity float64
		maxSensitivity float64
	}{
		{version: "1.0.0-PRODUCTION", minSensitivity: 0.90, maxSensitivity: 1},
		{version: "1.1.0-CLINICALVALID", minSensitivity: 0.90, maxSensitivity: 1},
		{version: "1.2.0-CLINICALVALID", minSensitivity: 0, maxSensitivity: 0.82},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			tm, ok := byVersion[tt.version]
			if !ok {
				t.Fatalf("version %s was not trained", tt.version)
			}
			sens := tm.overall.Sensitivity()
			if sens.Trials == 0 || sens.Estimate < tt.minSensitivity || sens.Estimate > tt.maxSensitivity {
				t.Errorf("sensitivity %s, want within [%.2f, %.2f]", sens, tt.minSensitivity, tt.maxSensitivity)
			}
		})
	}
	t.Run("candidate at least as good as production", func(t *testing.T) {
		candidate := byVersion["1.1.0-CLINICALVALID"].overall
		if candidate.Sensitivity().Estimate < production.Sensitivity().Estimate {
			t.Errorf("candidate sensitivity %s < production %s", candidate.Sensitivity(), production.Sensitivity())
		}
		if candidate.Specificity().Estimate < production.Specificity().Estimate {
			t.Errorf("candidate specificity %s < production %s", candidate.Specificity(), production.Specificity())
		}
	})
}

// TestDocumentedFiguresMatchTraining keeps docs/demo-models.md honest: it must contain the
// tables the training program prints, verbatim.
func TestDocumentedFiguresMatchTraining(t *testing.T) {
	a := committedBuild(t)
	doc, err := os.ReadFile(demoModelsDoc)
	if err != nil {
		t.Fatalf("read %s: %v", demoModelsDoc, err)
	}
	if !strings.Contains(string(doc), a.summary()) {
		t.Errorf("%s does not contain the current golden-set tables; paste in the tables printed by go run ./examples/modeltrain:\n%s", demoModelsDoc, a.summary())
	}
}

// TestRunWritesTheCommittedFiles runs the program end to end in a scratch directory.
func TestRunWritesTheCommittedFiles(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	outDir := filepath.Join(t.TempDir(), "models")
	if err := os.MkdirAll(filepath.Join(dataDir, "wdbc"), 0o755); err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile(sourceFile(committedData))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sourceFile(dataDir), source, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-data", dataDir, "-out", outDir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr: %s", code, stderr.String())
	}
	for _, name := range []string{"golden.csv", "golden.jsonl"} {
		assertSameFile(t, filepath.Join(dataDir, name), filepath.Join(committedData, name))
	}
	written, err := filepath.Glob(filepath.Join(outDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join(committedModels, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := func(paths []string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = filepath.Base(p)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(base(written), base(committed)) {
		t.Fatalf("wrote model files %v, committed %v", base(written), base(committed))
	}
	for _, p := range written {
		assertSameFile(t, p, filepath.Join(committedModels, filepath.Base(p)))
	}
	if !strings.Contains(stdout.String(), "sensitivity") {
		t.Errorf("output lacks the sensitivity report:\n%s", stdout.String())
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "unknown flag", args: []string{"-bogus"}, wantCode: 2, wantErr: "bogus"},
		{name: "positional argument", args: []string{"extra"}, wantCode: 2, wantErr: "unexpected arguments"},
		{name: "missing data", args: []string{"-data", filepath.Join(t.TempDir(), "absent")}, wantCode: 1, wantErr: "breast_cancer.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("run(%q) = %d, stderr %q; want %d and a message containing %q", tt.args, code, stderr.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}

func assertSameFile(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s", got, want)
	}
}
