package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

func versionsCommand() *command {
	return &command{
		name:    "versions",
		summary: "register, list and remove model versions and their backends",
		sub:     []*command{versionsAddCommand(), versionsListCommand(), versionsRemoveCommand()},
	}
}

type backendList []string

func (b *backendList) String() string     { return strings.Join(*b, ",") }
func (b *backendList) Set(v string) error { *b = append(*b, v); return nil }

// parseBackend parses HOST:PORT or HOST:PORT@REGION/ZONE[/SUBZONE].
func parseBackend(s string) (router.Backend, error) {
	addr, loc, hasLoc := strings.Cut(s, "@")
	b := router.Backend{Address: addr}
	if hasLoc {
		parts := strings.Split(loc, "/")
		if len(parts) > 3 || parts[0] == "" {
			return b, fmt.Errorf("backend %q: locality %q is not REGION[/ZONE[/SUBZONE]]", s, loc)
		}
		b.Locality.Region = parts[0]
		if len(parts) > 1 {
			b.Locality.Zone = parts[1]
		}
		if len(parts) > 2 {
			b.Locality.SubZone = parts[2]
		}
	}
	if err := router.ValidateBackend(b); err != nil {
		return b, fmt.Errorf("backend %q: %w", s, err)
	}
	return b, nil
}

func versionsAddCommand() *command {
	var backends backendList
	var create bool
	return &command{
		name:    "add",
		args:    "SERVICE VERSION --backend HOST:PORT[@REGION/ZONE]...",
		summary: "register a version (or replace its backends); the service is created if new",
		flags: func(fs *flag.FlagSet) {
			fs.Var(&backends, "backend", "backend HOST:PORT, optionally @REGION/ZONE[/SUBZONE]; repeat for several")
			fs.BoolVar(&create, "create-only", false, "fail if the version already exists")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 2 {
				return e.usageError(fs, "versions add needs SERVICE and VERSION")
			}
			if len(backends) == 0 {
				return e.usageError(fs, "versions add needs at least one --backend HOST:PORT")
			}
			v, err := router.ParseVersion(fs.Arg(1))
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			mv := router.ModelVersion{Service: fs.Arg(0), Version: v}
			for _, s := range backends {
				b, err := parseBackend(s)
				if err != nil {
					e.errorf("%v", err)
					return exitInvalid
				}
				mv.Backends = append(mv.Backends, b)
			}
			opts := api.WriteOptions{Reason: e.reason}
			if create {
				zero := uint64(0)
				opts.CAS = &zero
			}
			res, err := e.client().PutVersion(ctx, mv, opts)
			if err != nil {
				return e.fail(err)
			}
			return e.written(res, fmt.Sprintf("%s %s registered with %d backends", mv.Service, v, len(mv.Backends)))
		},
	}
}

func versionsListCommand() *command {
	return &command{
		name:    "list",
		args:    "[SERVICE]",
		summary: "list versions with their backends and current weight",
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() > 1 {
				return e.usageError(fs, "versions list takes at most one SERVICE")
			}
			service := ""
			if fs.NArg() == 1 {
				service = fs.Arg(0)
			}
			c := e.client()
			versions, err := c.Versions(ctx, service)
			if err != nil {
				return e.fail(err)
			}
			if e.json() {
				printJSON(e.stdout, versions)
				return exitOK
			}
			routes := map[string]*api.RouteRecord{}
			all, err := c.AllRoutes(ctx)
			if err != nil {
				return e.fail(err)
			}
			for i := range all {
				routes[all[i].Service] = &all[i]
			}
			t := newTable(e.stdout, "SERVICE", "VERSION", "PHASE", "WEIGHT", "BACKENDS", "MODIFY-INDEX")
			for _, v := range versions {
				weight := "-"
				if rt := routes[v.Service]; rt != nil {
					weight = rt.WeightOf(v.Version).String()
				}
				var bs []string
				for _, b := range v.Backends {
					s := b.Address
					if !b.Locality.IsZero() {
						s += "@" + b.Locality.String()
					}
					bs = append(bs, s)
				}
				t.row(v.Service, v.Version.String(), v.Version.Phase.String(), weight, strings.Join(bs, ","), fmt.Sprint(v.ModifyIndex))
			}
			t.flush()
			return exitOK
		},
	}
}

func versionsRemoveCommand() *command {
	var force bool
	return &command{
		name:    "remove",
		args:    "SERVICE VERSION",
		summary: "remove a drained version (weight 0, no pins, the drain ACKed by every proxy)",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "do not wait for proxies to ACK the drain")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 2 {
				return e.usageError(fs, "versions remove needs SERVICE and VERSION")
			}
			v, err := router.ParseVersion(fs.Arg(1))
			if err != nil {
				e.errorf("%v", err)
				return exitInvalid
			}
			res, err := e.client().RemoveVersion(ctx, fs.Arg(0), v, api.WriteOptions{Force: force, Reason: e.reason})
			if err != nil {
				return e.fail(err)
			}
			return e.written(res, fmt.Sprintf("%s %s removed", fs.Arg(0), v))
		},
	}
}
