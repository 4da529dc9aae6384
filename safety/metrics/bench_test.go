package metrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/internal/promtest"
)

// BenchmarkPrometheusQuery measures Query against a real Prometheus on loopback: one
// caller, eight concurrent callers, and evaluation rounds with and without Dedup. Each
// sub-benchmark reports queries/s (for rounds: requests answered per second).
func BenchmarkPrometheusQuery(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	exp := promtest.NewExporter(b)
	exp.Gauge(errorRatio, map[string]string{"model": "sepsis", "version": "2.2.0-PRODUCTION"}).Set(0.25)
	for i, v := range []string{"a", "b", "c"} {
		exp.Gauge(byVersion, map[string]string{"version": v}).Set(float64(i + 1))
	}
	prom := promtest.Start(b, promtest.Options{
		Targets: []promtest.TargetGroup{{Job: "model-server", Targets: []string{exp.Target()}}},
	})
	// ts is a time at which every series has data for good.
	ts, err := prom.WaitForSettled(ctx, "count("+byVersion+") + count("+errorRatio+")", promtest.HasValue(4))
	if err != nil {
		b.Fatal(err)
	}
	src, err := NewPrometheus(DefaultConfig(prom.URL()))
	if err != nil {
		b.Fatal(err)
	}

	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if _, err := src.Query(ctx, errorRatio, ts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	})

	b.Run("8-callers", func(b *testing.B) {
		var next atomic.Int64
		var failed atomic.Value
		var wg sync.WaitGroup
		b.ResetTimer()
		for range 8 {
			wg.Go(func() {
				for next.Add(1) <= int64(b.N) {
					if _, err := src.Query(ctx, errorRatio, ts); err != nil {
						failed.Store(err)
						return
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		if err := failed.Load(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	})

	// A round as trigger evaluation sends it: 16 requests from several rollouts that share
	// 4 distinct queries.
	var round []Request
	for i := range 16 {
		q := []string{
			errorRatio,
			"sum by () (" + byVersion + ")",
			"max by () (" + byVersion + ")",
			"min by () (" + byVersion + ")",
		}[i%4]
		round = append(round, Request{Query: q, Time: ts})
	}

	b.Run("round-16-requests-4-distinct-dedup", func(b *testing.B) {
		d, err := NewDedup(src, 4)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			results, _ := d.Round(ctx, round)
			for _, r := range results {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.ReportMetric(float64(b.N*len(round))/b.Elapsed().Seconds(), "queries/s")
	})

	b.Run("round-16-requests-4-distinct-no-dedup", func(b *testing.B) {
		for b.Loop() {
			if err := queryAllConcurrently(ctx, src, round, 4); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(round))/b.Elapsed().Seconds(), "queries/s")
	})
}

// queryAllConcurrently sends every request, duplicates included, with at most workers in
// flight: the baseline Dedup is compared with.
func queryAllConcurrently(ctx context.Context, src Source, reqs []Request, workers int) error {
	work := make(chan Request)
	errs := make(chan error, len(reqs))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for r := range work {
				if _, err := src.Query(ctx, r.Query, r.Time); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, r := range reqs {
		work <- r
	}
	close(work)
	wg.Wait()
	close(errs)
	if err, ok := <-errs; ok {
		return fmt.Errorf("round without dedup: %w", err)
	}
	return nil
}
