package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// Exit codes of `rollout watch` (and `rollout start --wait`) for the outcome.
const (
	exitRolledBack = 10
	exitAborted    = 11
	exitFailed     = 12
)

func rolloutCommand() *command {
	return &command{
		name:    "rollout",
		summary: "start, follow and steer canary and blue-green rollouts",
		sub: []*command{
			rolloutStartCommand(),
			{name: "get", args: "SERVICE|ID", summary: "show a rollout: phase, step, weights, triggers, gates", run: rolloutGet},
			rolloutWatchCommand(),
			rolloutPromoteCommand(),
			rolloutSimpleCommand("pause", "hold the rollout where it is (triggers keep watching)"),
			rolloutSimpleCommand("resume", "continue a paused rollout"),
			rolloutSimpleCommand("abort", "stop the rollout: all traffic back to the stable version"),
			rolloutRollbackCommand(),
			{name: "history", args: "SERVICE", summary: "list a service's rollouts", run: rolloutHistory},
		},
	}
}

func rolloutStartCommand() *command {
	var to, plan string
	var wait bool
	return &command{
		name:    "start",
		args:    "SERVICE --to VERSION --plan NAME",
		summary: "start a rollout of VERSION following a plan of the service's policy",
		long:    true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "the candidate version")
			fs.StringVar(&plan, "plan", "", "the canary or blue_green plan of the policy")
			fs.BoolVar(&wait, "wait", false, "watch the rollout until it ends (exit code tells the outcome)")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 || to == "" || plan == "" {
				return e.usageError(fs, "rollout start needs SERVICE, --to VERSION and --plan NAME")
			}
			rec, err := e.client().StartRollout(ctx, api.StartRolloutRequest{Service: fs.Arg(0), To: to, Plan: plan, Reason: e.reason})
			if err != nil {
				return e.fail(err)
			}
			if e.json() && !wait {
				printJSON(e.stdout, rec)
				return exitOK
			}
			fmt.Fprintf(e.stdout, "rollout %s started: %s %s -> %s (%s plan %q, %d steps)\n", rec.Spec.ID, rec.Spec.Service, rec.Spec.Stable, rec.Spec.Candidate, rec.Spec.Strategy, rec.Spec.Plan, len(rec.Spec.Steps))
			if wait {
				return e.watch(ctx, rec.Spec.ID)
			}
			return exitOK
		},
	}
}

func rolloutGet(ctx context.Context, e *env, fs argv) int {
	if fs.NArg() != 1 {
		return e.usageError(fs, "rollout get needs SERVICE or ID")
	}
	c := e.client()
	rec, err := c.Rollout(ctx, fs.Arg(0))
	if err != nil {
		return e.fail(err)
	}
	if e.json() {
		printJSON(e.stdout, rec)
		return exitOK
	}
	routes, _ := c.Routes(ctx, rec.Spec.Service)
	render(e.stdout, rec, routes, time.Now())
	return exitOK
}

