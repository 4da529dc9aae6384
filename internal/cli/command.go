package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/user"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/api"
)

// env is what every command gets: output streams, the environment and global settings.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string

	addr   string
	output string
	actor  string
	reason string
	stale  bool
	wait   time.Duration
}

// client returns an admin API client for the selected node.
func (e *env) client() *api.Client {
	c := api.NewClient(e.addr, &http.Client{Timeout: e.wait + 30*time.Second})
	c.Actor = e.actor
	c.Stale = e.stale
	return c
}

func (e *env) json() bool { return e.output == "json" }

// command is a node of the CLI tree: either it has subcommands or it runs.
type command struct {
	name    string
	args    string // usage of positional arguments
	summary string
	flags   func(fs *flag.FlagSet)
	run     func(ctx context.Context, e *env, args argv) int
	sub     []*command
	// long commands (watching a rollout) run until done or interrupted; -timeout bounds
	// each request instead of the whole command.
	long bool
}

func root() *command {
	return &command{
		name:    "meshctl",
		summary: "operate a Vigil control plane",
		sub: []*command{
			routesCommand(),
			versionsCommand(),
			proxiesCommand(),
			clusterCommand(),
			policyCommand(),
			rolloutCommand(),
			validateCommand(),
			auditCommand(),
			completionCommand(),
		},
	}
}

// defaults sets the global settings from the environment.
func (e *env) defaults() {
	e.addr = e.getenv("VIGIL_ADDR")
	if e.addr == "" {
		e.addr = "127.0.0.1:8500"
	}
	e.actor = e.getenv("VIGIL_ACTOR")
	if e.actor == "" {
		if u, err := user.Current(); err == nil {
			e.actor = u.Username
		}
	}
	e.output = "table"
	e.wait = 30 * time.Second
}

// globalFlags are accepted at every level (meshctl -o json routes get, or meshctl routes get
// -o json); each level starts from the values set so far.
func (e *env) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.addr, "addr", e.addr, "admin API address of any xds-server node (env VIGIL_ADDR)")
	fs.StringVar(&e.output, "o", e.output, "output format: table or json")
	fs.StringVar(&e.actor, "actor", e.actor, "who makes changes, recorded in the audit log (env VIGIL_ACTOR)")
	fs.StringVar(&e.reason, "reason", e.reason, "why; recorded in the audit log with the change")
	fs.BoolVar(&e.stale, "stale", e.stale, "answer reads from the contacted node even if it lags the leader")
	fs.DurationVar(&e.wait, "timeout", e.wait, "how long to wait for the control plane")
}

func (c *command) start(ctx context.Context, e *env, args []string) int {
	e.defaults()
	return c.dispatch(ctx, e, args, []string{c.name})
}

func (c *command) dispatch(ctx context.Context, e *env, args []string, path []string) int {
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.globalFlags(fs)
	if c.flags != nil {
		c.flags(fs)
	}
	fs.Usage = func() { c.usage(e.stderr, fs, path) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if e.output != "table" && e.output != "json" {
		e.errorf("-o %q: want table or json", e.output)
		return exitUsage
	}
	if len(c.sub) > 0 {
		if fs.NArg() == 0 {
			c.usage(e.stderr, fs, path)
			return exitUsage
		}
		name := fs.Arg(0)
		for _, s := range c.sub {
			if s.name == name {
				return s.dispatch(ctx, e, fs.Args()[1:], append(path, name))
			}
		}
		e.errorf("unknown command %q for %q; run %q for the list", name, strings.Join(path, " "), strings.Join(path, " ")+" -h")
		return exitUsage
	}
	// Leaf commands accept flags between positional arguments
	// (meshctl routes pin SERVICE --header X=Y VERSION).
	positional := []string{}
	rest := fs.Args()
	for len(rest) > 0 {
		positional = append(positional, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			return exitUsage
		}
		rest = fs.Args()
	}
	if e.output != "table" && e.output != "json" {
		e.errorf("-o %q: want table or json", e.output)
		return exitUsage
	}
	if !c.long {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.wait)
		defer cancel()
	}
	return c.run(ctx, e, argv{fs: fs, pos: positional})
}

// argv is a leaf command's positional arguments.
type argv struct {
	fs  *flag.FlagSet
	pos []string
}

func (a argv) NArg() int        { return len(a.pos) }
func (a argv) Arg(i int) string { return a.pos[i] }
func (a argv) Args() []string   { return a.pos }
func (a argv) Name() string     { return a.fs.Name() }

func (c *command) usage(w io.Writer, fs *flag.FlagSet, path []string) {
	fmt.Fprintf(w, "Usage: %s", strings.Join(path, " "))
	if len(c.sub) > 0 {
		fmt.Fprintf(w, " COMMAND")
	}
	if c.args != "" {
		fmt.Fprintf(w, " %s", c.args)
	}
	fmt.Fprintf(w, "\n\n%s\n", c.summary)
	if len(c.sub) > 0 {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, s := range c.sub {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
		}
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.PrintDefaults()
}

// fail reports err and returns the matching exit code.
func (e *env) fail(err error) int {
	var apiErr *api.Error
	var te *api.TransportError
	switch {
	case errors.As(err, &apiErr):
		e.errorf("%s", apiErr.Message)
		for _, f := range apiErr.Fields {
			fmt.Fprintf(e.stderr, "  - %s\n", f.Error())
		}
		if apiErr.Hint != "" {
			fmt.Fprintf(e.stderr, "  hint: %s\n", apiErr.Hint)
		}
		return exitCodeOf(apiErr.Code)
	case errors.As(err, &te):
		e.errorf("cannot reach the control plane: %v", te.Err)
		fmt.Fprintf(e.stderr, "  hint: is xds-server running at %s? set -addr or VIGIL_ADDR\n", e.addr)
		return exitUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		e.errorf("timed out after %s: %v", e.wait, err)
		return exitTimeout
	}
	e.errorf("%v", err)
	return exitError
}

func exitCodeOf(code api.ErrorCode) int {
	switch code {
	case api.CodeNotFound:
		return exitNotFound
	case api.CodeConflict:
		return exitConflict
	case api.CodeInvalid:
		return exitInvalid
	case api.CodeNotLeader, api.CodeUnavailable:
		return exitUnavailable
	case api.CodePrecondition:
		return exitPrecondition
	case api.CodeTimeout:
		return exitTimeout
	}
	return exitError
}

// usageError reports a command-line mistake.
func (e *env) usageError(fs argv, format string, args ...any) int {
	e.errorf(format, args...)
	fmt.Fprintf(e.stderr, "  run %q for usage\n", fs.Name()+" -h")
	return exitUsage
}
