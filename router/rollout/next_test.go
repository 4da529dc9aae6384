package rollout

import (
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/router"
)

var (
	t0     = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	stable = router.MustParseVersion("1.0.0-PRODUCTION")
	cand   = router.MustParseVersion("1.1.0-CLINICALVALID")
)

func canarySpec() *Spec {
	return &Spec{
		ID: "svc-1", Service: "svc", Strategy: Canary, Plan: "standard",
		Stable: stable, Candidate: cand,
		Steps: []Step{
			{Weight: 500, Bake: router.Duration(30 * time.Second)},
			{Weight: 2500, Bake: router.Duration(60 * time.Second), Analysis: []string{"errors"}},
			{Weight: 5000, Bake: router.Duration(60 * time.Second)},
		},
		TesterPin:   &router.HeaderPin{Header: "x-canary", Value: "true", Version: cand},
		AckCoverage: 1, Limits: Limits{Errors: 2}, ProgressDeadline: router.Duration(2 * time.Minute),
		EvaluationInterval: router.Duration(time.Second),
	}
}

func blueGreenSpec() *Spec {
	return &Spec{
		ID: "svc-2", Service: "svc", Strategy: BlueGreen, Plan: "bg", Stable: stable, Candidate: cand,
		Steps:       []Step{{Weight: router.TotalWeight}},
		TesterPin:   &router.HeaderPin{Header: "x-vigil-version", Value: cand.String(), Version: cand},
		AckCoverage: 1, Validation: "golden",
		PostSwitchWindow: router.Duration(2 * time.Minute), FastRollbackWindow: router.Duration(5 * time.Minute),
		ProgressDeadline: router.Duration(2 * time.Minute), EvaluationInterval: router.Duration(time.Second),
	}
}

// sim drives a rollout round by round on logical time.
type sim struct {
	t       *testing.T
	spec    *Spec
	st      Status
	now     time.Time
	actions []Action
	index   uint64
}

func newSim(t *testing.T, spec *Spec) *sim {
	return &sim{t: t, spec: spec, st: Initial(), now: t0, index: 100}
}

// round advances the clock by d and applies obs; route changes get a fresh index as the
// controller would assign.
func (s *sim) round(d time.Duration, obs Observation) []Action {
	s.t.Helper()
	s.now = s.now.Add(d)
	obs.Now = s.now
	var acts []Action
	s.st, acts = Next(s.spec, s.st, obs)
	for _, a := range acts {
		if _, ok := a.(SetRoutes); ok {
			s.index++
			s.st.RoutesIndex = s.index
			s.st.RoutesPending = false
		}
	}
	s.actions = append(s.actions, acts...)
	return acts
}

func healthy(keys ...string) []TriggerResult {
	var out []TriggerResult
	for _, k := range keys {
		out = append(out, TriggerResult{Key: k, Kind: TriggerHealthy, Action: ActRollbackImmediately})
	}
	return out
}

var acked = &Coverage{Fraction: 1}

func (s *sim) want(phase Phase) {
	s.t.Helper()
	if s.st.Phase != phase {
		s.t.Fatalf("phase %s (%s), want %s", s.st.Phase, s.st.Reason, phase)
	}
}

func lastRoutes(acts []Action) *SetRoutes {
	var out *SetRoutes
	for _, a := range acts {
		if r, ok := a.(SetRoutes); ok {
			out = &r
		}
	}
	return out
}

func candidateWeight(r *SetRoutes) router.BasisPoints { return weightOf(r, cand) }

func weightOf(r *SetRoutes, v router.Version) router.BasisPoints {
	for _, s := range r.Split {
		if s.Version == v {
			return s.Weight
		}
	}
	return 0
}

func hasNotify(acts []Action, kind EventKind) bool {
	for _, a := range acts {
		if n, ok := a.(Notify); ok && n.Event == kind {
			return true
		}
	}
	return false
}

