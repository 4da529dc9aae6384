package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/api"
)

func proxiesCommand() *command {
	var local bool
	return &command{
		name:    "proxies",
		summary: "list connected proxies: the version each ACKed per type, and its last NACK",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&local, "local", false, "only the proxies connected to the contacted node")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			list, err := e.client().Proxies(ctx, local)
			if err != nil {
				return e.fail(err)
			}
			if e.json() {
				printJSON(e.stdout, list)
				return exitOK
			}
			t := newTable(e.stdout, "NODE", "SERVER", "KIND", "LDS", "RDS", "CDS", "EDS", "LAST NACK")
			for _, p := range list.Proxies {
				cols := []string{p.NodeID, p.Server, kindOf(p)}
				var nack string
				for _, typ := range []string{"Listener", "RouteConfiguration", "Cluster", "ClusterLoadAssignment"} {
					pt := findType(p, typ)
					if pt == nil {
						cols = append(cols, "-")
						continue
					}
					cell := fmt.Sprint(pt.Acked)
					if pt.Sent != pt.Acked && (pt.LastNack == nil || pt.LastNack.Version != pt.Sent) {
						cell += fmt.Sprintf(" (sent %d)", pt.Sent)
					}
					cols = append(cols, cell)
					if pt.LastNack != nil && (nack == "" || pt.LastNack.At.After(lastNackTime(p))) {
						nack = fmt.Sprintf("%s v%d %s: %s (%d NACKs)", typ, pt.LastNack.Version, ago(pt.LastNack.At), oneLine(pt.LastNack.Error), pt.Nacks)
					}
				}
				if nack == "" {
					nack = "-"
				}
				t.row(append(cols, nack)...)
			}
			t.flush()
			for id, err := range list.Unreachable {
				fmt.Fprintf(e.stderr, "warning: node %s did not answer; its proxies are not listed: %s\n", id, err)
			}
			return exitOK
		},
	}
}

func kindOf(p api.Proxy) string {
	if p.Delta {
		return p.Kind + "/delta"
	}
	return p.Kind
}

func findType(p api.Proxy, typ string) *api.ProxyType {
	for i := range p.Types {
		if p.Types[i].Type == typ {
			return &p.Types[i]
		}
	}
	return nil
}

func lastNackTime(p api.Proxy) (t0 time.Time) {
	for _, pt := range p.Types {
		if pt.LastNack != nil && pt.LastNack.At.After(t0) {
			t0 = pt.LastNack.At
		}
	}
	return t0
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
