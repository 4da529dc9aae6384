package rollout

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/router"
)

// Gate positions.
const (
	GateBeforeStart            = "before_start"
	GateBeforeStep             = "before_step"
	GateBeforePromotion        = "before_promotion"
	GateValidationInconclusive = "validation_inconclusive"
	GateAnalysisInconclusive   = "analysis_inconclusive"
)

// Next advances a rollout by one observation. It is pure: the same inputs always give the
// same outputs. A terminal rollout is returned unchanged.
func Next(spec *Spec, st Status, obs Observation) (Status, []Action) {
	if st.Phase.Terminal() {
		return st, nil
	}
	m := &machine{spec: spec, st: st.clone(), obs: obs}
	m.step()
	m.st.LastTick = obs.Now
	return m.st, m.actions
}

func (s Status) clone() Status {
	out := s
	out.Warnings = maps.Clone(s.Warnings)
	out.Clocks = maps.Clone(s.Clocks)
	out.Approvals = maps.Clone(s.Approvals)
	if s.Gate != nil {
		g := *s.Gate
		out.Gate = &g
	}
	if s.Validation != nil {
		v := *s.Validation
		out.Validation = &v
	}
	return out
}

type machine struct {
	spec    *Spec
	st      Status
	obs     Observation
	actions []Action
	// justApplied: the routes were ACKed in this round, so the time since the previous
	// round is not bake time.
	justApplied bool
}

func (m *machine) emit(a Action) { m.actions = append(m.actions, a) }

func (m *machine) notify(kind EventKind, format string, args ...any) {
	m.emit(Notify{Event: kind, Message: fmt.Sprintf(format, args...)})
}

// observedElapsed is the time since the last evaluated round, at most two evaluation
// intervals (a longer gap, such as a leader failover, was not observed).
func (m *machine) observedElapsed() time.Duration {
	if m.st.LastEvaluated.IsZero() || !m.obs.Now.After(m.st.LastEvaluated) {
		return 0
	}
	d := m.obs.Now.Sub(m.st.LastEvaluated)
	if limit := 2 * m.spec.EvaluationInterval.Std(); limit > 0 && d > limit {
		d = limit
	}
	return d
}

func (m *machine) step() {
	if c := m.obs.Command; c != nil {
		if m.command(c) {
			return
		}
	}
	m.coverage()
	if m.st.Phase.Terminal() {
		return
	}
	dataOK, healthy := m.triggers()
	if m.obs.Triggers != nil {
		defer func() { m.st.LastEvaluated = m.obs.Now }()
	}
	if m.st.Phase == RollingBack || m.st.Phase.Terminal() {
		m.finishRollback()
		return
	}
	switch m.st.Phase {
	case Pending:
		m.pending()
	case Validating:
		m.validating()
	case Progressing:
		m.progressing(dataOK, healthy)
	case AwaitingApproval:
		m.awaiting()
	case Promoting:
		if m.st.RoutesApplied {
			m.st.Phase = Promoted
			m.st.FinishedAt = m.obs.Now
			m.st.Reason = "every step passed; the candidate serves all traffic"
			m.notify(EventPromoted, "%s %s promoted: it now serves 100%% of %s", m.spec.Strategy, m.spec.Candidate, m.spec.Service)
		}
	case Paused:
		// Only commands and triggers move a paused rollout.
	}
}

// command applies an operator's instruction. It returns true when nothing else should
// happen this round.
func (m *machine) command(c *Command) bool {
	who := c.By
	if c.Reason != "" {
		who += ": " + c.Reason
	}
	switch c.Kind {
	case CmdAbort:
		m.st.Aborting = true
		m.rollback("aborted by " + who)
		return true
	case CmdRollback:
		m.rollback("rollback ordered by " + who)
		return true
	case CmdPause:
		if m.st.Phase != Paused && m.st.Phase != RollingBack && m.st.Phase != Promoting {
			m.pause("paused by " + who)
		}
		return true
	case CmdResume:
		if m.st.Phase == Paused {
			m.st.Phase = m.st.PausedFrom
			m.st.PausedFrom = 0
			m.st.Reason = "resumed by " + who
			m.notify(EventResumed, "%s resumed by %s", m.spec.ID, who)
		}
		return false
	case CmdPromote:
		if m.st.Phase == Paused {
			m.st.Phase = m.st.PausedFrom
			m.st.PausedFrom = 0
		}
		m.promoteCommand(c, who)
		return true
	}
	return false
}