func TestCanaryHappyPath(t *testing.T) {
	s := newSim(t, canarySpec())
	if acts := s.round(0, Observation{}); len(acts) != 0 {
		t.Fatalf("cold candidate: actions %v, want none", acts)
	}
	s.want(Pending)
	if !strings.Contains(s.st.Reason, "make-before-break") {
		t.Fatalf("reason %q", s.st.Reason)
	}
	r := lastRoutes(s.round(time.Second, Observation{CandidateWarm: true}))
	s.want(Progressing)
	if r == nil || candidateWeight(r) != 500 || r.Pin == nil || r.Urgent {
		t.Fatalf("first step routes = %+v, want 5%% with the tester pin", r)
	}
	// Not applied until ACKed: bake does not start.
	s.round(40*time.Second, Observation{Triggers: healthy("canary/errors")})
	if s.st.BakeObserved != 0 || s.st.Step != 0 {
		t.Fatalf("bake accrued before the step was ACKed: %s", s.st.BakeObserved)
	}
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/errors")})
	for i := 0; i < 29; i++ {
		s.round(time.Second, Observation{Triggers: healthy("canary/errors")})
	}
	if s.st.Step != 0 {
		t.Fatalf("advanced after %s of bake, want 30s", s.st.BakeObserved)
	}
	r = lastRoutes(s.round(time.Second, Observation{Triggers: healthy("canary/errors")}))
	if r == nil || candidateWeight(r) != 2500 || s.st.Step != 1 {
		t.Fatalf("second step routes = %+v (step %d)", r, s.st.Step)
	}
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/errors")})
	for i := 0; i < 60; i++ {
		s.round(time.Second, Observation{Triggers: healthy("canary/errors")})
	}
	var req *RunAnalysis
	for _, a := range s.actions {
		if r, ok := a.(RunAnalysis); ok {
			req = &r
		}
	}
	if req == nil || req.Judges[0] != "errors" || s.st.Step != 1 {
		t.Fatalf("analysis not requested at the end of step 2's bake: %+v", req)
	}
	r = lastRoutes(s.round(time.Second, Observation{Triggers: healthy("canary/errors"), Analysis: []AnalysisResult{{Judge: "errors", Outcome: AnalysisPass}}}))
	if r == nil || candidateWeight(r) != 5000 {
		t.Fatalf("after a passing analysis: %+v", r)
	}
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/errors")})
	for i := 0; i < 60; i++ {
		s.round(time.Second, Observation{Triggers: healthy("canary/errors")})
	}
	s.want(Promoting)
	if r := lastRoutes(s.actions); candidateWeight(r) != router.TotalWeight || !r.RemovePin {
		t.Fatalf("promotion routes = %+v", r)
	}
	acts := s.round(time.Second, Observation{Coverage: acked})
	s.want(Promoted)
	if !hasNotify(acts, EventPromoted) || s.st.FinishedAt.IsZero() {
		t.Fatal("promotion not announced")
	}
	if acts := s.round(time.Second, Observation{Command: &Command{Kind: CmdRollback, By: "x"}}); len(acts) != 0 || s.st.Phase != Promoted {
		t.Fatal("a terminal rollout changed")
	}
}

// TestMissingDataNeverAdvances: bake only accrues in rounds where every trigger had data.
func TestMissingDataNeverAdvances(t *testing.T) {
	for _, kind := range []TriggerKind{TriggerNoData, TriggerError} {
		s := newSim(t, canarySpec())
		s.round(0, Observation{CandidateWarm: true})
		s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/a")})
		for i := 0; i < 300; i++ {
			obs := Observation{Triggers: []TriggerResult{{Key: "canary/a", Kind: kind}, {Key: "canary/b", Kind: TriggerHealthy}}}
			if i%2 == 0 {
				obs.Triggers = nil // not evaluated this round
			}
			s.round(time.Second, obs)
		}
		if s.st.Step != 0 || s.st.BakeObserved != 0 || s.st.Phase != Progressing {
			t.Fatalf("%v: step %d bake %s phase %s after 5 minutes without data", kind, s.st.Step, s.st.BakeObserved, s.st.Phase)
		}
		// An ignored no-data trigger does not hold.
		s.round(time.Second, Observation{Triggers: []TriggerResult{{Key: "canary/a", Kind: TriggerNoData, Ignored: true}}})
		s.round(time.Second, Observation{Triggers: []TriggerResult{{Key: "canary/a", Kind: TriggerNoData, Ignored: true}}})
		if s.st.BakeObserved != router.Duration(2*time.Second) {
			t.Fatalf("ignored no-data: bake %s, want 2s", s.st.BakeObserved)
		}
	}
}

