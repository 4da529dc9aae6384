package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/controller"
	"github.com/seed70a3350f/vigil/router/rollout"
	"github.com/seed70a3350f/vigil/safety/judge"
	"github.com/seed70a3350f/vigil/safety/metrics"
	"github.com/seed70a3350f/vigil/safety/stats"
	"github.com/seed70a3350f/vigil/safety/trigger"
)

// errNoPrometheus is every measurement's error when the node has no Prometheus address:
// triggers report Error and judges Inconclusive, so rollouts hold instead of advancing.
var errNoPrometheus = errors.New("no Prometheus configured on this node: set prometheus_address (-prometheus-addr)")

// noSource is the metrics source of a node without Prometheus: every query fails.
type noSource struct{}

func (noSource) Query(context.Context, string, time.Time) (metrics.Sample, error) {
	return metrics.Sample{}, errNoPrometheus
}

func (noSource) QueryRange(context.Context, string, metrics.Range) ([]metrics.Point, error) {
	return nil, errNoPrometheus
}

// triggerRounds evaluates the triggers of many owners (rollouts and monitors) in one
// trigger.Evaluator round, so a query shared by several owners is sent once.
type triggerRounds struct {
	eval *trigger.Evaluator
}

var _ controller.Triggers = (*triggerRounds)(nil)

// triggerKey names a trigger's clock and verdict within its owner: "canary/error_rate".
func triggerKey(target policies.Target, name string) string { return target.String() + "/" + name }

// Round implements controller.Triggers. A clock that does not decode starts afresh (and
// its trigger's first evaluation says so in its message); nothing is silently healthy:
// an item that cannot be evaluated is an Error verdict.
func (tr *triggerRounds) Round(ctx context.Context, now time.Time, reqs []controller.TriggerRequest) []controller.TriggerResponse {
	type ref struct {
		req     int
		key     string
		version string
		note    string
	}
	var items []trigger.Item
	var refs []ref
	for i, req := range reqs {
		for _, s := range req.Subjects {
			for _, t := range req.Service.TriggersFor(s.Target) {
				key := triggerKey(s.Target, t.Name)
				var clock trigger.Clock
				note := ""
				if raw, ok := req.Clocks[key]; ok {
					if err := json.Unmarshal(raw, &clock); err != nil {
						clock, note = trigger.Clock{}, fmt.Sprintf(" (stored clock unreadable, restarted: %v)", err)
					}
				}
				items = append(items, trigger.Item{Trigger: t, Clock: clock, Subject: trigger.Subject{
					Service: req.Service.Name, Version: s.Version.String(), BaselineVersion: s.Baseline.String(),
					Target: s.Target, Interval: req.Service.EvaluationInterval,
				}})
				refs = append(refs, ref{req: i, key: key, version: s.Version.String(), note: note})
			}
		}
	}
	resps := make([]controller.TriggerResponse, len(reqs))
	for i := range resps {
		resps[i] = controller.TriggerResponse{Results: []rollout.TriggerResult{}, Statuses: []api.TriggerStatus{}, Clocks: map[string]json.RawMessage{}}
	}
	if len(items) == 0 {
		return resps
	}
	for i, out := range tr.eval.Round(ctx, now, items) {
		r := refs[i]
		resp := &resps[r.req]
		v := out.Verdict
		msg := v.Evidence.Message + r.note
		resp.Results = append(resp.Results, rollout.TriggerResult{
			Key: r.key, Kind: triggerKind(v.Kind), Ignored: v.Ignored, Action: triggerAction(v.Action),
			WarningPeriod: out.Item.Trigger.WarningPeriod, Message: msg,
		})
		resp.Statuses = append(resp.Statuses, api.TriggerStatus{
			Key: r.key, Version: r.version, Verdict: triggerKind(v.Kind).String(), Value: v.Evidence.Value,
			Threshold: v.Evidence.Threshold, Query: v.Evidence.Query, Message: msg, At: now,
		})
		raw, err := json.Marshal(out.Clock)
		if err != nil {
			// A clock always encodes; if it ever does not, the trigger starts afresh next
			// round rather than the round being lost.
			continue
		}
		resp.Clocks[r.key] = raw
	}
	return resps
}

func triggerKind(k trigger.VerdictKind) rollout.TriggerKind {
	switch k {
	case trigger.VerdictHealthy:
		return rollout.TriggerHealthy
	case trigger.VerdictPending:
		return rollout.TriggerPending
	case trigger.VerdictBreached:
		return rollout.TriggerBreached
	case trigger.VerdictNoData:
		return rollout.TriggerNoData
	default:
		return rollout.TriggerError
	}
}

func triggerAction(a policies.Action) rollout.TriggerAction {
	switch a {
	case policies.ActionRollbackAfterWarning:
		return rollout.ActRollbackAfterWarning
	case policies.ActionPause:
		return rollout.ActPause
	case policies.ActionAlert:
		return rollout.ActAlert
	default:
		// An unknown action is treated as the safest one.
		return rollout.ActRollbackImmediately
	}
}

// judgeRunner evaluates a canary step's judges over the bake window that ends now.
type judgeRunner struct {
	src metrics.Source
	// step is the resolution of range queries (mann_whitney samples, sequential looks).
	step time.Duration
}

var _ controller.Judges = (*judgeRunner)(nil)

// Analyse implements controller.Judges: the judges run concurrently; a judge the policy
// does not define is an Error result, never a pass.
func (j *judgeRunner) Analyse(ctx context.Context, now time.Time, svc *policies.Service, names []string, candidate, baseline router.Version, window time.Duration) []rollout.AnalysisResult {
	out := make([]rollout.AnalysisResult, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		jd := svc.Judge(name)
		if jd == nil {
			out[i] = rollout.AnalysisResult{Judge: name, Outcome: rollout.AnalysisError, Critical: true,
				Message: fmt.Sprintf("judge %q is not defined in the policy of %s", name, svc.Name)}
			continue
		}
		step := min(max(j.step, svc.EvaluationInterval), window)
		w := judge.Window{Start: now.Add(-window), End: now, Step: step}
		s := judge.Subject{Service: svc.Name, Version: candidate.String(), BaselineVersion: baseline.String()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := judge.Evaluate(ctx, j.src, jd, s, w)
			out[i] = rollout.AnalysisResult{Judge: name, Outcome: analysisOutcome(r), Critical: jd.Critical, Message: r.Evidence.Message}
		}()
	}
	wg.Wait()
	return out
}

func analysisOutcome(r judge.Result) rollout.AnalysisOutcome {
	if r.Error != "" {
		return rollout.AnalysisError
	}
	switch r.Outcome {
	case stats.Pass:
		return rollout.AnalysisPass
	case stats.Fail:
		return rollout.AnalysisFail
	default:
		return rollout.AnalysisInconclusive
	}
}