// promoteCommand approves the open gate, or moves on without the rest of the bake; with
// Full it promotes at once. It never overrides a FAILED validation or a rollback.
func (m *machine) promoteCommand(c *Command, who string) {
	switch m.st.Phase {
	case AwaitingApproval:
		m.approve(c.By, c.Reason)
		if c.Full && m.st.Phase == Progressing {
			m.promote("promoted in full by " + who)
		}
	case Progressing:
		if c.Full {
			m.promote("promoted in full by " + who)
			return
		}
		m.st.BakeObserved = m.currentStep().Bake
		m.st.Reason = "bake skipped by " + who
		m.advance()
	case Pending:
		if c.Full && (m.spec.Strategy == Canary) {
			m.promote("promoted in full by " + who)
		}
	case Validating:
		m.st.Reason = fmt.Sprintf("promotion by %s refused: the clinical validation has not passed", who)
	}
}

// coverage tracks the ACKs of the rollout's last route change.
func (m *machine) coverage() {
	if m.st.RoutesApplied || m.st.RoutesIndex == 0 || m.obs.Coverage == nil {
		return
	}
	cov := m.obs.Coverage
	rollingBack := m.st.Phase == RollingBack
	switch {
	case len(cov.Rejected) > 0:
		msg := "proxies rejected the routes (NACK): " + strings.Join(cov.Rejected, "; ")
		if rollingBack {
			if m.once("alert:nack") {
				m.notify(EventAlert, "%s: %s", m.spec.ID, msg)
			}
			return
		}
		m.pause(msg)
		m.notify(EventAlert, "%s paused: %s", m.spec.ID, msg)
	case cov.Fraction >= m.spec.AckCoverage:
		m.st.RoutesApplied = true
		m.justApplied = true
		m.st.LastEvaluated = m.obs.Now
		if m.isSwitchStep() {
			m.st.SwitchedAt = m.obs.Now
		}
	case m.spec.ProgressDeadline > 0 && m.obs.Now.Sub(m.st.RoutesSentAt) > m.spec.ProgressDeadline.Std():
		msg := fmt.Sprintf("only %.0f%% of proxies ACKed the routes within the progress deadline %s (%.0f%% required)",
			cov.Fraction*100, m.spec.ProgressDeadline, m.spec.AckCoverage*100)
		if rollingBack {
			if m.once("alert:deadline") {
				m.notify(EventAlert, "%s: %s", m.spec.ID, msg)
			}
			return
		}
		if m.st.Phase != Paused {
			m.pause(msg)
			m.notify(EventAlert, "%s paused: %s", m.spec.ID, msg)
		}
	}
}

// once records a key in Warnings and reports whether it is new (for one-shot alerts).
func (m *machine) once(key string) bool {
	if _, seen := m.st.Warnings[key]; seen {
		return false
	}
	if m.st.Warnings == nil {
		m.st.Warnings = map[string]time.Time{}
	}
	m.st.Warnings[key] = m.obs.Now
	return true
}

// trafficMoved reports whether the candidate may be receiving clinical traffic.
func (m *machine) trafficMoved() bool {
	switch m.st.Phase {
	case Progressing, Paused, AwaitingApproval, Promoting:
		return m.st.Step >= 0
	}
	return false
}

// triggers acts on this round's verdicts and reports whether every trigger had data
// (dataOK) and whether all were healthy.
func (m *machine) triggers() (dataOK, healthy bool) {
	if m.obs.Triggers == nil {
		return false, false
	}
	dataOK, healthy = true, true
	results := slices.Clone(m.obs.Triggers)
	slices.SortFunc(results, func(a, b TriggerResult) int { return strings.Compare(a.Key, b.Key) })
	for _, t := range results {
		switch t.Kind {
		case TriggerHealthy:
			m.clearWarning(t.Key)
			continue
		case TriggerNoData, TriggerError:
			if !t.Ignored {
				dataOK, healthy = false, false
			}
			continue
		case TriggerPending:
			healthy = false
			continue
		}
		healthy = false
		if !m.trafficMoved() {
			continue
		}
		switch t.Action {
		case ActRollbackImmediately:
			m.rollback(fmt.Sprintf("trigger %s breached: %s", t.Key, t.Message))
			return
		case ActRollbackAfterWarning:
			since, warned := m.st.Warnings["warn:"+t.Key]
			if !warned {
				m.once("warn:" + t.Key)
				m.notify(EventWarning, "%s: trigger %s breached (%s); rollback in %s unless it recovers", m.spec.ID, t.Key, t.Message, t.WarningPeriod)
			} else if m.obs.Now.Sub(since) >= t.WarningPeriod {
				m.rollback(fmt.Sprintf("trigger %s breached for its %s warning period: %s", t.Key, t.WarningPeriod, t.Message))
				return
			}
		case ActPause:
			if m.st.Phase != Paused {
				m.pause(fmt.Sprintf("trigger %s breached: %s", t.Key, t.Message))
			}
		case ActAlert:
			if m.once("alert:" + t.Key) {
				m.notify(EventAlert, "%s: trigger %s breached: %s", m.spec.ID, t.Key, t.Message)
			}
		}
	}
	return dataOK, healthy
}

