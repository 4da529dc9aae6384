// Command loadgen sends labelled wdbc cases to an Open Inference Protocol gRPC target at a
// fixed rate and reports how many answers came from each model version, by outcome:
//
//	loadgen -target 127.0.0.1:9090 -rate 50 -duration 30s
//	GRPC_XDS_BOOTSTRAP=bootstrap.json loadgen -target xds:///breast-cancer-dx -rate 50
//	loadgen -target xds:///breast-cancer-dx -metadata x-model-version=1.1.0-CLINICALVALID
//
// xds:/// targets use the xDS resolver configured by GRPC_XDS_BOOTSTRAP or
// GRPC_XDS_BOOTSTRAP_CONFIG. With -metrics, the counts are also served as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver and balancers

	"github.com/seed70a3350f/vigil/examples/loadgen"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// metadataFlags collects repeated -metadata key=value flags.
type metadataFlags map[string]string

func (m metadataFlags) String() string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (m metadataFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("metadata %q: want key=value", s)
	}
	m[strings.ToLower(k)] = v
	return nil
}

// run parses flags, drives the load and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "gRPC target: host:port or xds:///SERVICE (required)")
	model := fs.String("model", "breast-cancer-dx", "Open Inference Protocol model name")
	casesFile := fs.String("cases", "examples/data/golden.jsonl", "labelled cases: a golden set (.jsonl) or breast_cancer.csv")
	rate := fs.Float64("rate", 20, "requests started per second")
	concurrency := fs.Int("concurrency", 8, "maximum requests in flight")
	timeout := fs.Duration("timeout", 2*time.Second, "deadline of each request")
	duration := fs.Duration("duration", 0, "how long to run; 0 runs until interrupted or -requests are done")
	requests := fs.Int("requests", 0, "stop after this many requests; 0 for no limit")
	reportEvery := fs.Duration("report-every", 5*time.Second, "interval between progress reports; 0 reports only at the end")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics on this address, e.g. 127.0.0.1:9464")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn or error")
	md := metadataFlags{}
	fs.Var(md, "metadata", "extra request metadata key=value; repeatable (e.g. x-model-version=1.1.0-CLINICALVALID)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loadgen: unexpected arguments %q: all options are flags\n", fs.Args())
		return 2
	}
	if *target == "" {
		fmt.Fprintln(stderr, "loadgen: -target is required (host:port or xds:///SERVICE)")
		return 2
	}
	if *duration < 0 || *reportEvery < 0 {
		fmt.Fprintln(stderr, "loadgen: -duration and -report-every must not be negative")
		return 2
	}
	level := hclog.LevelFromString(*logLevel)
	if level == hclog.NoLevel {
		fmt.Fprintf(stderr, "loadgen: -log-level %q: want trace, debug, info, warn or error\n", *logLevel)
		return 2
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "loadgen", Level: level, Output: stderr})
	cases, err := wdbc.LoadCases(*casesFile)
	if err != nil {
		log.Error("cannot load cases", "error", err)
		return 1
	}
	cfg := loadgen.Config{
		Target:      *target,
		Model:       *model,
		Cases:       cases,
		Metadata:    md,
		Rate:        *rate,
		Concurrency: *concurrency,
		Timeout:     *timeout,
		MaxRequests: *requests,
		Logger:      log,
	}
	var reg *prometheus.Registry
	if *metricsAddr != "" {
		reg = prometheus.NewRegistry()
		cfg.Registerer = reg
	}
	gen, err := loadgen.New(cfg)
	if err != nil {
		log.Error("cannot create load generator", "error", err)
		return 1
	}
	defer gen.Close()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	if reg != nil {
		stopMetrics, err := serveMetrics(*metricsAddr, reg, log)
		if err != nil {
			log.Error("cannot serve metrics", "error", err)
			return 1
		}
		defer stopMetrics()
	}
	done := make(chan error, 1)
	go func() { done <- gen.Run(ctx) }()
	var ticks <-chan time.Time
	if *reportEvery > 0 {
		ticker := time.NewTicker(*reportEvery)
		defer ticker.Stop()
		ticks = ticker.C
	}
	log.Info("sending", "target", *target, "cases", len(cases), "rate", *rate, "concurrency", *concurrency)
	for {
		select {
		case <-ticks:
			log.Info("progress", "counts", gen.Snapshot().String())
		case err := <-done:
			fmt.Fprintln(stdout, gen.Snapshot().String())
			if err != nil {
				log.Error("load generation failed", "error", err)
				return 1
			}
			return 0
		}
	}
}

// serveMetrics serves reg on addr until the returned stop function is called.
func serveMetrics(addr string, reg *prometheus.Registry, log hclog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "error", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		srv.Close()
		<-served
	}, nil
}
