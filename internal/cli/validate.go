package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/safety/clinical"
)

// Exit codes of `validate run` for the verdict (PASSED exits 0). They share their numbers
// with the outcome codes of `rollout watch` (exitAborted, exitFailed), so scripts test one
// range, 10-12, for "a judging command said no".
const (
	exitValidationFailed       = 11
	exitValidationInconclusive = 12
)

const (
	// defaultRunTimeout bounds `validate run` when -timeout is not given: a run sends
	// every case of its data set through the mesh, which outlasts one admin request.
	defaultRunTimeout = 10 * time.Minute
	// globalTimeoutDefault is the -timeout every command gets from env.defaults.
	globalTimeoutDefault = 30 * time.Second
	// validationPoll is how often `validate run` reads the run's record.
	validationPoll = time.Second
	// startRequestTimeout bounds the request that starts a run: the node pins the
	// versions and commits the start before it answers.
	startRequestTimeout = time.Minute
)

func validateCommand() *command {
	return &command{
		name:    "validate",
		summary: "run a clinical validation of a version on its own, and read the runs' evidence",
		sub: []*command{
			validateRunCommand(),
			{name: "list", args: "[SERVICE]", summary: "list validation runs, newest first", run: validateList},
			validateGetCommand(),
		},
	}
}

func validateRunCommand() *command {
	var dataset, against, validation string
	var asJSON bool
	return &command{
		name: "run",
		args: "SERVICE VERSION",
		summary: "validate VERSION against the policy's golden set and criteria, wait for the verdict " +
			"(exit 0 PASSED, 11 FAILED, 12 INCONCLUSIVE; -timeout bounds the whole run, default 10m)",
		long: true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dataset, "dataset", "", "a .csv or .jsonl data set to upload instead of the policy's")
			fs.StringVar(&against, "against", "", `the comparator: a registered version, or "none" (default: the policy block's)`)
			fs.StringVar(&validation, "validation", "", "the policy's clinical_validation block (default: the first)")
			fs.BoolVar(&asJSON, "json", false, "print the finished record, with its evidence, as JSON")
			// -timeout bounds the whole run here, so its default is longer unless an
			// outer level (meshctl -timeout 5m validate run ...) already set it.
			if f := fs.Lookup("timeout"); f != nil && f.Value.String() == globalTimeoutDefault.String() {
				_ = f.Value.Set(defaultRunTimeout.String())
				f.DefValue = defaultRunTimeout.String()
			}
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 2 {
				return e.usageError(fs, "validate run needs SERVICE and VERSION")
			}
			req := api.StartValidationRequest{Service: fs.Arg(0), Version: fs.Arg(1), Against: against, Validation: validation}
			if dataset != "" {
				name, data, err := readDataset(dataset)
				if err != nil {
					e.errorf("%v", err)
					return exitInvalid
				}
				req.DatasetName, req.Dataset = name, data
			}
			return e.validateRun(ctx, req, asJSON || e.json())
		},
	}
}

// readDataset reads a data set file to upload and returns its base name and bytes.
func readDataset(file string) (string, []byte, error) {
	name := filepath.Base(file)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".jsonl", ".ndjson":
	default:
		return "", nil, fmt.Errorf("--dataset %s: the extension must be .csv or .jsonl (it selects the format)", file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("--dataset: %w", err)
	}
	if len(data) == 0 {
		return "", nil, fmt.Errorf("--dataset %s: the file is empty", file)
	}
	if len(data) > api.MaxDatasetUpload {
		return "", nil, fmt.Errorf("--dataset %s: %d bytes is more than the %d a run can upload; apply it with the policy instead", file, len(data), api.MaxDatasetUpload)
	}
	return name, data, nil
}

// validateRun starts a run, waits until it is finished or e.wait has passed, prints it
// and returns the verdict's exit code.
func (e *env) validateRun(ctx context.Context, req api.StartValidationRequest, asJSON bool) int {
	ctx, cancel := context.WithTimeout(ctx, e.wait)
	defer cancel()
	c := e.client()
	rctx, rcancel := context.WithTimeout(ctx, startRequestTimeout)
	rec, err := c.StartValidation(rctx, req)
	rcancel()
	if err != nil {
		return e.fail(err)
	}
	people := !asJSON
	if people {
		fmt.Fprintf(e.stderr, "validation %s started: %s %s against %s on %s (sha256 %s)\n", rec.ID, rec.Service, rec.Version,
			dash(rec.Against), rec.Dataset, rec.DatasetSHA256)
	}
	rec, err = e.awaitValidation(ctx, c, rec, people)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			e.errorf("validation %s has no verdict after -timeout %s; the run goes on: read it with `meshctl validate get %s`", rec.ID, e.wait, rec.ID)
			return exitTimeout
		case errors.Is(err, context.Canceled):
			e.errorf("stopped waiting for validation %s; the run goes on: read it with `meshctl validate get %s`", rec.ID, rec.ID)
			return exitError
		}
		return e.fail(err)
	}
	if asJSON {
		printJSON(e.stdout, rec)
	} else {
		renderValidation(e.stdout, e.stderr, rec)
	}
	return verdictExit(e, rec)
}