func (m *machine) clearWarning(key string) {
	for _, prefix := range []string{"warn:", "alert:"} {
		if _, ok := m.st.Warnings[prefix+key]; ok {
			delete(m.st.Warnings, prefix+key)
			if prefix == "warn:" {
				m.notify(EventWarning, "%s: trigger %s recovered; warning cleared", m.spec.ID, key)
			}
		}
	}
}

func (m *machine) pause(reason string) {
	if m.st.Phase != Paused {
		m.st.PausedFrom = m.st.Phase
	}
	m.st.Phase = Paused
	m.st.Reason = reason
	m.notify(EventPaused, "%s paused: %s", m.spec.ID, reason)
}

// rollback sends all traffic back to stable in one urgent route change.
func (m *machine) rollback(cause string) {
	if m.st.Phase == RollingBack || m.st.Phase.Terminal() {
		return
	}
	m.st.Phase = RollingBack
	m.st.Cause = cause
	m.st.Reason = cause
	m.st.Gate = nil
	m.st.PausedFrom = 0
	m.setRoutes(SetRoutes{Split: m.spec.weights(0), RemovePin: true, Urgent: true, Reason: "rollback: " + cause})
	m.notify(EventRollingBack, "%s rolling back to %s: %s", m.spec.ID, m.spec.Stable, cause)
}

func (m *machine) finishRollback() {
	if m.st.Phase != RollingBack || !m.st.RoutesApplied {
		return
	}
	m.st.FinishedAt = m.obs.Now
	if m.st.Aborting {
		m.st.Phase = Aborted
		m.notify(EventAborted, "%s aborted; %s serves all traffic: %s", m.spec.ID, m.spec.Stable, m.st.Cause)
		return
	}
	m.st.Phase = RolledBack
	m.notify(EventRolledBack, "%s rolled back; %s serves all traffic: %s", m.spec.ID, m.spec.Stable, m.st.Cause)
}

// fail ends the rollout without moving traffic any further (traffic goes back to stable).
func (m *machine) fail(reason string) {
	m.st.Phase = Failed
	m.st.Reason = reason
	m.st.FinishedAt = m.obs.Now
	m.setRoutes(SetRoutes{Split: m.spec.weights(0), RemovePin: true, Urgent: true, Reason: "failed: " + reason})
	m.notify(EventFailed, "%s failed: %s", m.spec.ID, reason)
}

func (m *machine) setRoutes(a SetRoutes) {
	m.st.RoutesApplied = false
	m.st.RoutesPending = true
	m.st.RoutesSentAt = m.obs.Now
	m.emit(a)
}

func (m *machine) openGate(position string, step int) {
	m.st.Phase = AwaitingApproval
	m.st.Gate = &GateWait{Position: position, Since: m.obs.Now, Step: step}
	m.st.Reason = "waiting for approval: " + position
	m.emit(CallGate{Position: position})
	m.notify(EventGate, "%s waits for approval (%s); approve with `meshctl rollout promote %s`", m.spec.ID, position, m.spec.Service)
}

func (m *machine) pending() {
	if m.spec.ConfirmBeforeStart && !m.approved(GateBeforeStart) {
		m.openGate(GateBeforeStart, -1)
		return
	}
	if !m.obs.CandidateWarm {
		m.st.Reason = fmt.Sprintf("waiting for every proxy to hold %s's cluster and endpoints (make-before-break)", m.spec.Candidate)
		return
	}
	m.notify(EventStarted, "%s started: %s %s -> %s", m.spec.ID, m.spec.Strategy, m.spec.Stable, m.spec.Candidate)
	if m.spec.Strategy != Canary && m.spec.Validation != "" && !m.spec.FastTrack {
		m.st.Phase = Validating
		m.st.Reason = fmt.Sprintf("routing the validation header to %s before the clinical validation %q", m.spec.Candidate, m.spec.Validation)
		m.setRoutes(SetRoutes{Split: m.spec.weights(0), Pin: m.spec.TesterPin, Reason: "validation route for " + m.spec.Candidate.String()})
		return
	}
	m.startStep(0)
}

