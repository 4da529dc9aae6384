package clinical

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// unreachableConn is a real gRPC client of a loopback port nobody listens on.
func unreachableConn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestRunRejectsBadConfig(t *testing.T) {
	conn := unreachableConn(t)
	ds := handmadeDataset()
	good := func() Config {
		return Config{Spec: specRequiring(t, "noninferior(sensitivity, 0.05)"), Dataset: ds,
			Candidate:          Target{Version: candVersion, Conn: conn, Model: service, Metadata: []string{pinHeader, candVersion}},
			Comparator:         &Target{Version: compVersion, Conn: conn, Model: service, Metadata: []string{pinHeader, compVersion}},
			MaxFailureFraction: DefaultMaxFailureFraction}
	}
	for _, tc := range []struct {
		name     string
		edit     func(*Config)
		is       error
		contains string
	}{
		{"no spec", func(c *Config) { c.Spec = nil }, ErrInvalidConfig, "no spec"},
		{"no data set", func(c *Config) { c.Dataset = nil }, ErrInvalidConfig, "no data set"},
		{"bad version", func(c *Config) { c.Candidate.Version = "1.1.0" }, ErrInvalidConfig, `candidate version "1.1.0": want MAJOR.MINOR.PATCH-PHASE`},
		{"no connection", func(c *Config) { c.Candidate.Conn = nil }, ErrInvalidConfig, "candidate 1.1.0-CLINICALVALID: no connection"},
		{"no model", func(c *Config) { c.Comparator.Model = "" }, ErrInvalidConfig, "comparator 1.0.0-PRODUCTION: no model name"},
		{"no pin", func(c *Config) { c.Candidate.Metadata = nil }, ErrInvalidConfig, "want key, value pairs that pin the version"},
		{"odd metadata", func(c *Config) { c.Candidate.Metadata = []string{pinHeader} }, ErrInvalidConfig, "want key, value pairs"},
		{"zero concurrency", func(c *Config) { c.Spec.Concurrency = 0 }, ErrInvalidConfig, "spec concurrency 0 outside [1, 256]"},
		{"zero timeout", func(c *Config) { c.Spec.Timeout = 0 }, ErrInvalidConfig, "spec timeout 0s"},
		{"comparator with against none", func(c *Config) { c.Spec.Against.Kind = 2 }, ErrInvalidConfig, `says against = "none" but a comparator target was given`},
		{"comparator not the named version", func(c *Config) { c.Spec.Against.Kind, c.Spec.Against.Version = 3, "0.9.0-PRODUCTION" }, ErrInvalidConfig,
			"comparator version 1.0.0-PRODUCTION: spec \"v\" compares against 0.9.0-PRODUCTION"},
		{"paired criterion without comparator", func(c *Config) { c.Comparator = nil }, ErrInvalidConfig, "compares with another version"},
		{"data set not the pinned one", func(c *Config) { c.Spec.DatasetSHA256 = goldenCSVSHA256 }, ErrDatasetMismatch,
			"data set handmade has sha256 abab"},
		{"case without features", func(c *Config) {
			bad := *ds
			bad.Cases = append([]Case{{ID: "empty", Positive: true}}, ds.Cases[1:]...)
			c.Dataset = &bad
		}, nil, "case empty: feature rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.edit(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := Run(ctx, cfg)
			if err == nil || res != nil {
				t.Fatalf("Run = %v, %v; want an error", res, err)
			}
			if (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %v, want %v containing %q", err, tc.is, tc.contains)
			}
		})
	}
}

// A run whose context ends before every call completed returns no evidence: an
// interrupted run says nothing about the model.
func TestRunStopsWithItsContext(t *testing.T) {
	conn := unreachableConn(t)
	spec := specRequiring(t, "sensitivity.lower >= 0.5")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Config{Spec: spec, Dataset: handmadeDataset(),
		Candidate: Target{Version: candVersion, Conn: conn, Model: service, Metadata: []string{pinHeader, candVersion}}})
	if res != nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `clinical validation "v" stopped after`) {
		t.Fatalf("Run = %v, %v; want no result and an error wrapping context.DeadlineExceeded", res, err)
	}
}

// Calls that run out of their per-case time are timeouts, counted against the candidate.
func TestRunCountsTimeouts(t *testing.T) {
	conn := unreachableConn(t)
	spec := parseSpec(t, `    against = "none"
    min_cases = 1
    timeout = "50ms"
    concurrency = 50
    require = [sensitivity.lower >= 0.5]`)
	res, err := Run(context.Background(), Config{Spec: spec, Dataset: handmadeDataset(), MaxFailureFraction: DefaultMaxFailureFraction,
		Candidate: Target{Version: candVersion, Conn: conn, Model: service, Metadata: []string{pinHeader, candVersion}}})
	if err != nil {
		t.Fatal(err)
	}
	calls := res.Candidate.Calls
	if calls.Failed != 50 || calls.Timeouts != 50 || calls.FailuresByCode[FailureTimeout] != 50 || res.Verdict != Inconclusive {
		t.Errorf("calls %+v, verdict %s; want 50 timeouts and INCONCLUSIVE", calls, res.Verdict)
	}
	if res.Candidate.Metrics.Confusion != (Confusion{FN: 20, FP: 30}) {
		t.Errorf("confusion %+v, want every case wrong", res.Candidate.Metrics.Confusion)
	}
}
