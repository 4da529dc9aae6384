package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/examples/modelserver"
	"github.com/seed70a3350f/vigil/internal/agent"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/safety/clinical"
)

// The mesh of the validation scenario: the demo service with its production version
// serving all weighted traffic, a good and a degraded candidate.
const (
	valService    = "breast-cancer-dx"
	valStable     = "1.0.0-PRODUCTION"
	valGood       = "1.1.0-CLINICALVALID"
	valDegraded   = "1.2.0-CLINICALVALID"
	valPolicyFile = "testdata/rollout.hcl"
	valGoldenCSV  = "../../examples/data/golden.csv"
	valGoldenJSON = "../../examples/data/golden.jsonl"
	// valRunTimeout bounds each `validate run`; generous for a loaded machine, and
	// shorter than go test's default deadline.
	valRunTimeout = "4m"
)

// TestValidateCommands runs clinical validations through meshctl on a dev node routing to
// the three demo model servers: the good candidate passes, the degraded one fails with
// evidence naming the golden set's SHA-256, an uploaded data set replaces the policy's,
// the runs are listed and readable, and bad input is refused naming what was wrong.
func TestValidateCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an xds-server node and three model servers, and runs clinical validations")
	}
	a := vigiltest.StartDev(t)
	registerValidationMesh(t, a)
	mustMeshctl(t, a, "policy", "apply", valPolicyFile, "-name", valService)
	goldenCSV := fileSHA256(t, valGoldenCSV)

	var passedID, failedID string
	t.Run("good candidate passes", func(t *testing.T) {
		code, out, errOut := meshctl(t, a, "validate", "run", valService, valGood, "-timeout", valRunTimeout)
		if code != 0 {
			t.Fatalf("exit %d, want 0 (PASSED)\n%s%s", code, out, errOut)
		}
		for _, want := range []string{"Verdict:    PASSED", "Candidate:  " + valGood, "Comparator: " + valStable, goldenCSV, "sensitivity.lower >= 0.85"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(errOut, "started") {
			t.Errorf("no progress on stderr:\n%s", errOut)
		}
		passedID = runID(t, out)
		t.Logf("meshctl validate run %s %s:\n%s", valService, valGood, out)
	})

	t.Run("degraded candidate fails with evidence", func(t *testing.T) {
		code, out, errOut := meshctl(t, a, "validate", "run", valService, valDegraded, "--json", "-timeout", valRunTimeout)
		if code != 11 {
			t.Fatalf("exit %d, want 11 (FAILED)\n%s%s", code, out, errOut)
		}
		rec, res := decodeValidation(t, out)
		if rec.Verdict != api.VerdictFailed || rec.State != api.ValidationFinished || res.Verdict != clinical.Failed {
			t.Fatalf("record %s %s, evidence %s; want finished FAILED\n%s", rec.State, rec.Verdict, res.Verdict, out)
		}
		if rec.DatasetSHA256 != goldenCSV || res.Dataset.SHA256 != goldenCSV {
			t.Errorf("data set sha256 %q in the record and %q in the evidence, want %s", rec.DatasetSHA256, res.Dataset.SHA256, goldenCSV)
		}
		if res.Candidate.Version != valDegraded || res.Comparator == nil || res.Comparator.Version != valStable {
			t.Errorf("evidence compares %s with %+v, want %s with %s", res.Candidate.Version, res.Comparator, valDegraded, valStable)
		}
		if errOut != "" {
			t.Errorf("--json wrote progress for people:\n%s", errOut)
		}
		failedID = rec.ID
	})

	t.Run("uploaded data set without comparator", func(t *testing.T) {
		code, out, errOut := meshctl(t, a, "validate", "run", valService, valGood, "--dataset", valGoldenJSON, "--against", "none", "--json", "-timeout", valRunTimeout)
		if code != 0 {
			t.Fatalf("exit %d, want 0 (PASSED)\n%s%s", code, out, errOut)
		}
		rec, res := decodeValidation(t, out)
		if want := fileSHA256(t, valGoldenJSON); rec.Dataset != "golden.jsonl" || rec.DatasetSHA256 != want || res.Dataset.SHA256 != want {
			t.Errorf("ran on %s (sha256 %s, evidence %s), want the uploaded golden.jsonl (%s)", rec.Dataset, rec.DatasetSHA256, res.Dataset.SHA256, want)
		}
		if rec.Against != "" || res.Comparator != nil || res.Paired != nil {
			t.Errorf("--against none still compared with %q", rec.Against)
		}
	})

	t.Run("list shows both runs", func(t *testing.T) {
		if passedID == "" || failedID == "" {
			t.Skip("an earlier run did not finish")
		}
		out := mustMeshctl(t, a, "validate", "list", valService)
		passedAt, failedAt := strings.Index(out, passedID), strings.Index(out, failedID)
		if passedAt < 0 || failedAt < 0 {
			t.Fatalf("list lacks %s or %s:\n%s", passedID, failedID, out)
		}
		if failedAt > passedAt {
			t.Errorf("list is not newest first:\n%s", out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, failedID) && !strings.Contains(line, "FAILED") {
				t.Errorf("the failed run's line says otherwise: %s", line)
			}
			if strings.HasPrefix(line, passedID) && (!strings.Contains(line, "PASSED") || !strings.Contains(line, valStable)) {
				t.Errorf("the passed run's line says otherwise: %s", line)
			}
		}
		var all []api.ValidationRecord
		if err := json.Unmarshal([]byte(mustMeshctl(t, a, "-o", "json", "validate", "list")), &all); err != nil {
			t.Fatalf("validate list -o json: %v", err)
		}
		listed := map[string]string{}
		for _, rec := range all {
			listed[rec.ID] = rec.Verdict
		}
		if listed[passedID] != api.VerdictPassed || listed[failedID] != api.VerdictFailed {
			t.Errorf("-o json lists %v, want %s PASSED and %s FAILED", listed, passedID, failedID)
		}
	})

	t.Run("get", func(t *testing.T) {
		if failedID == "" {
			t.Skip("the degraded run did not finish")
		}
		out := mustMeshctl(t, a, "validate", "get", failedID)
		for _, want := range []string{"Verdict:    FAILED", "Candidate:  " + valDegraded, goldenCSV, "noninferior(sensitivity, 0.05)"} {
			if !strings.Contains(out, want) {
				t.Errorf("get lacks %q:\n%s", want, out)
			}
		}
		rec, _ := decodeValidation(t, mustMeshctl(t, a, "validate", "get", failedID, "--json"))
		if rec.ID != failedID || rec.Verdict != api.VerdictFailed {
			t.Errorf("get --json: %s %s, want %s FAILED", rec.ID, rec.Verdict, failedID)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			args     []string
			wantCode int
			wantErr  []string
		}{
			{"unregistered version", []string{"validate", "run", valService, "9.9.9-CLINICALVALID"}, 3, []string{"9.9.9-CLINICALVALID", "not registered"}},
			{"malformed version", []string{"validate", "run", valService, "latest"}, 5, []string{"latest"}},
			{"ungoverned service", []string{"validate", "run", "no-such-service", valGood}, 7, []string{"no-such-service"}},
			{"data set of unknown format", []string{"validate", "run", valService, valGood, "--dataset", valPolicyFile}, 5, []string{"rollout.hcl", ".csv"}},
			{"missing data set file", []string{"validate", "run", valService, valGood, "--dataset", "testdata/absent.csv"}, 5, []string{"absent.csv"}},
			{"unknown run", []string{"validate", "get", "val-nothing"}, 3, []string{"val-nothing"}},
			{"run without version", []string{"validate", "run", valService}, 2, []string{"SERVICE and VERSION"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, out, errOut := meshctl(t, a, tc.args...)
				if code != tc.wantCode {
					t.Fatalf("exit %d, want %d\n%s%s", code, tc.wantCode, out, errOut)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(errOut, want) {
						t.Errorf("message lacks %q:\n%s", want, errOut)
					}
				}
			})
		}
	})

	t.Run("completion", func(t *testing.T) {
		out := mustMeshctl(t, a, "completion", "bash")
		if !strings.Contains(out, `"validate") words="run list get"`) {
			t.Errorf("bash completion does not complete validate's commands:\n%s", out)
		}
	})
}