// TestFailoverGapIsNotBake: a round after a long gap (no leader evaluated) accrues at most
// two evaluation intervals.
func TestFailoverGapIsNotBake(t *testing.T) {
	s := newSim(t, canarySpec())
	s.round(0, Observation{CandidateWarm: true})
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/a")})
	s.round(time.Second, Observation{Triggers: healthy("canary/a")})
	s.round(25*time.Second, Observation{Triggers: healthy("canary/a")})
	if s.st.BakeObserved != router.Duration(3*time.Second) || s.st.Step != 0 {
		t.Fatalf("bake %s step %d after a 25s gap, want 3s at step 0", s.st.BakeObserved, s.st.Step)
	}
}

func TestCriticalTriggerRollsBackFromEveryActivePhase(t *testing.T) {
	breach := []TriggerResult{{Key: "canary/accuracy", Kind: TriggerBreached, Action: ActRollbackImmediately, Message: "accuracy 0.61 below 0.80"}}
	setups := map[string]func(*sim){
		"progressing": func(s *sim) {},
		"paused":      func(s *sim) { s.round(time.Second, Observation{Command: &Command{Kind: CmdPause, By: "op"}}) },
		"awaiting approval": func(s *sim) {
			s.spec.Steps[1].Confirm = true
			for i := 0; i < 31; i++ {
				s.round(time.Second, Observation{Triggers: healthy("canary/accuracy")})
			}
		},
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, canarySpec())
			s.round(0, Observation{CandidateWarm: true})
			s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/accuracy")})
			setup(s)
			acts := s.round(time.Second, Observation{Triggers: breach})
			s.want(RollingBack)
			r := lastRoutes(acts)
			if r == nil || !r.Urgent || candidateWeight(r) != 0 || !r.RemovePin {
				t.Fatalf("rollback routes = %+v, want an urgent weight 0 without the pin", r)
			}
			if !strings.Contains(s.st.Cause, "accuracy 0.61 below 0.80") {
				t.Fatalf("cause %q does not carry the evidence", s.st.Cause)
			}
			s.round(time.Second, Observation{Coverage: &Coverage{Fraction: 0.5}})
			s.want(RollingBack) // done only when every proxy ACKed weight 0
			acts = s.round(time.Second, Observation{Coverage: acked})
			s.want(RolledBack)
			if !hasNotify(acts, EventRolledBack) {
				t.Fatal("rollback completion not announced")
			}
		})
	}
}

func TestRollbackAfterWarning(t *testing.T) {
	breach := func() []TriggerResult {
		return []TriggerResult{{Key: "canary/error_rate", Kind: TriggerBreached, Action: ActRollbackAfterWarning, WarningPeriod: 30 * time.Second, Message: "0.13 > 0.10"}}
	}
	s := newSim(t, canarySpec())
	s.round(0, Observation{CandidateWarm: true})
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/error_rate")})
	acts := s.round(time.Second, Observation{Triggers: breach()})
	if !hasNotify(acts, EventWarning) || s.st.Phase != Progressing {
		t.Fatal("first breach must warn, not roll back")
	}
	s.round(10*time.Second, Observation{Triggers: breach()})
	s.round(time.Second, Observation{Triggers: healthy("canary/error_rate")}) // recovers: warning cleared
	s.round(time.Second, Observation{Triggers: breach()})
	s.round(29*time.Second, Observation{Triggers: breach()})
	s.want(Progressing)
	s.round(2*time.Second, Observation{Triggers: breach()})
	s.want(RollingBack)
}

func TestNackAndDeadlinePause(t *testing.T) {
	s := newSim(t, canarySpec())
	s.round(0, Observation{CandidateWarm: true})
	acts := s.round(time.Second, Observation{Coverage: &Coverage{Fraction: 0.5, Rejected: []string{"envoy-1@node-1: unknown field"}}})
	s.want(Paused)
	if !hasNotify(acts, EventAlert) || !strings.Contains(s.st.Reason, "unknown field") {
		t.Fatalf("NACK: reason %q", s.st.Reason)
	}
	s.round(time.Second, Observation{Command: &Command{Kind: CmdResume, By: "op"}})
	s.want(Progressing)
	s.round(3*time.Minute, Observation{Coverage: &Coverage{Fraction: 0.5}})
	s.want(Paused)
	if !strings.Contains(s.st.Reason, "progress deadline") {
		t.Fatalf("deadline: reason %q", s.st.Reason)
	}
}

