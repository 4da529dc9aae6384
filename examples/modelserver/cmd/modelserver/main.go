// Command modelserver serves one Vigil demo model version over the Open Inference Protocol:
//
//	modelserver -model examples/models/1.1.0-CLINICALVALID.json -rest :8081 -grpc :9081
//
// REST: /v2/... (health, metadata, infer), GET/PUT /admin/faults, GET /metrics.
// gRPC: inference.GRPCInferenceService. It stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/seed70a3350f/vigil/examples/modelserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

// run parses flags, serves until ctx is done and returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("modelserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelFile := fs.String("model", "", "model file to serve, e.g. examples/models/1.0.0-PRODUCTION.json (required)")
	service := fs.String("service", "", "expected service name; when set, the model file must belong to it")
	restAddr := fs.String("rest", "127.0.0.1:8080", "REST listen address (Open Inference Protocol, /admin/faults, /metrics)")
	grpcAddr := fs.String("grpc", "127.0.0.1:9090", "gRPC listen address (inference.GRPCInferenceService)")
	errorRate := fs.Float64("error-rate", 0, "probability in [0, 1] that an inference fails with INTERNAL / HTTP 500")
	addedLatency := fs.Duration("added-latency", 0, "delay added to every inference, e.g. 250ms")
	latencyJitter := fs.Duration("latency-jitter", 0, "uniform spread of the added delay, +/- this much (<= added-latency)")
	adverseRate := fs.Float64("adverse-event-rate", 0, "probability in [0, 1] of a simulated adverse-event report per answered request")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the fault draws (default: from the start time)")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "modelserver: unexpected arguments %q: all options are flags\n", fs.Args())
		return 2
	}
	if *modelFile == "" {
		fmt.Fprintln(stderr, "modelserver: -model is required (a model file such as examples/models/1.0.0-PRODUCTION.json)")
		return 2
	}
	level := hclog.LevelFromString(*logLevel)
	if level == hclog.NoLevel {
		fmt.Fprintf(stderr, "modelserver: -log-level %q: want trace, debug, info, warn or error\n", *logLevel)
		return 2
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "modelserver", Level: level, Output: stderr})
	srv, err := modelserver.New(modelserver.Options{
		ModelFile:   *modelFile,
		ServiceName: *service,
		RESTAddr:    *restAddr,
		GRPCAddr:    *grpcAddr,
		Faults: modelserver.Faults{
			ErrorRate:        *errorRate,
			AddedLatency:     *addedLatency,
			LatencyJitter:    *latencyJitter,
			AdverseEventRate: *adverseRate,
		},
		Seed:   *seed,
		Logger: log,
	})
	if err != nil {
		log.Error("cannot create model server", "error", err)
		return 1
	}
	if err := srv.Start(ctx); err != nil {
		log.Error("cannot start model server", "error", err)
		return 1
	}
	log.Info("serving", "service", srv.Service(), "version", srv.Version(), "rest", srv.RESTAddr(), "grpc", srv.GRPCAddr(), "seed", *seed)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		log.Error("model server failed", "error", err)
		return 1
	}
	return 0
}
