package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
)

var (
	writerCounts     = flag.String("writers", "1,16,64", "comma-separated numbers of concurrent writers for BenchmarkThroughput")
	throughputWindow = flag.Duration("throughput-window", 5*time.Second, "measured window of each BenchmarkThroughput run, after a warm-up of 1s")
)

// throughputWarmup is run, and discarded, before each measured window: connections open,
// caches fill and the leader's replication pipelines start.
const throughputWarmup = time.Second

// BenchmarkThroughput measures commits per second of route updates on a 3-node cluster on
// loopback whose log stores fsync (bolt), with each of -writers concurrent writers that
// commit back to back:
//   - admin-api: xds-server processes; writers PUT route tables to the leader's admin API,
//     the path meshctl and the rollout controller use (HTTP and JSON, validation, a Raft
//     commit on a quorum, apply, and the xDS publisher on every node).
//   - raft-apply: raftstore.Nodes in this process over TCP; writers call Node.Apply on the
//     leader (Raft, bolt with fsync, the FSM). It also reports how many log entries each
//     fsynced bolt transaction stored, which shows hashicorp/raft's batching.
//
// Each run reports commits/s over -throughput-window, the p50/p99 latency of a committed
// write, and, because a loaded machine can delay heartbeats past the leader lease, the
// elections and the failed writes (outcome unknown, no leader) during the window: a figure
// with elections is not steady-state throughput, and is logged as such.
// Target: >= 1,000 commits/s.
// Run: go test -run '^$' -bench Throughput -benchtime 1x ./internal/bench/
func BenchmarkThroughput(b *testing.B) {
	counts, err := parseCounts("-writers", *writerCounts)
	if err != nil {
		b.Fatal(err)
	}
	if *throughputWindow <= 0 {
		b.Fatalf("-throughput-window %s: want a positive duration", *throughputWindow)
	}
	b.Run("admin-api", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		c := startBenchCluster(b)
		leader := c.Leader(b, 30*time.Second)
		if _, err := seedBenchService(ctx, leader.Client()); err != nil {
			b.Fatal(err)
		}
		for _, n := range counts {
			b.Run(fmt.Sprintf("writers=%d", n), func(b *testing.B) {
				// Writes go to the node that leads when the run starts; if leadership moves
				// during it, that node forwards them (counted in the elections metric).
				client := pooledClient(c.Leader(b, 30*time.Second), n)
				commit := func(ctx context.Context, w1 router.BasisPoints) error {
					_, err := client.SetRoutes(ctx, benchRoutes(w1), api.WriteOptions{})
					return err
				}
				runThroughput(ctx, b, n, commit, func() int { return procElections(c) }, false)
			})
		}
	})
	b.Run("raft-apply", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		c := startRaftCluster(b, 3)
		if err := c.seed(ctx); err != nil {
			b.Fatal(err)
		}
		for _, n := range counts {
			b.Run(fmt.Sprintf("writers=%d", n), func(b *testing.B) {
				runThroughput(ctx, b, n, c.applyRoutes(), c.elections, true)
			})
		}
	})
}

// runThroughput warms up, measures one window with writers concurrent writers and reports
// commits/s, the latency of committed writes, failed writes and elections (elections
// returns the cluster's count so far). With batches it also reports the mean number of log
// entries per fsynced bolt transaction ("entries/fsync") and its mean duration.
func runThroughput(ctx context.Context, b *testing.B, writers int, commit commitFunc, elections func() int, batches bool) {
	b.Helper()
	var res throughput
	var stats batchStats
	var elected int
	var stalls string
	probe := startStallProbe(b)
	for i := 0; i < b.N; i++ {
		if _, err := measureThroughput(ctx, writers, throughputWarmup, commit); err != nil && !errors.Is(err, errNoCommits) {
			b.Fatalf("warm-up: %v", err)
		}
		var readBatches func() (batchStats, error)
		if batches {
			var err error
			if readBatches, err = recordBatches(); err != nil {
				b.Fatal(err)
			}
		}
		before := elections()
		var err error
		from := time.Now()
		if res, err = measureThroughput(ctx, writers, *throughputWindow, commit); err != nil {
			b.Fatal(err)
		}
		stalls = probe.summary(from, from.Add(res.window))
		elected = elections() - before
		if batches {
			if stats, err = readBatches(); err != nil {
				b.Fatal(err)
			}
		}
	}
	logLoad(b, "after the window")
	b.ReportMetric(res.perSecond(), "commits/s")
	res.latency.report(b)
	b.ReportMetric(float64(res.failed), "failed-writes")
	b.ReportMetric(float64(elected), "elections")
	msg := fmt.Sprintf("%d writers: %d commits in %s = %.0f commits/s; committed-write latency p50 %s p99 %s max %s; %d failed writes, %d elections in the window",
		writers, res.commits, res.window, res.perSecond(),
		res.latency.quantile(0.5), res.latency.quantile(0.99), res.latency.quantile(1), res.failed, elected)
	if res.failed > 0 {
		msg += fmt.Sprintf(" (first failure: %v)", res.firstFailure)
	}
	if batches {
		b.ReportMetric(stats.meanBatch(), "entries/fsync")
		b.ReportMetric(stats.meanStoreMs, "ms/fsync")
		msg += fmt.Sprintf("; bolt on all 3 nodes: %d fsynced batches, %.1f entries each on average (largest %.0f), %.2f ms each",
			stats.batches, stats.meanBatch(), stats.largestBatch, stats.meanStoreMs)
	}
	b.Log(msg + "; " + stalls + " in the window")
	if elected > 0 {
		b.Logf("%d writers: %d elections during the window: this figure includes failover time and is not steady-state throughput", writers, elected)
	}
}