// render prints a rollout for people.
func render(w io.Writer, rec *api.RolloutRecord, routes *api.RouteRecord, now time.Time) {
	s, st := rec.Spec, rec.Status
	fmt.Fprintf(w, "Rollout %s  %s  %s -> %s  (%s plan %q, policy %s %s)\n", s.ID, s.Service, s.Stable, s.Candidate, s.Strategy, s.Plan, s.Policy, short(s.PolicyHash))
	fmt.Fprintf(w, "Phase:   %s", st.Phase)
	if st.Phase == rollout.Paused && st.PausedFrom != 0 {
		fmt.Fprintf(w, " (from %s)", st.PausedFrom)
	}
	fmt.Fprintln(w)
	if st.Reason != "" {
		fmt.Fprintf(w, "Why:     %s\n", st.Reason)
	}
	if st.Step >= 0 && st.Step < len(s.Steps) {
		step := s.Steps[st.Step]
		fmt.Fprintf(w, "Step:    %d/%d at %s", st.Step+1, len(s.Steps), step.Weight)
		if !st.RoutesApplied && st.RoutesIndex > 0 {
			fmt.Fprintf(w, "  (waiting for proxies to ACK routes version %d)", st.RoutesIndex)
		}
		fmt.Fprintln(w)
		if step.Bake > 0 {
			fmt.Fprintf(w, "Bake:    %s %s/%s observed\n", bar(float64(st.BakeObserved)/float64(step.Bake), 30), st.BakeObserved.Std().Round(time.Second), step.Bake)
		}
	}
	if routes != nil {
		var parts []string
		for _, sp := range routes.Split {
			parts = append(parts, fmt.Sprintf("%s %s", sp.Version, sp.Weight))
		}
		for _, p := range routes.Pins {
			parts = append(parts, fmt.Sprintf("pin %s=%s -> %s", p.Header, p.Value, p.Version))
		}
		fmt.Fprintf(w, "Routes:  %s\n", strings.Join(parts, ", "))
	}
	if g := st.Gate; g != nil {
		fmt.Fprintf(w, "Gate:    %s open for %s; approve with `meshctl rollout promote %s`\n", g.Position, now.Sub(g.Since).Round(time.Second), s.Service)
	}
	if v := st.Validation; v != nil {
		fmt.Fprintf(w, "Validation: %s %s %s\n", v.RunID, v.Verdict, v.Reason)
	} else if st.ValidationRequested {
		fmt.Fprintf(w, "Validation: %s running\n", s.Validation)
	}
	if len(rec.Triggers) > 0 {
		fmt.Fprintln(w, "Triggers:")
		t := newTable(w, "  TRIGGER", "VERSION", "VERDICT", "VALUE", "THRESHOLD", "DETAIL")
		for _, tr := range rec.Triggers {
			t.row("  "+tr.Key, tr.Version, tr.Verdict, num(tr.Value), num(tr.Threshold), oneLine(tr.Message))
		}
		t.flush()
	}
	if n := len(rec.Events); n > 0 {
		fmt.Fprintln(w, "Events:")
		for _, ev := range rec.Events[max(0, n-8):] {
			fmt.Fprintf(w, "  %s  %-13s %s\n", ev.At.Format("15:04:05"), ev.Kind, ev.Message)
		}
	}
	if st.Phase.Terminal() {
		fmt.Fprintf(w, "Outcome: %s at %s", st.Phase, st.FinishedAt.Format(time.RFC3339))
		if st.Cause != "" {
			fmt.Fprintf(w, " (%s)", st.Cause)
		}
		fmt.Fprintln(w)
	}
}

func short(hash string) string {
	if len(hash) > 19 {
		return hash[:19]
	}
	return hash
}

func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *v)
}

// bar draws a progress bar for a fraction in [0, 1].
func bar(f float64, width int) string {
	f = max(0, min(1, f))
	n := int(f * float64(width))
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]" + fmt.Sprintf(" %3.0f%%", f*100)
}

func rolloutWatchCommand() *command {
	return &command{
		name:    "watch",
		args:    "SERVICE|ID",
		summary: "follow a rollout live until it ends (exit 0 promoted, 10 rolled back, 11 aborted, 12 failed)",
		long:    true,
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 {
				return e.usageError(fs, "rollout watch needs SERVICE or ID")
			}
			rec, err := e.client().Rollout(ctx, fs.Arg(0))
			if err != nil {
				return e.fail(err)
			}
			return e.watch(ctx, rec.Spec.ID)
		},
	}
}