// registerValidationMesh starts the three demo model servers and registers them with a,
// all weighted traffic on the stable version.
func registerValidationMesh(t *testing.T, a *agent.Agent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := vigiltest.Client(a)
	opts := api.WriteOptions{Reason: "validation e2e setup"}
	for _, v := range []string{valStable, valGood, valDegraded} {
		s, err := modelserver.New(modelserver.Options{ModelFile: "../../examples/models/" + v + ".json", ServiceName: valService,
			RESTAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", Seed: 5})
		if err != nil {
			t.Fatalf("model server %s: %v", v, err)
		}
		sctx, stop := context.WithCancel(context.Background())
		if err := s.Start(sctx); err != nil {
			stop()
			t.Fatalf("start model server %s: %v", v, err)
		}
		t.Cleanup(func() {
			stop()
			if err := s.Close(); err != nil {
				t.Errorf("close model server %s: %v", v, err)
			}
		})
		mv := router.ModelVersion{Service: valService, Version: router.MustParseVersion(v), Backends: []router.Backend{{Address: s.GRPCAddr()}}}
		if _, err := c.PutVersion(ctx, mv, opts); err != nil {
			t.Fatalf("register %s: %v", v, err)
		}
	}
	rt := router.RouteTable{Service: valService, Split: []router.Split{{Version: router.MustParseVersion(valStable), Weight: router.TotalWeight}}}
	if _, err := c.SetRoutes(ctx, rt, opts); err != nil {
		t.Fatalf("routes: %v", err)
	}
}

// fileSHA256 returns the hex SHA-256 of a file's bytes.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// runID returns the id on the first line of `validate run` or `validate get` output.
func runID(t *testing.T, out string) string {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	id, ok := strings.CutPrefix(first, "Validation ")
	if !ok || id == "" {
		t.Fatalf("output does not start with the run's id:\n%s", out)
	}
	return id
}

// decodeValidation decodes a record printed with --json and its evidence.
func decodeValidation(t *testing.T, out string) (api.ValidationRecord, clinical.Result) {
	t.Helper()
	var rec api.ValidationRecord
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("not a validation record: %v\n%s", err, out)
	}
	var res clinical.Result
	if len(rec.Evidence) == 0 {
		t.Fatalf("run %s (%s) has no evidence: %s", rec.ID, rec.Verdict, rec.Reason)
	}
	if err := json.Unmarshal(rec.Evidence, &res); err != nil {
		t.Fatalf("evidence of %s: %v", rec.ID, err)
	}
	return rec, res
}