// commitFunc commits one route update that gives w1 basis points to benchV1 (the rest to
// benchV2). It returns nil only once the write is committed.
type commitFunc func(ctx context.Context, w1 router.BasisPoints) error

// throughput is one measured window.
type throughput struct {
	window       time.Duration
	commits      int       // writes that completed within the window
	latency      latencies // their latencies, from the call to its return
	failed       int       // writes that failed for a lost or missing leader (see failedForLeadership)
	firstFailure error
}

// perSecond returns the commits per second over the window.
func (t throughput) perSecond() float64 { return float64(t.commits) / t.window.Seconds() }

// failedForLeadership reports whether a write failed because leadership was lost or not
// yet won: no leader, the leader stepped down with the write's outcome unknown, or the
// leader's apply queue or the request timed out meanwhile. Such writes are counted and the
// writer goes on; any other failure ends the measurement.
func failedForLeadership(err error) bool {
	return errors.Is(err, raftstore.ErrNotLeader) || errors.Is(err, raftstore.ErrOutcomeUnknown) ||
		errors.Is(err, context.DeadlineExceeded) ||
		api.IsCode(err, api.CodeNotLeader) || api.IsCode(err, api.CodeUnavailable) || api.IsCode(err, api.CodeTimeout)
}

// errNoCommits means no write completed within a window.
var errNoCommits = errors.New("no write completed within the window")

// writeDeadline bounds one write of a throughput window beyond the window's end.
const writeDeadline = 30 * time.Second

// measureThroughput runs writers goroutines that call commit back to back from the start of
// the window and counts the writes that complete within it (writes still in flight when it
// closes finish uncounted, then the goroutines stop). Writes that fail for leadership are
// counted as failed and the writer goes on after retryPause; any other failed write ends
// the measurement with its error.
func measureThroughput(ctx context.Context, writers int, window time.Duration, commit commitFunc) (throughput, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	end := start.Add(window)
	type writerResult struct {
		latency      latencies
		failed       int
		firstFailure error
		err          error
	}
	results := make([]writerResult, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int, r *writerResult) {
			defer wg.Done()
			for i := 0; ; i++ {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				wctx, wcancel := context.WithDeadline(ctx, end.Add(writeDeadline))
				err := commit(wctx, weightAt(w*7919+i))
				wcancel()
				switch {
				case err == nil:
					if done := time.Now(); done.Before(end) {
						r.latency = append(r.latency, done.Sub(t0))
					}
				case ctx.Err() != nil:
					return // cut short by another writer's failure
				case failedForLeadership(err):
					r.failed++
					if r.firstFailure == nil {
						r.firstFailure = err
					}
					time.Sleep(retryPause)
				default:
					r.err = fmt.Errorf("writer %d, write %d: %w", w, i+1, err)
					cancel()
					return
				}
			}
		}(w, &results[w])
	}
	wg.Wait()
	res := throughput{window: window}
	var errs []error
	for _, r := range results {
		errs = append(errs, r.err)
		res.latency = append(res.latency, r.latency...)
		res.failed += r.failed
		if res.firstFailure == nil {
			res.firstFailure = r.firstFailure
		}
	}
	if err := errors.Join(errs...); err != nil {
		return throughput{}, err
	}
	if err := ctx.Err(); err != nil {
		return throughput{}, fmt.Errorf("throughput window: %w", err)
	}
	res.commits = len(res.latency)
	if res.commits == 0 {
		return throughput{}, fmt.Errorf("%w: %s window (%d failed; first: %v)", errNoCommits, window, res.failed, res.firstFailure)
	}
	return res, nil
}