func TestGates(t *testing.T) {
	spec := canarySpec()
	spec.ConfirmBeforeStart, spec.ConfirmBeforePromotion = true, true
	spec.Steps = spec.Steps[:1]
	s := newSim(t, spec)
	acts := s.round(0, Observation{CandidateWarm: true})
	s.want(AwaitingApproval)
	if s.st.Gate.Position != GateBeforeStart {
		t.Fatalf("gate %+v", s.st.Gate)
	}
	var called bool
	for _, a := range acts {
		if g, ok := a.(CallGate); ok && g.Position == GateBeforeStart {
			called = true
		}
	}
	if !called {
		t.Fatal("gate webhooks not called")
	}
	s.round(time.Second, Observation{CandidateWarm: true, Gate: &GateAnswer{Approved: false}})
	s.want(AwaitingApproval)
	s.round(time.Second, Observation{CandidateWarm: true, Gate: &GateAnswer{Approved: true, By: "change-board", Reason: "CAB-123"}})
	s.want(Progressing)
	if a := s.st.Approvals[GateBeforeStart]; a.By != "change-board" || a.Reason != "CAB-123" || a.At.IsZero() {
		t.Fatalf("approval not recorded: %+v", a)
	}
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/x")})
	for i := 0; i < 30; i++ {
		s.round(time.Second, Observation{Triggers: healthy("canary/x")})
	}
	s.want(AwaitingApproval)
	if s.st.Gate.Position != GateBeforePromotion {
		t.Fatalf("gate %+v", s.st.Gate)
	}
	s.round(time.Second, Observation{Command: &Command{Kind: CmdPromote, By: "alice", Reason: "reviewed evidence"}})
	s.want(Promoting)
}

func TestAnalysisLimits(t *testing.T) {
	toAnalysis := func(s *sim) {
		s.round(0, Observation{CandidateWarm: true})
		s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/x")})
		for i := 0; i < 31; i++ {
			s.round(time.Second, Observation{Triggers: healthy("canary/x")})
		}
		s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/x")})
		for i := 0; i < 61 && !s.st.AnalysisRequested; i++ {
			s.round(time.Second, Observation{Triggers: healthy("canary/x")})
		}
		if !s.st.AnalysisRequested {
			t.Fatal("no analysis requested")
		}
	}
	t.Run("fail rolls back", func(t *testing.T) {
		s := newSim(t, canarySpec())
		toAnalysis(s)
		s.round(time.Second, Observation{Triggers: healthy("canary/x"), Analysis: []AnalysisResult{{Judge: "errors", Outcome: AnalysisFail, Message: "canary error rate above baseline by 0.04 (margin 0.01)"}}})
		s.want(RollingBack)
	})
	t.Run("errors retry then roll back", func(t *testing.T) {
		s := newSim(t, canarySpec())
		toAnalysis(s)
		for i := 0; i < 2; i++ {
			s.round(time.Second, Observation{Triggers: healthy("canary/x"), Analysis: []AnalysisResult{{Judge: "errors", Outcome: AnalysisError, Message: "prometheus unreachable"}}})
			s.want(Progressing)
			s.round(time.Second, Observation{Triggers: healthy("canary/x")}) // re-requested
			if !s.st.AnalysisRequested {
				t.Fatal("analysis not re-requested after an error")
			}
		}
		s.round(time.Second, Observation{Triggers: healthy("canary/x"), Analysis: []AnalysisResult{{Judge: "errors", Outcome: AnalysisError}}})
		s.want(RollingBack)
	})
	t.Run("inconclusive waits for a person", func(t *testing.T) {
		s := newSim(t, canarySpec())
		toAnalysis(s)
		s.round(time.Second, Observation{Triggers: healthy("canary/x"), Analysis: []AnalysisResult{{Judge: "errors", Outcome: AnalysisInconclusive, Message: "120 requests per arm, 200 needed"}}})
		s.want(AwaitingApproval)
		s.round(time.Second, Observation{Command: &Command{Kind: CmdPromote, By: "alice"}})
		if s.st.Phase != Progressing || s.st.Step != 2 {
			t.Fatalf("after approval: %s step %d", s.st.Phase, s.st.Step)
		}
	})
}

func TestManualCommands(t *testing.T) {
	s := newSim(t, canarySpec())
	s.round(0, Observation{CandidateWarm: true})
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("canary/x")})
	s.round(time.Second, Observation{Command: &Command{Kind: CmdPromote, By: "alice"}})
	if s.st.Step != 1 {
		t.Fatalf("promote did not skip the bake: step %d", s.st.Step)
	}
	s.round(time.Second, Observation{Command: &Command{Kind: CmdPromote, Full: true, By: "alice"}})
	s.want(Promoting)

	s = newSim(t, canarySpec())
	s.round(0, Observation{CandidateWarm: true})
	s.round(time.Second, Observation{Command: &Command{Kind: CmdAbort, By: "bob", Reason: "wrong build"}})
	s.want(RollingBack)
	s.round(time.Second, Observation{Coverage: acked})
	s.want(Aborted)
	if !strings.Contains(s.st.Cause, "bob: wrong build") {
		t.Fatalf("cause %q", s.st.Cause)
	}
}

