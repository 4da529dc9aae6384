package clinical_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/examples/modelserver"
	"github.com/seed70a3350f/vigil/internal/oip"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/safety/clinical"
)

const (
	service         = "breast-cancer-dx"
	degradedVersion = "1.2.0-CLINICALVALID"
	pinHeader       = policies.DefaultValidationHeader // x-vigil-version
)

// mesh is a real dev node of xds-server with the three demo model versions registered,
// each reachable through a header pin, and a proxyless gRPC client of xds:///SERVICE.
type mesh struct {
	api     *api.Client
	conn    *grpc.ClientConn
	servers map[string]*modelserver.Server
	routes  router.RouteTable
}

// startModelServer serves one demo model version on loopback, closed at cleanup.
func startModelServer(t testing.TB, version string) *modelserver.Server {
	t.Helper()
	s, err := modelserver.New(modelserver.Options{ModelFile: "../../examples/models/" + version + ".json", ServiceName: service,
		RESTAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", Seed: 7})
	if err != nil {
		t.Fatalf("model server %s: %v", version, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatalf("start model server %s: %v", version, err)
	}
	t.Cleanup(func() {
		cancel()
		if err := s.Close(); err != nil {
			t.Errorf("close model server %s: %v", version, err)
		}
	})
	return s
}

// startMesh registers 1.0.0-PRODUCTION (all weighted traffic), 1.1.0 and 1.2.0 on a dev
// node through its admin API, pins each version with x-vigil-version, and waits until
// the proxyless client routes every pin to its version.
func startMesh(t testing.TB) *mesh {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	node := vigiltest.StartDev(t)
	m := &mesh{api: vigiltest.Client(node), servers: map[string]*modelserver.Server{}}
	versions := []string{compVersion, candVersion, degradedVersion}
	opts := api.WriteOptions{Reason: "clinical validation test"}
	for _, v := range versions {
		s := startModelServer(t, v)
		m.servers[v] = s
		mv := router.ModelVersion{Service: service, Version: router.MustParseVersion(v), Backends: []router.Backend{{Address: s.GRPCAddr()}}}
		if _, err := m.api.PutVersion(ctx, mv, opts); err != nil {
			t.Fatalf("register %s: %v", v, err)
		}
	}
	m.routes = router.RouteTable{Service: service, Split: []router.Split{{Version: router.MustParseVersion(compVersion), Weight: router.TotalWeight}}}
	for _, v := range versions {
		m.routes = m.routes.Pin(pinHeader, v, router.MustParseVersion(v))
	}
	if _, err := m.api.SetRoutes(ctx, m.routes, opts); err != nil {
		t.Fatalf("set routes: %v", err)
	}
	m.conn = vigiltest.DialXDS(t, node.XDSAddr(), "clinical-validation", service).Conn
	for _, v := range versions {
		m.waitRouted(t, v, v)
	}
	return m
}

// waitRouted polls until a request pinned with x-vigil-version=pin is answered by want.
func (m *mesh) waitRouted(t testing.TB, pin, want string) {
	t.Helper()
	client := oip.NewGRPCInferenceServiceClient(m.conn)
	req, err := oip.NewModelInferRequest(service, "", "probe", [][]float64{make([]float64, 30)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	last := "no answer"
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), pinHeader, pin), 5*time.Second)
		resp, err := client.ModelInfer(ctx, req, grpc.WaitForReady(true))
		cancel()
		if err == nil && resp.GetModelVersion() == want {
			return
		}
		last = fmt.Sprintf("version %q, error %v", resp.GetModelVersion(), err)
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pin %s=%s never reached %s: last %s", pinHeader, pin, want, last)
}

func (m *mesh) target(version string) clinical.Target {
	return clinical.Target{Version: version, Conn: m.conn, Model: service, Metadata: []string{pinHeader, version}}
}

// setFaults puts faults in force on a model server through its REST admin endpoint.
func setFaults(t testing.TB, s *modelserver.Server, faults string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+s.RESTAddr()+"/admin/faults", strings.NewReader(faults))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("PUT /admin/faults: %v", err)
	}
	defer resp.Body.Close()
	var got modelserver.Faults
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /admin/faults %s: status %d, %v", faults, resp.StatusCode, err)
	}
}