// awaitValidation polls a run until it is finished; people see a dot per poll and the
// elapsed time every 10 s on stderr. An election or a node restart in between is waited
// out; the returned record is the last one read, also on error.
func (e *env) awaitValidation(ctx context.Context, c *api.Client, rec *api.ValidationRecord, people bool) (*api.ValidationRecord, error) {
	start := time.Now()
	polls := 0
	for rec.State != api.ValidationFinished {
		select {
		case <-ctx.Done():
			if people && polls > 0 {
				fmt.Fprintln(e.stderr)
			}
			return rec, ctx.Err()
		case <-time.After(validationPoll):
		}
		rctx, cancel := context.WithTimeout(ctx, globalTimeoutDefault)
		next, err := c.Validation(rctx, rec.ID)
		cancel()
		switch {
		case err == nil:
			rec = next
		case api.IsCode(err, api.CodeNotLeader) || api.IsCode(err, api.CodeUnavailable) || errors.Is(err, context.DeadlineExceeded):
			// An election or a busy node: keep waiting within the run's bound.
		default:
			if people && polls > 0 {
				fmt.Fprintln(e.stderr)
			}
			return rec, err
		}
		if people {
			polls++
			if polls%10 == 0 {
				fmt.Fprintf(e.stderr, " %s", time.Since(start).Round(time.Second))
			} else {
				fmt.Fprint(e.stderr, ".")
			}
		}
	}
	if people && polls > 0 {
		fmt.Fprintf(e.stderr, " finished after %s\n", time.Since(start).Round(time.Second))
	}
	return rec, nil
}

// verdictExit maps a finished run's verdict to the exit code; a verdict Vigil does not
// know is an error, never a pass.
func verdictExit(e *env, rec *api.ValidationRecord) int {
	switch rec.Verdict {
	case api.VerdictPassed:
		return exitOK
	case api.VerdictFailed:
		return exitValidationFailed
	case api.VerdictInconclusive:
		return exitValidationInconclusive
	}
	e.errorf("validation %s finished with verdict %q, which is neither PASSED, FAILED nor INCONCLUSIVE", rec.ID, rec.Verdict)
	return exitError
}

func validateList(ctx context.Context, e *env, fs argv) int {
	if fs.NArg() > 1 {
		return e.usageError(fs, "validate list takes at most one SERVICE")
	}
	service := ""
	if fs.NArg() == 1 {
		service = fs.Arg(0)
	}
	list, err := e.client().Validations(ctx, service)
	if err != nil {
		return e.fail(err)
	}
	if e.json() {
		printJSON(e.stdout, list)
		return exitOK
	}
	t := newTable(e.stdout, "ID", "SERVICE", "VERSION", "AGAINST", "STATE", "VERDICT", "STARTED")
	for _, v := range list {
		t.row(v.ID, v.Service, v.Version, dash(v.Against), v.State, dash(v.Verdict), v.StartedAt.Format("2006-01-02T15:04:05Z"))
	}
	t.flush()
	return exitOK
}

func validateGetCommand() *command {
	var asJSON bool
	return &command{
		name:    "get",
		args:    "ID",
		summary: "show a validation run: verdict, versions, data set, calls, criteria with intervals",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the record, with its evidence, as JSON")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 {
				return e.usageError(fs, "validate get needs the run's ID (`meshctl validate list` shows them)")
			}
			rec, err := e.client().Validation(ctx, fs.Arg(0))
			if err != nil {
				return e.fail(err)
			}
			if asJSON || e.json() {
				printJSON(e.stdout, rec)
			} else {
				renderValidation(e.stdout, e.stderr, rec)
			}
			return exitOK
		},
	}
}