func TestBlueGreen(t *testing.T) {
	start := func(t *testing.T) *sim {
		s := newSim(t, blueGreenSpec())
		r := lastRoutes(s.round(0, Observation{CandidateWarm: true}))
		s.want(Validating)
		if r == nil || candidateWeight(r) != 0 || r.Pin == nil || r.Pin.Header != "x-vigil-version" {
			t.Fatalf("validation route = %+v, want the pin and no traffic", r)
		}
		acts := s.round(time.Second, Observation{Coverage: acked})
		var run bool
		for _, a := range acts {
			_, run = a.(RunValidation)
		}
		if !run || !s.st.ValidationRequested {
			t.Fatal("validation not started once the pin was ACKed")
		}
		return s
	}
	t.Run("passed, switched, promoted", func(t *testing.T) {
		s := start(t)
		r := lastRoutes(s.round(time.Minute, Observation{Validation: &ValidationResult{RunID: "v1", Verdict: ValidationPassed}}))
		if r == nil || candidateWeight(r) != router.TotalWeight {
			t.Fatalf("switch routes = %+v", r)
		}
		s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("green/x")})
		if s.st.SwitchedAt.IsZero() {
			t.Fatal("switch time not recorded at the ACK")
		}
		s.round(time.Minute, Observation{Triggers: healthy("green/x")})
		s.want(Progressing)
		s.round(61*time.Second, Observation{Triggers: healthy("green/x")})
		s.want(Promoted)
	})
	t.Run("post-switch breach falls back to blue", func(t *testing.T) {
		s := start(t)
		s.round(time.Minute, Observation{Validation: &ValidationResult{RunID: "v1", Verdict: ValidationPassed}})
		s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("green/x")})
		r := lastRoutes(s.round(30*time.Second, Observation{Triggers: []TriggerResult{{Key: "green/x", Kind: TriggerBreached, Action: ActRollbackImmediately}}}))
		s.want(RollingBack)
		if candidateWeight(r) != 0 || !r.Urgent {
			t.Fatalf("fast rollback routes = %+v", r)
		}
	})
	t.Run("failed validation moves no traffic", func(t *testing.T) {
		s := start(t)
		r := lastRoutes(s.round(time.Minute, Observation{Validation: &ValidationResult{RunID: "v1", Verdict: ValidationFailed, Reason: "sensitivity.lower 0.61 < 0.85"}}))
		s.want(Failed)
		if candidateWeight(r) != 0 || !r.RemovePin {
			t.Fatalf("after a failed validation: %+v", r)
		}
	})
	t.Run("inconclusive validation waits for a person", func(t *testing.T) {
		s := start(t)
		s.round(time.Minute, Observation{Validation: &ValidationResult{RunID: "v1", Verdict: ValidationInconclusive}})
		s.want(AwaitingApproval)
		s.round(time.Second, Observation{Command: &Command{Kind: CmdPromote, By: "cso", Reason: "reviewed"}})
		s.want(Progressing)
	})
	t.Run("promotion refused before validation", func(t *testing.T) {
		s := start(t)
		s.round(time.Second, Observation{Command: &Command{Kind: CmdPromote, Full: true, By: "eve"}})
		s.want(Validating)
	})
}

func TestRestoreFastTrack(t *testing.T) {
	spec := &Spec{ID: "svc-3", Service: "svc", Strategy: Restore, Stable: cand, Candidate: stable,
		Steps: []Step{{Weight: router.TotalWeight}}, FastTrack: true, AckCoverage: 1, Validation: "golden"}
	s := newSim(t, spec)
	r := lastRoutes(s.round(0, Observation{CandidateWarm: true}))
	if weightOf(r, stable) != router.TotalWeight {
		t.Fatalf("fast-tracked restore routes = %+v, want all traffic at once", r)
	}
	s.round(time.Second, Observation{Coverage: acked, Triggers: healthy("stable/x")})
	s.want(RolledBack)
}