// stepClock is a clock for evidence timestamps that advances one second per reading.
func stepClock(start time.Time) func() time.Time {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := now
		now = now.Add(time.Second)
		return t
	}
}

// exampleRun loads the example policy's golden block and its data set as the policy
// names them.
func exampleRun(t testing.TB) (*policies.Policy, *policies.ClinicalValidation, *clinical.Dataset) {
	t.Helper()
	pol, spec := exampleSpec(t)
	path := spec.DatasetLocation(pol.Filename)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("data set of the example policy: %v", err)
	}
	ds, err := clinical.LoadCSV("golden.csv", data, "malignant", "benign", spec.Subgroups)
	if err != nil {
		t.Fatal(err)
	}
	return pol, spec, ds
}

func TestValidationThroughMesh(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an xds-server node and three model servers")
	}
	m := startMesh(t)
	pol, spec, ds := exampleRun(t)
	started := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	run := func(t *testing.T, spec *policies.ClinicalValidation, candidate string, progress func(clinical.Progress)) *clinical.Result {
		t.Helper()
		comp := m.target(compVersion)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res, err := clinical.Run(ctx, clinical.Config{Spec: spec, Dataset: ds, Candidate: m.target(candidate), Comparator: &comp, PolicyHash: pol.Hash,
			MaxFailureFraction: clinical.DefaultMaxFailureFraction, Progress: progress, Now: stepClock(started)})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("evidence does not encode: %v", err)
		}
		return res
	}

	t.Run("good candidate passes every criterion on all cases", func(t *testing.T) {
		var mu sync.Mutex
		last := map[string]clinical.Progress{}
		calls := 0
		res := run(t, spec, candVersion, func(p clinical.Progress) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			last[p.Role] = p
		})
		if calls != 456 || last["candidate"] != (clinical.Progress{Role: "candidate", Version: candVersion, Done: 228, Total: 228}) ||
			last["comparator"] != (clinical.Progress{Role: "comparator", Version: compVersion, Done: 228, Total: 228}) {
			t.Errorf("progress: %d calls, last %+v", calls, last)
		}
		checkCommonEvidence(t, res, pol, candVersion)
		if res.Candidate.Metrics.Confusion != (clinical.Confusion{TP: 83, FN: 2, TN: 141, FP: 2}) {
			t.Errorf("candidate confusion %+v, want TP 83 FN 2 TN 141 FP 2 (docs/demo-models.md)", res.Candidate.Metrics.Confusion)
		}
		for _, cr := range res.Criteria {
			if cr.Outcome != clinical.OutcomePass {
				t.Errorf("%s: %s (%s), want pass", cr.Source, cr.Outcome, cr.Reason)
			}
		}
		sens := res.Paired.Endpoints[0]
		if sens.ComparatorOnlyRight != 0 || sens.CandidateOnlyRight != 2 || res.Paired.McNemar.B != 0 || res.Paired.McNemar.C != 2 {
			t.Errorf("paired sensitivity %+v, McNemar %+v; want b 0, c 2", sens, res.Paired.McNemar)
		}
		if res.Verdict != clinical.Passed || len(res.Subgroups) != 0 || len(res.Reasons) != 1 {
			t.Fatalf("verdict %s, subgroups %d, reasons %q; want PASSED", res.Verdict, len(res.Subgroups), res.Reasons)
		}

		// The golden set's only subgroup column, size_band, is confounded with the
		// diagnosis: 7 large benign and 18 small malignant cases. No specificity bound of
		// 0.85 can be shown on 7 cases (even 7/7 has a Wilson lower bound of 0.646), so with
		// subgroup analysis the criteria there are inconclusive, never failed, and the run
		// fails closed.
		t.Run("with subgroup analysis on size_band it fails closed", func(t *testing.T) {
			bySize := *spec
			bySize.Subgroups, bySize.MinSubgroupCases = []string{"size_band"}, 20
			res := run(t, &bySize, candVersion, nil)
			if res.Verdict != clinical.Inconclusive {
				t.Fatalf("verdict %s, want INCONCLUSIVE from the under-sized subgroup cells; reasons %q", res.Verdict, res.Reasons)
			}
			if res.CriteriaHash == clinical.CriteriaHash(spec) {
				t.Error("adding the subgroups did not change the criteria hash")
			}
			wantReasons := []string{
				"subgroup size_band=large: specificity.lower >= 0.85 inconclusive: specificity 0.857 [0.487, 0.974] on 7 cases",
				"subgroup size_band=large: noninferior(specificity, 0.05) inconclusive: specificity difference 0.0000 [-0.3543, 0.3543] on 7 cases",
				"subgroup size_band=small: sensitivity.lower >= 0.85 inconclusive: sensitivity 0.889 [0.672, 0.969] on 18 cases",
				"subgroup size_band=small: noninferior(sensitivity, 0.05) inconclusive: sensitivity difference 0.0556 [-0.1301, 0.2576] on 18 cases",
			}
			if len(res.Reasons) != len(wantReasons) {
				t.Fatalf("reasons %q, want %d", res.Reasons, len(wantReasons))
			}
			for i, w := range wantReasons {
				if !strings.HasPrefix(res.Reasons[i], w) {
					t.Errorf("reason %d = %q, want prefix %q", i, res.Reasons[i], w)
				}
			}
			if len(res.Subgroups) != 2 || res.Subgroups[0].Value != "large" || res.Subgroups[1].Value != "small" ||
				res.Subgroups[0].Cases != 74 || res.Subgroups[1].Cases != 154 {
				t.Errorf("subgroups %+v", res.Subgroups)
			}
		})
	})

	t.Run("degraded candidate fails", func(t *testing.T) {
		res := run(t, spec, degradedVersion, nil)
		checkCommonEvidence(t, res, pol, degradedVersion)
		if res.Verdict != clinical.Failed {
			t.Fatalf("verdict %s, want FAILED; reasons %q", res.Verdict, res.Reasons)
		}
		cm := res.Candidate.Metrics
		if cm.Confusion != (clinical.Confusion{TP: 61, FN: 24, TN: 125, FP: 18}) {
			t.Errorf("candidate confusion %+v, want TP 61 FN 24 TN 125 FP 18 (docs/demo-models.md)", cm.Confusion)
		}
		// docs/demo-models.md: 61/85 = 0.718 (0.614-0.802), 125/143 = 0.874 (0.810-0.919).
		approx(t, "sensitivity lower", cm.Sensitivity.Lower, 0.614, 5e-4)
		approx(t, "sensitivity upper", cm.Sensitivity.Upper, 0.802, 5e-4)
		approx(t, "specificity lower", cm.Specificity.Lower, 0.810, 5e-4)
		approx(t, "specificity upper", cm.Specificity.Upper, 0.919, 5e-4)
		if cm.Sensitivity.Method != "wilson" || cm.Sensitivity.Level != 0.95 || cm.PPV.Successes != 61 || cm.PPV.Trials != 79 || cm.NPV.Trials != 149 {
			t.Errorf("metrics %+v", cm)
		}
		if !(cm.AUC.Estimate > 0.85 && cm.AUC.Estimate < 0.95) || !(res.Comparator.Metrics.AUC.Estimate > 0.99) {
			t.Errorf("AUC candidate %v, comparator %v", cm.AUC.Estimate, res.Comparator.Metrics.AUC.Estimate)
		}
		want := map[string]struct {
			outcome clinical.Outcome
			b, c    int
		}{
			"sensitivity.lower >= 0.85":      {clinical.OutcomeFail, 0, 0},
			"specificity.lower >= 0.85":      {clinical.OutcomeInconclusive, 0, 0},
			"noninferior(sensitivity, 0.05)": {clinical.OutcomeFail, 21, 1},
			"noninferior(specificity, 0.05)": {clinical.OutcomeFail, 18, 2},
		}
		for src, w := range want {
			cr := criterionBySource(t, res.Criteria, src)
			if cr.Outcome != w.outcome {
				t.Errorf("%s: %s (%s), want %s", src, cr.Outcome, cr.Reason, w.outcome)
			}
			if cr.Kind == "noninferior" {
				e := res.Paired.EndpointByName(cr.Metric)
				if e.ComparatorOnlyRight != w.b || e.CandidateOnlyRight != w.c || !(float64(cr.Upper) < -0.05) || cr.Margin != 0.05 {
					t.Errorf("%s: endpoint %+v, criterion %+v", src, e, cr)
				}
			}
		}
		sens := criterionBySource(t, res.Criteria, "sensitivity.lower >= 0.85")
		if sens.Bound != "lower" || sens.Goal != 0.85 || sens.Cases != 85 || sens.Upper != cm.Sensitivity.Upper {
			t.Errorf("sensitivity criterion numbers %+v", sens)
		}
		if mc := res.Paired.McNemar; mc.B != 39 || mc.C != 3 || mc.Method != "asymptotic" || !(mc.PValueCandidateWorse < 1e-6) {
			t.Errorf("McNemar %+v, want b 39, c 3, asymptotic, one-sided p < 1e-6", mc)
		}
		if !strings.HasPrefix(res.Reasons[0], "sensitivity.lower >= 0.85 fail: sensitivity 0.718 [0.614, 0.802] on 85 cases: even the upper bound 0.8023 is below goal 0.85") {
			t.Errorf("first reason %q", res.Reasons[0])
		}
	})

	t.Run("a pin routed to the wrong version is inconclusive", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		opts := api.WriteOptions{Reason: "clinical validation test: misroute the candidate pin"}
		if _, err := m.api.Pin(ctx, service, router.HeaderPin{Header: pinHeader, Value: candVersion, Version: router.MustParseVersion(compVersion)}, opts); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := m.api.SetRoutes(context.Background(), m.routes, opts); err != nil {
				t.Errorf("restore routes: %v", err)
			}
			m.waitRouted(t, candVersion, candVersion)
		})
		m.waitRouted(t, candVersion, compVersion)
		res := run(t, spec, candVersion, nil)
		if res.Verdict != clinical.Inconclusive {
			t.Fatalf("verdict %s, want INCONCLUSIVE; reasons %q", res.Verdict, res.Reasons)
		}
		calls := res.Candidate.Calls
		if calls.WrongVersion != 228 || len(calls.WrongVersions) != 1 || calls.WrongVersions[0] != (clinical.VersionCount{Version: compVersion, Cases: 228}) || calls.Answered != 0 {
			t.Errorf("candidate calls %+v, want all 228 answered by %s", calls, compVersion)
		}
		want := "candidate 1.1.0-CLINICALVALID: 228 of 228 calls were handled by another version (1.0.0-PRODUCTION: 228): the routing cannot be trusted"
		if res.Reasons[0] != want {
			t.Errorf("first reason %q, want %q", res.Reasons[0], want)
		}
		if res.Candidate.Metrics.Confusion != (clinical.Confusion{FN: 85, FP: 143}) {
			t.Errorf("answers of the wrong version counted: %+v", res.Candidate.Metrics.Confusion)
		}
	})

	t.Run("a model server failing 30 % of requests is inconclusive", func(t *testing.T) {
		setFaults(t, m.servers[candVersion], `{"error_rate":0.3}`)
		t.Cleanup(func() { setFaults(t, m.servers[candVersion], `{}`) })
		res := run(t, spec, candVersion, nil)
		if res.Verdict != clinical.Inconclusive {
			t.Fatalf("verdict %s, want INCONCLUSIVE; reasons %q", res.Verdict, res.Reasons)
		}
		calls := res.Candidate.Calls
		// 228 independent draws at 0.3: fewer than 30 or more than 110 failures has a
		// probability below 1e-9.
		if calls.Failed < 30 || calls.Failed > 110 || calls.FailuresByCode["Internal"] != calls.Failed || calls.Answered != 228-calls.Failed || calls.WrongVersion != 0 {
			t.Errorf("candidate calls %+v, want about 68 Internal failures", calls)
		}
		if !strings.Contains(res.Reasons[0], fmt.Sprintf("candidate 1.1.0-CLINICALVALID: %d of 228 calls failed", calls.Failed)) ||
			!strings.Contains(res.Reasons[0], "more than the 5.0 % tolerated (Internal: ") || !strings.HasSuffix(res.Reasons[0], "the model could not be measured") {
			t.Errorf("first reason %q", res.Reasons[0])
		}
		if res.Comparator.Calls.Failed != 0 {
			t.Errorf("comparator failures %+v", res.Comparator.Calls)
		}
	})
}