// watch redraws a rollout whenever it changes, until it ends or ctx is cancelled
// (Ctrl-C). A rollout may run for hours: -timeout bounds each request only.
func (e *env) watch(ctx context.Context, id string) int {
	c := e.client()
	var last uint64
	for {
		rctx, cancel := context.WithTimeout(ctx, e.wait)
		rec, err := c.Rollout(rctx, id)
		cancel()
		if err != nil {
			if api.IsCode(err, api.CodeNotLeader) || api.IsCode(err, api.CodeUnavailable) {
				time.Sleep(500 * time.Millisecond) // an election: keep watching
				continue
			}
			return e.fail(err)
		}
		if rec.ModifyIndex != last {
			last = rec.ModifyIndex
			rctx, cancel := context.WithTimeout(ctx, e.wait)
			routes, _ := c.Routes(rctx, rec.Spec.Service)
			cancel()
			if e.json() {
				printJSON(e.stdout, rec)
			} else {
				fmt.Fprintf(e.stdout, "---- %s (index %d) ----\n", time.Now().Format("15:04:05"), rec.ModifyIndex)
				render(e.stdout, rec, routes, time.Now())
			}
		}
		if rec.Status.Phase.Terminal() {
			switch rec.Status.Phase {
			case rollout.Promoted:
				return exitOK
			case rollout.RolledBack:
				if rec.Spec.Strategy == rollout.Restore {
					return exitOK
				}
				return exitRolledBack
			case rollout.Aborted:
				return exitAborted
			}
			return exitFailed
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func rolloutPromoteCommand() *command {
	var full bool
	return &command{
		name:    "promote",
		args:    "SERVICE|ID",
		summary: "approve the open gate, or move on without the rest of the bake; --full promotes at once",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&full, "full", false, "skip every remaining step and gate (never a failed validation)")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			return e.sendCommand(ctx, fs, api.RolloutCommand{Kind: "promote", Full: full})
		},
	}
}

func rolloutSimpleCommand(kind, summary string) *command {
	return &command{
		name: kind, args: "SERVICE|ID", summary: summary,
		run: func(ctx context.Context, e *env, fs argv) int {
			return e.sendCommand(ctx, fs, api.RolloutCommand{Kind: kind})
		},
	}
}

func (e *env) sendCommand(ctx context.Context, fs argv, cmd api.RolloutCommand) int {
	if fs.NArg() != 1 {
		return e.usageError(fs, "rollout %s needs SERVICE or ID", cmd.Kind)
	}
	c := e.client()
	rec, err := c.Rollout(ctx, fs.Arg(0))
	if err != nil {
		return e.fail(err)
	}
	if rec.Status.Phase.Terminal() {
		e.errorf("rollout %s has ended (%s); nothing to %s", rec.Spec.ID, rec.Status.Phase, cmd.Kind)
		return exitConflict
	}
	cmd.Reason = e.reason
	res, err := c.RolloutCommand(ctx, rec.Spec.ID, cmd)
	if err != nil {
		return e.fail(err)
	}
	return e.written(res, fmt.Sprintf("%s of rollout %s recorded; the controller applies it now", cmd.Kind, rec.Spec.ID))
}

func rolloutRollbackCommand() *command {
	var to string
	var wait bool
	return &command{
		name:    "rollback",
		args:    "SERVICE [--to VERSION]",
		summary: "roll back: an active rollout returns to its stable version; otherwise production is restored to --to VERSION",
		long:    true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "the version to restore production to (when no rollout is active)")
			fs.BoolVar(&wait, "wait", false, "watch until it ends")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 {
				return e.usageError(fs, "rollout rollback needs SERVICE")
			}
			service := fs.Arg(0)
			c := e.client()
			list, err := c.Rollouts(ctx, service)
			if err != nil {
				return e.fail(err)
			}
			for _, r := range list {
				if !r.Status.Phase.Terminal() {
					if to != "" && to != r.Spec.Stable.String() {
						e.errorf("rollout %s is active; it can only roll back to its stable version %s, not %s", r.Spec.ID, r.Spec.Stable, to)
						return exitConflict
					}
					res, err := c.RolloutCommand(ctx, r.Spec.ID, api.RolloutCommand{Kind: "rollback", Reason: e.reason})
					if err != nil {
						return e.fail(err)
					}
					e.written(res, fmt.Sprintf("rollback of rollout %s to %s ordered", r.Spec.ID, r.Spec.Stable))
					if wait {
						return e.watch(ctx, r.Spec.ID)
					}
					return exitOK
				}
			}
			if to == "" {
				return e.usageError(fs, "no rollout of %s is active: say which version to restore production to with --to VERSION", service)
			}
			if _, err := router.ParseVersion(to); err != nil {
				e.errorf("--to: %v", err)
				return exitInvalid
			}
			rec, err := c.StartRollout(ctx, api.StartRolloutRequest{Service: service, To: to, Reason: e.reason})
			if err != nil {
				return e.fail(err)
			}
			track := "with health and clinical validation, then a gradual restore"
			if rec.Spec.FastTrack {
				track = "fast-tracked: validated within the rollback window"
			}
			fmt.Fprintf(e.stdout, "restore %s started: %s %s -> %s (%s)\n", rec.Spec.ID, service, rec.Spec.Stable, rec.Spec.Candidate, track)
			if wait {
				return e.watch(ctx, rec.Spec.ID)
			}
			return exitOK
		},
	}
}

func rolloutHistory(ctx context.Context, e *env, fs argv) int {
	if fs.NArg() != 1 {
		return e.usageError(fs, "rollout history needs SERVICE")
	}
	list, err := e.client().Rollouts(ctx, fs.Arg(0))
	if err != nil {
		return e.fail(err)
	}
	if e.json() {
		printJSON(e.stdout, list)
		return exitOK
	}
	t := newTable(e.stdout, "ID", "STRATEGY", "FROM", "TO", "PHASE", "STARTED", "BY", "CAUSE")
	for _, r := range list {
		t.row(r.Spec.ID, r.Spec.Strategy.String(), r.Spec.Stable.String(), r.Spec.Candidate.String(), r.Status.Phase.String(),
			r.Spec.StartedAt.Format("2006-01-02T15:04:05Z"), dash(r.Spec.StartedBy), dash(oneLine(r.Status.Cause)))
	}
	t.flush()
	return exitOK
}
