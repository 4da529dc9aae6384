package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/seed70a3350f/vigil/raftstore"
)

func auditCommand() *command {
	var after uint64
	var limit int
	var verify bool
	return &command{
		name:    "audit",
		summary: "show the hash-chained audit log of every change (who, what, when, why)",
		flags: func(fs *flag.FlagSet) {
			fs.Uint64Var(&after, "after", 0, "show entries after this sequence number")
			fs.IntVar(&limit, "limit", 0, "show at most this many entries (0: all)")
			fs.BoolVar(&verify, "verify", false, "check the hash chain of the entries shown; exit 1 if it is broken")
		},
		run: func(ctx context.Context, e *env, fs argv) int {
			entries, err := e.client().Audit(ctx, after, limit)
			if err != nil {
				return e.fail(err)
			}
			if verify {
				if err := raftstore.VerifyAudit(entries); err != nil {
					e.errorf("audit chain broken: %v", err)
					return exitError
				}
			}
			if e.json() {
				printJSON(e.stdout, entries)
				return exitOK
			}
			t := newTable(e.stdout, "SEQ", "INDEX", "TIME", "ACTOR", "ACTION", "OBJECT", "REASON")
			for _, a := range entries {
				t.row(fmt.Sprint(a.Seq), fmt.Sprint(a.Index), a.Time.Format("2006-01-02T15:04:05Z"), a.Actor, a.Action, a.Object, dash(a.Reason))
			}
			t.flush()
			if verify {
				fmt.Fprintf(e.stdout, "hash chain of %d entries verified\n", len(entries))
			}
			return exitOK
		},
	}
}