// checkCommonEvidence checks the parts of the evidence record every run against the
// example policy shares.
func checkCommonEvidence(t *testing.T, res *clinical.Result, pol *policies.Policy, candidate string) {
	t.Helper()
	if res.Validation != "golden" || res.PolicyHash != pol.Hash || !strings.HasPrefix(pol.Hash, "sha256:") {
		t.Errorf("validation %q, policy hash %q (policy %q)", res.Validation, res.PolicyHash, pol.Hash)
	}
	if res.CriteriaHash != "sha256:e43a35a1c7a5c7d5ae8548db08b11faabd1cd666f95978e2862cc81c1d96314d" {
		t.Errorf("criteria hash %s", res.CriteriaHash)
	}
	want := clinical.DatasetSummary{Name: "golden.csv", SHA256: goldenCSVSHA256, Cases: 228, Positives: 85, Negatives: 143, PositiveLabel: "malignant", NegativeLabel: "benign"}
	if res.Dataset != want {
		t.Errorf("data set %+v, want %+v", res.Dataset, want)
	}
	s := res.Settings
	if s.Confidence != 0.95 || s.Interval != "wilson" || s.MinCases != 100 || s.MinPositiveCases != 30 || s.MinSubgroupCases != policies.DefaultSubgroupCases ||
		s.Against != "current" || s.Concurrency != 8 || s.Timeout != "5s" || s.MaxFailureFraction != clinical.DefaultMaxFailureFraction {
		t.Errorf("settings %+v", s)
	}
	if res.Candidate.Version != candidate || res.Candidate.PinnedBy != pinHeader+"="+candidate ||
		res.Comparator == nil || res.Comparator.Version != compVersion || res.Comparator.PinnedBy != pinHeader+"="+compVersion {
		t.Errorf("targets %+v / %+v", res.Candidate, res.Comparator)
	}
	if c := res.Comparator.Metrics.Confusion; c != (clinical.Confusion{TP: 81, FN: 4, TN: 141, FP: 2}) {
		t.Errorf("comparator confusion %+v, want TP 81 FN 4 TN 141 FP 2 (docs/demo-models.md)", c)
	}
	if c := res.Comparator.Calls; c.Total != 228 || c.Answered != 228 || c.Failed != 0 || c.WrongVersion != 0 {
		t.Errorf("comparator calls %+v", c)
	}
	for _, m := range res.Minimums {
		if !m.Met {
			t.Errorf("minimum %+v not met", m)
		}
	}
	tm := res.Timing
	if !tm.StartedAt.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) || tm.Seconds != 1 || tm.Calls != 456 || tm.CallsPerSecond != 456 || tm.CasesPerSecond != 228 {
		t.Errorf("timing %+v", tm)
	}
	var buf bytes.Buffer
	buf.WriteString(res.Summary())
	if !strings.Contains(buf.String(), res.Verdict.String()) {
		t.Errorf("summary lacks the verdict:\n%s", buf.String())
	}
}
