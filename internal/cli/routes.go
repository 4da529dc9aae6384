package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

func routesCommand() *command {
	return &command{
		name:    "routes",
		summary: "show and change route tables (weighted split, header pins)",
		sub: []*command{
			{name: "get", args: "[SERVICE]", summary: "show one service's route table, or all", run: routesGet},
			routesSetCommand(),
			routesPinCommand(),
			routesUnpinCommand(),
		},
	}
}

func routesGet(ctx context.Context, e *env, fs argv) int {
	c := e.client()
	var records []api.RouteRecord
	switch fs.NArg() {
	case 0:
		all, err := c.AllRoutes(ctx)
		if err != nil {
			return e.fail(err)
		}
		records = all
	case 1:
		rt, err := c.Routes(ctx, fs.Arg(0))
		if err != nil {
			return e.fail(err)
		}
		records = []api.RouteRecord{*rt}
	default:
		return e.usageError(fs, "routes get takes at most one SERVICE, got %d arguments", fs.NArg())
	}
	if e.json() {
		if fs.NArg() == 1 {
			printJSON(e.stdout, records[0])
		} else {
			printJSON(e.stdout, records)
		}
		return exitOK
	}
	t := newTable(e.stdout, "SERVICE", "VERSION", "WEIGHT", "ROUTE", "MODIFY-INDEX")
	for _, r := range records {
		for _, s := range r.Split {
			t.row(r.Service, s.Version.String(), s.Weight.String(), "split", fmt.Sprint(r.ModifyIndex))
		}
		for _, p := range r.Pins {
			t.row(r.Service, p.Version.String(), "-", fmt.Sprintf("pin %s=%s", p.Header, p.Value), fmt.Sprint(r.ModifyIndex))
		}
		if r.Mirror != nil {
			t.row(r.Service, r.Mirror.Version.String(), r.Mirror.Percent.String(), "mirror (Envoy only)", fmt.Sprint(r.ModifyIndex))
		}
	}
	t.flush()
	if len(records) == 1 {
		r := records[0]
		retry := r.EffectiveRetry()
		fmt.Fprintf(e.stdout, "timeout %s, retries %d on %s\n", r.EffectiveTimeout(), retry.NumRetries, strings.Join(retry.RetryOn, ","))
	}
	return exitOK
}

// parseSplit turns VERSION=PERCENT arguments into a split; percentages have at most two
// decimals and must sum to exactly 100.
func parseSplit(args []string) ([]router.Split, error) {
	var split []router.Split
	var total router.BasisPoints
	seen := map[router.Version]bool{}
	for _, arg := range args {
		vs, ps, ok := strings.Cut(arg, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not VERSION=PERCENT (e.g. 2.2.0-PRODUCTION=90)", arg)
		}
		v, err := router.ParseVersion(vs)
		if err != nil {
			return nil, err
		}
		if seen[v] {
			return nil, fmt.Errorf("version %s is given twice", v)
		}
		seen[v] = true
		bp, err := router.ParsePercent(ps)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v, err)
		}
		total += bp
		split = append(split, router.Split{Version: v, Weight: bp})
	}
	if total != router.TotalWeight {
		return nil, fmt.Errorf("percentages sum to %s; they must sum to exactly 100%%", total)
	}
	return split, nil
}

