// Package cli implements meshctl, the operator CLI of Vigil. It talks to any xds-server
// node's admin API (writes and consistent reads are forwarded to the Raft leader). Main
// takes its arguments and output streams and returns the exit code, so every command is
// tested without a terminal.
//
// Exit codes: 0 success, 1 error, 2 usage, 3 not found, 4 conflict, 5 invalid input,
// 6 control plane unavailable (no leader, node down), 7 precondition (proxies have not
// ACKed), 8 timeout; commands that judge (validate, rollout watch) document their own.
package cli

import (
	"context"
	"fmt"
	"io"
)

// Main runs meshctl with args and returns its exit code; output goes to stdout and stderr,
// and getenv reads the environment (VIGIL_ADDR, VIGIL_ACTOR).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	return root().start(ctx, env, args)
}

// Exit codes.
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitNotFound     = 3
	exitConflict     = 4
	exitInvalid      = 5
	exitUnavailable  = 6
	exitPrecondition = 7
	exitTimeout      = 8
)

func (e *env) errorf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "meshctl: "+format+"\n", args...)
}
