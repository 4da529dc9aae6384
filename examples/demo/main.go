// Command demo runs Vigil's main job on one machine: a single xds-server node (the embedded
// dev default), a real Prometheus scraping three demo model servers of breast-cancer-dx,
// and proxyless gRPC load clients sending the golden cases through the mesh. It then rolls
// out two versions under examples/policies/breast-cancer-dx.hcl:
//
//  1. a canary of 1.2.0-CLINICALVALID, whose sensitivity is clearly lower: the
//     sensitivity_floor trigger rolls it back by itself;
//  2. a blue-green switch to 1.1.0-CLINICALVALID: its clinical validation passes on the
//     golden set, the switch happens, and after a healthy post-switch window it is promoted.
//
// It prints a timeline of what happened and why, then leaves everything running for a look
// with meshctl until interrupted. Run it with `make demo`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("dir", ".vigil-demo", "working directory for the node's data, Prometheus and logs (wiped at start)")
	admin := flag.String("admin-addr", "127.0.0.1:8500", "admin API address of the node (meshctl's default)")
	xdsAddr := flag.String("xds-addr", "127.0.0.1:18000", "xDS address of the node")
	promAddr := flag.String("prometheus-addr", "127.0.0.1:9090", "listen address of the demo's Prometheus")
	rate := flag.Float64("rate", 40, "requests per second of each of the two load clients")
	exit := flag.Bool("exit", false, "exit after the two rollouts instead of staying up")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.RemoveAll(*dir); err != nil {
		fmt.Fprintf(os.Stderr, "demo: clean %s: %v\n", *dir, err)
		return 1
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return 1
	}
	d := &demo{dir: abs, adminAddr: *admin, xdsAddr: *xdsAddr, promAddr: *promAddr, rate: *rate, started: time.Now()}
	defer d.close()
	if err := d.setUp(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return 1
	}
	ok, err := d.rollouts(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 130
		}
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return 1
	}
	d.printSummary()
	if !ok {
		fmt.Println("\nThe demo did NOT end as expected; see the timeline above.")
	}
	if *exit {
		if ok {
			return 0
		}
		return 1
	}
	fmt.Printf("\nEverything stays up for a look (Ctrl-C to stop):\n")
	fmt.Printf("  export VIGIL_ADDR=%s\n", d.adminAddr)
	fmt.Printf("  go run ./cmd/meshctl rollout history breast-cancer-dx\n")
	fmt.Printf("  go run ./cmd/meshctl routes get breast-cancer-dx\n")
	fmt.Printf("  go run ./cmd/meshctl validate list breast-cancer-dx\n")
	fmt.Printf("  go run ./cmd/meshctl audit --verify\n")
	fmt.Printf("  Prometheus: http://%s/graph   node metrics: http://%s/metrics\n", d.promAddr, d.adminAddr)
	<-ctx.Done()
	fmt.Println("\nstopping")
	return 0
}
