package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
)

func policyCommand() *command {
	return &command{
		name:    "policy",
		summary: "validate, format, apply and inspect HCL policy files",
		sub: []*command{
			policyValidateCommand(),
			policyFmtCommand(),
			policyApplyCommand(),
			{name: "get", args: "[NAME]", summary: "list policies, or print one's source and identity", run: policyGet},
			policyDiffCommand(),
			{name: "history", args: "NAME", summary: "list every applied version of a policy", run: policyHistory},
			{name: "delete", args: "NAME", summary: "remove a policy (its history stays)", run: policyDelete},
		},
	}
}

// varsFlag collects -var name=value.
type varsFlag map[string]string

func (v varsFlag) String() string { return "" }
func (v varsFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("-var %q is not NAME=VALUE", s)
	}
	v[name] = value
	return nil
}

// loadPolicy reads and parses a policy file, printing every diagnostic with its source.
func (e *env) loadPolicy(path string, vars map[string]string) (*policies.Policy, []byte, bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		e.errorf("%v", err)
		return nil, nil, false
	}
	p, diags := policies.Parse(path, src, vars)
	if len(diags) > 0 {
		// One line per problem (file:line:col: what and hint), then the source excerpts.
		fmt.Fprintln(e.stderr, policies.DiagnosticsError(diags))
		fmt.Fprint(e.stderr, policies.FormatDiagnostics(map[string][]byte{path: src}, diags))
	}
	if diags.HasErrors() {
		return nil, src, false
	}
	return p, src, true
}

// policyName is the default record name of a policy file: its base name without extension.
func policyName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func policyValidateCommand() *command {
	vars := varsFlag{}
	return &command{
		name:    "validate",
		args:    "FILE...",
		summary: "check policy files; every problem is reported with file:line:col (exit 5 if any)",
		flags:   func(fs *flag.FlagSet) { fs.Var(vars, "var", "set a variable NAME=VALUE; repeatable") },
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() == 0 {
				return e.usageError(fs, "policy validate needs at least one FILE")
			}
			code := exitOK
			for _, path := range fs.Args() {
				p, _, ok := e.loadPolicy(path, vars)
				if !ok {
					code = exitInvalid
					continue
				}
				var names []string
				for _, s := range p.Services {
					names = append(names, fmt.Sprintf("%s (%d plans, %d triggers, %d judges, %d validations)", s.Name, len(s.Canaries)+len(s.BlueGreens), len(s.Triggers), len(s.Judges), len(s.ClinicalValidations)))
				}
				fmt.Fprintf(e.stdout, "%s: valid, %s; services: %s\n", path, p.Hash, strings.Join(names, ", "))
			}
			return code
		},
	}
}

func policyFmtCommand() *command {
	var write, check bool
	return &command{
		name:    "fmt",
		args:    "FILE...",
		summary: "print policy files in canonical layout (-w rewrites them, -check lists unformatted ones)",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&write, "w", false, "rewrite the files in place")
			fs.BoolVar(&check, "check", false, "exit 1 and list the files that are not formatted")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() == 0 {
				return e.usageError(fs, "policy fmt needs at least one FILE")
			}
			code := exitOK
			for _, path := range fs.Args() {
				src, err := os.ReadFile(path)
				if err != nil {
					e.errorf("%v", err)
					code = exitError
					continue
				}
				out, err := policies.Format(src)
				if err != nil {
					e.errorf("%s: %v", path, err)
					code = exitInvalid
					continue
				}
				switch {
				case check:
					if !bytes.Equal(src, out) {
						fmt.Fprintln(e.stdout, path)
						code = exitError
					}
				case write:
					if !bytes.Equal(src, out) {
						if err := os.WriteFile(path, out, 0o644); err != nil {
							e.errorf("%v", err)
							code = exitError
						}
					}
				default:
					_, _ = e.stdout.Write(out)
				}
			}
			return code
		},
	}
}

func policyApplyCommand() *command {
	vars := varsFlag{}
	var name string
	var cas int64
	return &command{
		name:    "apply",
		args:    "FILE",
		summary: "validate a policy file and store it as the policy's new version (atomically)",
		flags: func(fs *flag.FlagSet) {
			fs.Var(vars, "var", "set a variable NAME=VALUE; repeatable")
			fs.StringVar(&name, "name", "", "policy name (default: the file name without extension)")
			fs.Int64Var(&cas, "cas", -1, "only apply if the stored version's modify index is still this (0: must be new)")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 {
				return e.usageError(fs, "policy apply needs exactly one FILE")
			}
			path := fs.Arg(0)
			p, src, ok := e.loadPolicy(path, vars)
			if !ok {
				return exitInvalid
			}
			if name == "" {
				name = policyName(path)
			}
			c := e.client()
			if current, err := c.Policy(ctx, name); err == nil {
				if old, diags := policies.Parse(current.Filename, []byte(current.Source), current.Vars); !diags.HasErrors() {
					changes := policies.Diff(old, p)
					if len(changes) == 0 && current.Hash == p.Hash {
						fmt.Fprintf(e.stdout, "policy %s is already at %s; nothing to apply\n", name, p.Hash)
						return exitOK
					}
					printChanges(e, changes)
				}
			} else if !api.IsCode(err, api.CodeNotFound) {
				return e.fail(err)
			}
			opts := api.WriteOptions{Reason: e.reason}
			if cas >= 0 {
				v := uint64(cas)
				opts.CAS = &v
			}
			datasets, err := policyDatasets(path, p)
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			res, err := c.ApplyPolicy(ctx, name, api.PolicyUpload{Filename: filepath.Base(path), Source: string(src), Vars: vars, Datasets: datasets}, opts)
			if err != nil {
				return e.fail(err)
			}
			return e.written(res, fmt.Sprintf("policy %s applied: %s", name, p.Hash))
		},
	}
}