// approved reports whether a gate at this position was already approved.
func (m *machine) approved(position string) bool {
	_, ok := m.st.Approvals[position]
	return ok
}

func (m *machine) validating() {
	if v := m.obs.Validation; v != nil && m.st.ValidationRequested {
		m.st.ValidationRequested = false
		m.st.Validation = v
		m.notify(EventValidation, "%s: clinical validation %s of %s: %s (%s)", m.spec.ID, m.spec.Validation, m.spec.Candidate, v.Verdict, v.Reason)
		switch v.Verdict {
		case ValidationPassed:
			m.startStep(0)
		case ValidationFailed:
			m.fail(fmt.Sprintf("clinical validation %s FAILED: %s", v.RunID, v.Reason))
		default:
			m.openGate(GateValidationInconclusive, 0)
		}
		return
	}
	if m.st.RoutesApplied && !m.st.ValidationRequested && m.st.Validation == nil {
		m.st.ValidationRequested = true
		m.st.Reason = fmt.Sprintf("clinical validation %q of %s running", m.spec.Validation, m.spec.Candidate)
		m.emit(RunValidation{Name: m.spec.Validation})
	}
}

func (m *machine) currentStep() Step {
	if m.st.Step < 0 || m.st.Step >= len(m.spec.Steps) {
		return Step{}
	}
	return m.spec.Steps[m.st.Step]
}

// isSwitchStep reports whether the current step moves all traffic (blue-green or restore).
func (m *machine) isSwitchStep() bool {
	return m.spec.Strategy != Canary && m.st.Phase == Progressing && m.currentStep().Weight == router.TotalWeight
}

func (m *machine) startStep(i int) {
	m.st.Phase = Progressing
	m.st.Step = i
	m.st.Gate = nil
	m.st.BakeObserved = 0
	m.st.AnalysisRequested = false
	s := m.spec.Steps[i]
	m.st.Reason = fmt.Sprintf("step %d/%d: %s at %s", i+1, len(m.spec.Steps), m.spec.Candidate, s.Weight)
	m.setRoutes(SetRoutes{Split: m.spec.weights(s.Weight), Pin: m.spec.TesterPin, Reason: m.st.Reason})
	m.notify(EventStep, "%s %s", m.spec.ID, m.st.Reason)
}

func (m *machine) progressing(dataOK, healthy bool) {
	if !m.st.RoutesApplied {
		return
	}
	step := m.currentStep()
	if m.spec.Strategy == BlueGreen && m.st.Step == len(m.spec.Steps)-1 && !m.st.SwitchedAt.IsZero() {
		// Post-switch monitoring: promoted once the window passed with healthy triggers.
		if m.obs.Now.Sub(m.st.SwitchedAt) >= m.spec.PostSwitchWindow.Std() && healthy {
			m.finishSwitch()
		}
		return
	}
	if dataOK && !m.justApplied {
		m.st.BakeObserved += router.Duration(m.observedElapsed())
	}
	if m.st.BakeObserved < step.Bake || !healthy {
		return
	}
	if len(step.Analysis) > 0 {
		if !m.analysis(step) {
			return
		}
	}
	m.advance()
}

// analysis requests the step's judges and applies their results; it reports whether the
// rollout may advance.
func (m *machine) analysis(step Step) bool {
	if m.obs.Analysis == nil || !m.st.AnalysisRequested {
		if !m.st.AnalysisRequested {
			m.st.AnalysisRequested = true
			m.st.Reason = fmt.Sprintf("analysing step %d: %s", m.st.Step+1, strings.Join(step.Analysis, ", "))
			m.emit(RunAnalysis{Judges: step.Analysis, Step: m.st.Step})
		}
		return false
	}
	m.st.AnalysisRequested = false
	var failed, errored, inconclusive []string
	for _, r := range m.obs.Analysis {
		switch r.Outcome {
		case AnalysisFail:
			if r.Critical {
				m.rollback(fmt.Sprintf("critical judge %s failed: %s", r.Judge, r.Message))
				return false
			}
			failed = append(failed, r.Judge+": "+r.Message)
		case AnalysisError:
			errored = append(errored, r.Judge+": "+r.Message)
		case AnalysisInconclusive:
			inconclusive = append(inconclusive, r.Judge+": "+r.Message)
		}
	}
	if len(errored) > 0 {
		m.st.Errors++
		if m.st.Errors > m.spec.Limits.Errors {
			m.rollback(fmt.Sprintf("analysis could not measure %d times in a row (limit %d): %s", m.st.Errors, m.spec.Limits.Errors, strings.Join(errored, "; ")))
		} else {
			m.st.Reason = "analysis error, retrying: " + strings.Join(errored, "; ")
		}
		return false
	}
	m.st.Errors = 0
	if len(failed) > 0 {
		m.st.Failed++
		if m.st.Failed > m.spec.Limits.Failed {
			m.rollback(fmt.Sprintf("analysis failed (%d failures, limit %d): %s", m.st.Failed, m.spec.Limits.Failed, strings.Join(failed, "; ")))
			return false
		}
	}
	if len(inconclusive) > 0 {
		m.st.Inconclusive++
		if m.st.Inconclusive > m.spec.Limits.Inconclusive {
			m.openGate(GateAnalysisInconclusive, m.st.Step+1)
			m.st.Reason = "analysis inconclusive, waiting for a person: " + strings.Join(inconclusive, "; ")
			return false
		}
	}
	return true
}