func routesSetCommand() *command {
	var (
		timeout string
		retries int
		force   bool
		cas     int64
	)
	return &command{
		name:    "set",
		args:    "SERVICE VERSION=PERCENT...",
		summary: "replace the weighted split (percentages with up to two decimals summing to 100); pins are kept",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&timeout, "route-timeout", "", "per-request timeout for the service (default 120s)")
			fs.IntVar(&retries, "retries", -1, "retries on connection failures (default 1; 0 disables)")
			fs.BoolVar(&force, "force", false, "do not wait for proxies to ACK new versions' clusters (make-before-break)")
			fs.Int64Var(&cas, "cas", -1, "only write if the table's modify index is still this (0: must not exist)")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() < 2 {
				return e.usageError(fs, "routes set needs SERVICE and at least one VERSION=PERCENT")
			}
			service := fs.Arg(0)
			split, err := parseSplit(fs.Args()[1:])
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			c := e.client()
			rt := router.RouteTable{Service: service}
			if current, err := c.Routes(ctx, service); err == nil {
				rt = current.RouteTable
			} else if !api.IsCode(err, api.CodeNotFound) {
				return e.fail(err)
			}
			rt.Split = split
			if timeout != "" {
				var d router.Duration
				if err := d.UnmarshalText([]byte(timeout)); err != nil {
					e.errorf("-route-timeout: %v", err)
					return exitInvalid
				}
				rt.Timeout = d
			}
			if retries >= 0 {
				policy := rt.EffectiveRetry()
				policy.NumRetries = uint32(retries)
				rt.Retry = &policy
			}
			opts := api.WriteOptions{Force: force, Reason: e.reason}
			if cas >= 0 {
				v := uint64(cas)
				opts.CAS = &v
			}
			res, err := c.SetRoutes(ctx, rt, opts)
			if err != nil {
				return e.fail(err)
			}
			return e.written(res, fmt.Sprintf("routes of %s set: %s", service, describeSplit(split)))
		},
	}
}

func describeSplit(split []router.Split) string {
	parts := make([]string, 0, len(split))
	for _, s := range split {
		parts = append(parts, fmt.Sprintf("%s=%s", s.Version, s.Weight))
	}
	return strings.Join(parts, " ")
}

// written reports a committed write.
func (e *env) written(res api.WriteResult, msg string) int {
	if e.json() {
		printJSON(e.stdout, res)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s (index %d)\n", msg, res.Index)
	return exitOK
}

// parseHeader parses NAME=VALUE for pins.
func parseHeader(s string) (string, string, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" || value == "" {
		return "", "", fmt.Errorf("--header %q is not NAME=VALUE (e.g. x-model-version=2.3.0-CLINICALVALID)", s)
	}
	return strings.ToLower(name), value, nil
}

func routesPinCommand() *command {
	var header string
	var force bool
	return &command{
		name:    "pin",
		args:    "SERVICE --header NAME=VALUE VERSION",
		summary: "send requests carrying a header value to one version, ahead of the split",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&header, "header", "", "NAME=VALUE the request header must carry")
			fs.BoolVar(&force, "force", false, "do not wait for proxies to ACK the version's cluster")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 2 || header == "" {
				return e.usageError(fs, "routes pin needs SERVICE, --header NAME=VALUE and VERSION")
			}
			name, value, err := parseHeader(header)
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			v, err := router.ParseVersion(fs.Arg(1))
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			res, err := e.client().Pin(ctx, fs.Arg(0), router.HeaderPin{Header: name, Value: value, Version: v}, api.WriteOptions{Force: force, Reason: e.reason})
			if err != nil {
				return e.fail(err)
			}
			return e.written(res, fmt.Sprintf("%s: %s=%s now goes to %s", fs.Arg(0), name, value, v))
		},
	}
}

func routesUnpinCommand() *command {
	var header string
	return &command{
		name:    "unpin",
		args:    "SERVICE --header NAME=VALUE",
		summary: "remove a header pin",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&header, "header", "", "NAME=VALUE of the pin to remove")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 || header == "" {
				return e.usageError(fs, "routes unpin needs SERVICE and --header NAME=VALUE")
			}
			name, value, err := parseHeader(header)
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			res, err := e.client().Unpin(ctx, fs.Arg(0), name, value, api.WriteOptions{Reason: e.reason})
			if err != nil {
				return e.fail(err)
			}
			return e.written(res, fmt.Sprintf("%s: pin %s=%s removed", fs.Arg(0), name, value))
		},
	}
}