// policyDatasets reads the validation data sets a policy names, relative to its file, so
// they are stored with the policy version (and pinned by their SHA-256).
func policyDatasets(path string, p *policies.Policy) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, svc := range p.Services {
		for _, cv := range svc.ClinicalValidations {
			if cv.DatasetIsURL() {
				continue
			}
			b, err := os.ReadFile(cv.DatasetLocation(path))
			if err != nil {
				return nil, fmt.Errorf("%s:%d:%d: clinical_validation %q: data set %q (read relative to the policy file): %w",
					cv.Range.Filename, cv.Range.Start.Line, cv.Range.Start.Column, cv.Name, cv.Dataset, err)
			}
			out[cv.Dataset] = b
		}
	}
	return out, nil
}

func printChanges(e *env, changes []policies.Change) {
	for _, c := range changes {
		fmt.Fprintln(e.stdout, c.String())
	}
}

func policyGet(ctx context.Context, e *env, fs argv) int {
	c := e.client()
	switch fs.NArg() {
	case 0:
		list, err := c.Policies(ctx)
		if err != nil {
			return e.fail(err)
		}
		if e.json() {
			printJSON(e.stdout, list)
			return exitOK
		}
		t := newTable(e.stdout, "NAME", "SERVICES", "HASH", "MODIFY-INDEX", "BY", "AT")
		for _, p := range list {
			t.row(p.Name, strings.Join(p.Services, ","), p.Hash[:min(len(p.Hash), 19)], fmt.Sprint(p.ModifyIndex), dash(p.By), p.At.Format("2006-01-02T15:04:05Z"))
		}
		t.flush()
		return exitOK
	case 1:
		p, err := c.Policy(ctx, fs.Arg(0))
		if err != nil {
			return e.fail(err)
		}
		if e.json() {
			printJSON(e.stdout, p)
			return exitOK
		}
		fmt.Fprintf(e.stdout, "# policy %s %s (index %d, by %s at %s)\n", p.Name, p.Hash, p.ModifyIndex, dash(p.By), p.At.Format("2006-01-02T15:04:05Z"))
		fmt.Fprint(e.stdout, p.Source)
		return exitOK
	}
	return e.usageError(fs, "policy get takes at most one NAME")
}

func policyDiffCommand() *command {
	vars := varsFlag{}
	var name string
	return &command{
		name:    "diff",
		args:    "FILE",
		summary: "show what applying FILE would change (exit 0: nothing, 1: changes)",
		flags: func(fs *flag.FlagSet) {
			fs.Var(vars, "var", "set a variable NAME=VALUE; repeatable")
			fs.StringVar(&name, "name", "", "policy name (default: the file name without extension)")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 {
				return e.usageError(fs, "policy diff needs exactly one FILE")
			}
			p, _, ok := e.loadPolicy(fs.Arg(0), vars)
			if !ok {
				return exitInvalid
			}
			if name == "" {
				name = policyName(fs.Arg(0))
			}
			current, err := e.client().Policy(ctx, name)
			var old *policies.Policy
			switch {
			case err == nil:
				var diags []error
				parsed, d := policies.Parse(current.Filename, []byte(current.Source), current.Vars)
				if d.HasErrors() {
					diags = append(diags, policies.DiagnosticsError(d))
					e.errorf("the stored version no longer parses: %v", diags)
					return exitError
				}
				old = parsed
			case api.IsCode(err, api.CodeNotFound):
				old = nil
			default:
				return e.fail(err)
			}
			changes := policies.Diff(old, p)
			if len(changes) == 0 {
				fmt.Fprintf(e.stdout, "no changes: policy %s is at %s\n", name, p.Hash)
				return exitOK
			}
			printChanges(e, changes)
			return exitError
		},
	}
}

func policyHistory(ctx context.Context, e *env, fs argv) int {
	if fs.NArg() != 1 {
		return e.usageError(fs, "policy history needs NAME")
	}
	hist, err := e.client().PolicyHistory(ctx, fs.Arg(0))
	if err != nil {
		return e.fail(err)
	}
	if e.json() {
		printJSON(e.stdout, hist)
		return exitOK
	}
	t := newTable(e.stdout, "INDEX", "HASH", "SERVICES", "BY", "AT", "REASON")
	for _, p := range hist {
		hash := p.Hash
		if p.Deleted {
			hash = "(deleted)"
		}
		t.row(fmt.Sprint(p.ModifyIndex), hash, strings.Join(p.Services, ","), dash(p.By), p.At.Format("2006-01-02T15:04:05Z"), dash(p.Reason))
	}
	t.flush()
	return exitOK
}

func policyDelete(ctx context.Context, e *env, fs argv) int {
	if fs.NArg() != 1 {
		return e.usageError(fs, "policy delete needs NAME")
	}
	res, err := e.client().DeletePolicy(ctx, fs.Arg(0), api.WriteOptions{Reason: e.reason})
	if err != nil {
		return e.fail(err)
	}
	return e.written(res, fmt.Sprintf("policy %s deleted", fs.Arg(0)))
}