// advance moves past the current step once it has baked and passed.
func (m *machine) advance() {
	next := m.st.Step + 1
	if next < len(m.spec.Steps) {
		if m.spec.Steps[next].Confirm && !m.approved(fmt.Sprintf("%s:%d", GateBeforeStep, next)) {
			m.openGate(GateBeforeStep, next)
			return
		}
		m.startStep(next)
		return
	}
	switch m.spec.Strategy {
	case Canary:
		if m.spec.ConfirmBeforePromotion && !m.approved(GateBeforePromotion) {
			m.openGate(GateBeforePromotion, next)
			return
		}
		m.promote("every step passed")
	case BlueGreen:
		if m.st.SwitchedAt.IsZero() {
			m.st.SwitchedAt = m.obs.Now
		}
	case Restore:
		m.st.Phase = RolledBack
		m.st.FinishedAt = m.obs.Now
		m.st.Reason = fmt.Sprintf("%s restored to all traffic", m.spec.Candidate)
		m.setRoutes(SetRoutes{Split: m.spec.weights(router.TotalWeight), RemovePin: true, Reason: m.st.Reason})
		m.notify(EventRolledBack, "%s: production restored to %s", m.spec.ID, m.spec.Candidate)
	}
}

// finishSwitch ends a blue-green rollout after its post-switch window.
func (m *machine) finishSwitch() {
	m.st.Phase = Promoted
	m.st.FinishedAt = m.obs.Now
	m.st.Reason = fmt.Sprintf("post-switch window of %s passed with healthy triggers; %s stays ready for a fast rollback for %s",
		m.spec.PostSwitchWindow, m.spec.Stable, m.spec.FastRollbackWindow)
	m.setRoutes(SetRoutes{Split: m.spec.weights(router.TotalWeight), RemovePin: true, Reason: "promotion: validation route removed"})
	m.notify(EventPromoted, "%s promoted: %s serves all traffic of %s", m.spec.ID, m.spec.Candidate, m.spec.Service)
}

func (m *machine) promote(reason string) {
	m.st.Phase = Promoting
	m.st.Gate = nil
	m.st.Reason = "promoting: " + reason
	m.setRoutes(SetRoutes{Split: m.spec.weights(router.TotalWeight), RemovePin: true, Reason: m.st.Reason})
}

func (m *machine) awaiting() {
	g := m.st.Gate
	if g == nil {
		m.st.Phase = Progressing
		return
	}
	if a := m.obs.Gate; a != nil && a.Approved {
		m.approve(a.By, a.Reason)
	}
}

// approve records the approval of the open gate (who, when, why) and carries on.
func (m *machine) approve(by, reason string) {
	g := m.st.Gate
	if g == nil {
		return
	}
	key := g.Position
	if g.Position == GateBeforeStep {
		key = fmt.Sprintf("%s:%d", GateBeforeStep, g.Step)
	}
	if m.st.Approvals == nil {
		m.st.Approvals = map[string]Approval{}
	}
	m.st.Approvals[key] = Approval{By: by, At: m.obs.Now, Reason: reason}
	who := by
	if reason != "" {
		who += ": " + reason
	}
	m.st.Gate = nil
	m.st.Reason = fmt.Sprintf("%s approved by %s", g.Position, who)
	switch g.Position {
	case GateBeforeStart:
		m.st.Phase = Pending
		m.pending()
	case GateBeforeStep, GateAnalysisInconclusive:
		if g.Step < len(m.spec.Steps) {
			m.startStep(g.Step)
		} else {
			m.st.Phase = Progressing
			m.advance()
		}
	case GateBeforePromotion:
		m.promote("approved by " + who)
	case GateValidationInconclusive:
		m.startStep(0)
	}
}
