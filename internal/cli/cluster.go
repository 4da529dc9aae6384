package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/seed70a3350f/vigil/api"
)

func clusterCommand() *command {
	return &command{
		name:    "cluster",
		summary: "inspect and change the control plane's Raft membership",
		sub: []*command{
			{name: "members", summary: "list members, their role and addresses", run: clusterMembers},
			{name: "leader", summary: "show the current leader", run: clusterLeader},
			clusterJoinCommand(),
			{name: "remove", args: "NODE-ID", summary: "remove a member from the cluster", run: clusterRemove},
		},
	}
}

func clusterMembers(ctx context.Context, e *env, fs argv) int {
	members, err := e.client().Members(ctx)
	if err != nil {
		return e.fail(err)
	}
	if e.json() {
		printJSON(e.stdout, members)
		return exitOK
	}
	t := newTable(e.stdout, "ID", "ROLE", "LEADER", "RAFT", "ADMIN", "XDS")
	for _, m := range members {
		leader := ""
		if m.Leader {
			leader = "*"
		}
		t.row(m.ID, m.Suffrage, leader, m.RaftAddr, dash(m.AdminAddr), dash(m.XDSAddr))
	}
	t.flush()
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clusterLeader(ctx context.Context, e *env, fs argv) int {
	m, err := e.client().Leader(ctx)
	if err != nil {
		return e.fail(err)
	}
	if e.json() {
		printJSON(e.stdout, m)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s raft=%s admin=%s xds=%s\n", m.ID, m.RaftAddr, dash(m.AdminAddr), dash(m.XDSAddr))
	return exitOK
}

func clusterJoinCommand() *command {
	var admin, xdsAddr string
	var nonVoter bool
	return &command{
		name:    "join",
		args:    "NODE-ID RAFT-ADDR --admin HOST:PORT [--xds HOST:PORT] [--non-voter]",
		summary: "add a started node (with no state) to the cluster",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&admin, "admin", "", "the new node's admin API address")
			fs.StringVar(&xdsAddr, "xds", "", "the new node's xDS address")
			fs.BoolVar(&nonVoter, "non-voter", false, "add it as a non-voting member (replicates and serves xDS only)")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 2 || admin == "" {
				return e.usageError(fs, "cluster join needs NODE-ID, RAFT-ADDR and --admin")
			}
			m := api.Member{ID: fs.Arg(0), RaftAddr: fs.Arg(1), AdminAddr: admin, XDSAddr: xdsAddr, Voter: !nonVoter}
			if err := e.client().Join(ctx, m); err != nil {
				return e.fail(err)
			}
			role := "voter"
			if nonVoter {
				role = "non-voter"
			}
			fmt.Fprintf(e.stdout, "%s joined as a %s\n", m.ID, role)
			return exitOK
		},
	}
}

func clusterRemove(ctx context.Context, e *env, fs argv) int {
	if fs.NArg() != 1 {
		return e.usageError(fs, "cluster remove needs NODE-ID")
	}
	if err := e.client().RemoveMember(ctx, fs.Arg(0)); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "%s removed\n", fs.Arg(0))
	return exitOK
}