// renderValidation prints a run for people. Evidence that does not decode is reported on
// errw; the record's own fields are printed either way.
func renderValidation(w, errw io.Writer, rec *api.ValidationRecord) {
	fmt.Fprintf(w, "Validation %s\n", rec.ID)
	fmt.Fprintf(w, "Service:    %s\n", rec.Service)
	fmt.Fprintf(w, "Candidate:  %s\n", rec.Version)
	fmt.Fprintf(w, "Comparator: %s\n", dash(rec.Against))
	block := rec.Validation
	if rec.Policy != "" {
		block += fmt.Sprintf(" (policy %s %s)", rec.Policy, short(rec.PolicyHash))
	}
	fmt.Fprintf(w, "Block:      %s\n", block)
	fmt.Fprintf(w, "Data set:   %s sha256 %s\n", rec.Dataset, rec.DatasetSHA256)
	started := rec.StartedAt.Format(time.RFC3339) + " by " + dash(rec.StartedBy)
	if rec.Rollout != "" {
		started += " for rollout " + rec.Rollout
	}
	fmt.Fprintf(w, "Started:    %s\n", started)
	if rec.State != api.ValidationFinished {
		fmt.Fprintf(w, "State:      %s (%s)\n", rec.State, ago(rec.StartedAt))
		return
	}
	fmt.Fprintf(w, "Finished:   %s (took %s)\n", rec.FinishedAt.Format(time.RFC3339), rec.FinishedAt.Sub(rec.StartedAt).Round(time.Second))
	fmt.Fprintf(w, "Verdict:    %s\n", rec.Verdict)
	if len(rec.Evidence) == 0 {
		fmt.Fprintf(w, "Reason:     %s\n", dash(rec.Reason))
		fmt.Fprintln(w, "Evidence:   none (the run produced no measurement)")
		return
	}
	var res clinical.Result
	if err := json.Unmarshal(rec.Evidence, &res); err != nil {
		fmt.Fprintf(w, "Reason:     %s\n", dash(rec.Reason))
		fmt.Fprintf(errw, "meshctl: the evidence of validation %s cannot be read: %v; `meshctl validate get %s --json` prints it as stored\n", rec.ID, err, rec.ID)
		return
	}
	renderEvidence(w, &res)
}

// renderEvidence prints a run's evidence: reasons, data set counts, each version's calls
// and confusion matrix, and every criterion with its estimate, interval and outcome.
func renderEvidence(w io.Writer, res *clinical.Result) {
	fmt.Fprintln(w, "Reasons:")
	for _, r := range res.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	d := res.Dataset
	fmt.Fprintf(w, "Cases:      %d: %d %s, %d %s\n", d.Cases, d.Positives, d.PositiveLabel, d.Negatives, d.NegativeLabel)
	fmt.Fprintln(w, "Versions:")
	t := newTable(w, "  VERSION", "ROLE", "ANSWERED", "FAILED", "WRONG VERSION", "TP", "FN", "TN", "FP", "SENSITIVITY", "SPECIFICITY")
	version := func(role string, tr *clinical.TargetResult) {
		c, m := tr.Calls, tr.Metrics
		t.row("  "+tr.Version, role, fmt.Sprintf("%d/%d", c.Answered, c.Total), fmt.Sprint(c.Failed), fmt.Sprint(c.WrongVersion),
			fmt.Sprint(m.Confusion.TP), fmt.Sprint(m.Confusion.FN), fmt.Sprint(m.Confusion.TN), fmt.Sprint(m.Confusion.FP),
			estimate(m.Sensitivity.Estimate, m.Sensitivity.Lower, m.Sensitivity.Upper),
			estimate(m.Specificity.Estimate, m.Specificity.Lower, m.Specificity.Upper))
	}
	version("candidate", &res.Candidate)
	if res.Comparator != nil {
		version("comparator", res.Comparator)
	}
	t.flush()
	fmt.Fprintf(w, "Criteria (%.0f %% intervals, %s):\n", 100*res.Settings.Confidence, res.Settings.Interval)
	t = newTable(w, "  SCOPE", "CRITERION", "ESTIMATE", "INTERVAL", "OUTCOME")
	criterion := func(scope string, cr clinical.CriterionResult) {
		t.row("  "+scope, cr.Source, stat(cr.Estimate), fmt.Sprintf("[%s, %s]", stat(cr.Lower), stat(cr.Upper)), cr.Outcome.String())
	}
	for _, cr := range res.Criteria {
		criterion("all cases", cr)
	}
	for _, g := range res.Subgroups {
		scope := fmt.Sprintf("%s=%s (%d)", g.Column, g.Value, g.Cases)
		if !g.Powered {
			t.row("  "+scope, "-", "-", "-", g.Outcome.String()+": "+oneLine(g.Reason))
			continue
		}
		for _, cr := range g.Criteria {
			criterion(scope, cr)
		}
	}
	t.flush()
}

// stat renders a statistic with three decimals, "n/a" when undefined.
func stat(f clinical.Float) string {
	if !f.Defined() {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", float64(f))
}

// estimate renders a statistic with its interval.
func estimate(est, lower, upper clinical.Float) string {
	if !est.Defined() {
		return "n/a"
	}
	return fmt.Sprintf("%s [%s, %s]", stat(est), stat(lower), stat(upper))
}
