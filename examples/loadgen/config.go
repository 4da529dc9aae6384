// Package loadgen drives Open Inference Protocol gRPC ModelInfer calls at a target rate
// against any gRPC target - a plain host:port, or xds:///SERVICE when the caller passes the
// xDS resolver as a dial option - and counts the answers per model version and outcome, so
// tests and demos can see how traffic was split and how each version behaved.
//
// Every request carries one labelled case (round-robin over the configured cases) and its
// ground-truth label in the x-vigil-label metadata, so model servers can count live
// accuracy per version.
package loadgen

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/oip"
)

// Config configures a Generator.
type Config struct {
	// Target is a gRPC target string for grpc.NewClient: "127.0.0.1:9090", or
	// "xds:///breast-cancer-dx" together with an xDS resolver in DialOptions. Required.
	Target string
	// DialOptions are appended after the generator's default of insecure transport
	// credentials, so a caller's credentials, resolvers or service config take precedence.
	DialOptions []grpc.DialOption
	// Model is the Open Inference Protocol model name sent in every request. Required.
	Model string
	// Cases are sent round-robin, one per request, each with its label. At least one.
	Cases []wdbc.Case
	// Metadata is added to every request, e.g. {"x-model-version": "1.1.0-CLINICALVALID"}
	// to pin a version through a header route. Keys are lower case; x-vigil-label is set
	// by the generator and may not appear here.
	Metadata map[string]string
	// Rate is the target number of requests started per second (> 0). The generator never
	// bursts to catch up: when every slot is busy it waits, and the achieved rate drops.
	Rate float64
	// Concurrency is the maximum number of requests in flight (>= 1).
	Concurrency int
	// Timeout is the deadline of each request (> 0).
	Timeout time.Duration
	// MaxRequests stops the run after this many requests have been sent and answered;
	// 0 runs until the context given to Run ends.
	MaxRequests int
	// Registerer, when set, receives loadgen_requests_total{version,outcome} and
	// loadgen_request_duration_seconds{outcome}.
	Registerer prometheus.Registerer
	// Logger receives progress and errors; nil discards them.
	Logger hclog.Logger
}

// validate names the first field that is wrong.
func (cfg Config) validate() error {
	switch {
	case cfg.Target == "":
		return fmt.Errorf("loadgen config: Target is required (host:port or xds:///service)")
	case cfg.Model == "":
		return fmt.Errorf("loadgen config: Model is required (e.g. breast-cancer-dx)")
	case len(cfg.Cases) == 0:
		return fmt.Errorf("loadgen config: Cases is empty: load a golden set or the data set")
	case !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 0):
		return fmt.Errorf("loadgen config: Rate %v: want a finite number of requests per second > 0", cfg.Rate)
	case cfg.Concurrency < 1:
		return fmt.Errorf("loadgen config: Concurrency %d: want >= 1", cfg.Concurrency)
	case cfg.Timeout <= 0:
		return fmt.Errorf("loadgen config: Timeout %v: want > 0", cfg.Timeout)
	case cfg.MaxRequests < 0:
		return fmt.Errorf("loadgen config: MaxRequests %d: want >= 0 (0 runs until the context ends)", cfg.MaxRequests)
	}
	for k := range cfg.Metadata {
		if k != strings.ToLower(k) || k == "" {
			return fmt.Errorf("loadgen config: Metadata key %q: want a non-empty lower-case key", k)
		}
		if k == oip.LabelHeader {
			return fmt.Errorf("loadgen config: Metadata key %q is set per case by the generator", k)
		}
	}
	for i, c := range cfg.Cases {
		if len(c.Features) != wdbc.NumFeatures {
			return fmt.Errorf("loadgen config: Cases[%d] (%s): %d features, want %d", i, c.ID, len(c.Features), wdbc.NumFeatures)
		}
		if c.Label != wdbc.Malignant && c.Label != wdbc.Benign {
			return fmt.Errorf("loadgen config: Cases[%d] (%s): label %v, want malignant or benign", i, c.ID, c.Label)
		}
	}
	return nil
}
