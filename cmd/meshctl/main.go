// Command meshctl is the operator CLI of Vigil; see internal/cli for the commands.
//
//	meshctl routes get chest-xray-triage
//	meshctl routes set chest-xray-triage 2.2.0-PRODUCTION=90 2.3.0-CLINICALVALID=10
//	meshctl proxies
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed70a3350f/vigil/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
