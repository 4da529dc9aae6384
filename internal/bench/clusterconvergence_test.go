package bench

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/vigiltest"
	"github.com/seed70a3350f/vigil/xds"
)

var (
	clusterStreams = flag.String("cluster-streams", "1000", "comma-separated numbers of ADS streams for BenchmarkClusterConvergence")
	clusterChanges = flag.Int("cluster-changes", 100, "route writes measured per placement by BenchmarkClusterConvergence")
)

// placement says which of the cluster's nodes the ADS streams connect to.
type placement int

const (
	placeSpread   placement = iota // round-robin over every node
	placeLeader                    // all on the leader
	placeFollower                  // all on one follower
)

func (p placement) String() string {
	switch p {
	case placeSpread:
		return "spread"
	case placeLeader:
		return "leader"
	case placeFollower:
		return "follower"
	}
	return fmt.Sprintf("placement(%d)", int(p))
}

// addrs returns the xDS addresses streams connect to under p.
func (p placement) addrs(leader *vigiltest.ProcNode, followers []*vigiltest.ProcNode) []string {
	switch p {
	case placeLeader:
		return []string{leader.XDSAddr}
	case placeFollower:
		return []string{followers[0].XDSAddr}
	}
	out := []string{leader.XDSAddr}
	for _, f := range followers {
		out = append(out, f.XDSAddr)
	}
	return out
}

// BenchmarkClusterConvergence measures, on one 3-node cluster of xds-server processes, the
// time from a route write (sent to the leader's admin API) to the last of N raw ADS streams
// ACKing the route version of that write, with the streams spread round-robin over the
// three nodes, all on the leader, or all on one follower. Placements run one after another
// on the same cluster so their ratio is measured under the same conditions. It reports the
// median, 99th percentile and largest of -cluster-changes writes per placement, and logs
// the write's own commit latency alongside.
// Run: go test -run '^$' -bench ClusterConvergence -benchtime 1x ./internal/bench/ -cluster-streams 1000
func BenchmarkClusterConvergence(b *testing.B) {
	counts, err := parseCounts("-cluster-streams", *clusterStreams)
	if err != nil {
		b.Fatal(err)
	}
	if *clusterChanges < 1 {
		b.Fatalf("-cluster-changes %d: want at least 1 write", *clusterChanges)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	c := startBenchCluster(b)
	leader := c.Leader(b, 30*time.Second)
	followers := c.Followers(leader)
	admin := pooledClient(leader, 2)
	if _, err := seedBenchService(ctx, admin); err != nil {
		b.Fatal(err)
	}

	p50 := map[placement]time.Duration{}
	for _, n := range counts {
		for _, p := range []placement{placeSpread, placeLeader, placeFollower} {
			b.Run(fmt.Sprintf("%s/streams=%d", p, n), func(b *testing.B) {
				var conv, commit latencies
				var failed int
				before := procElections(c)
				probe := startStallProbe(b)
				from := time.Now()
				for i := 0; i < b.N; i++ {
					conv, commit, failed = measureClusterConvergence(ctx, b, admin, p.addrs(leader, followers), n)
				}
				stalls := probe.summary(from, time.Now())
				elected := procElections(c) - before
				logLoad(b, "after the writes")
				conv.report(b)
				b.ReportMetric(ms(commit.quantile(0.5)), "commit-p50-ms")
				b.ReportMetric(float64(elected), "elections")
				b.ReportMetric(float64(failed), "failed-writes")
				if elected > 0 {
					b.Logf("%d elections during the writes: leadership may have moved off %s, so the placement is not as labelled for every write", elected, leader.ID)
				}
				p50[p] = conv.quantile(0.5)
				b.Logf("%s, %d streams, %d writes: converged p50 %s p99 %s max %s; the write itself committed in p50 %s p99 %s; %s during the run",
					p, n, len(conv), conv.quantile(0.5), conv.quantile(0.99), conv.quantile(1), commit.quantile(0.5), commit.quantile(0.99), stalls)
			})
		}
		if s := p50[placeSpread]; s > 0 && p50[placeLeader] > 0 && p50[placeFollower] > 0 {
			b.Logf("%d streams: p50 spread/leader %.2fx, spread/follower %.2fx", n,
				float64(s)/float64(p50[placeLeader]), float64(s)/float64(p50[placeFollower]))
		}
	}
}

// measureClusterConvergence connects n streams over addrs, then makes -cluster-changes route
// writes through admin one at a time. For each committed write it returns the time from
// sending the write to the last stream's ACK of the new route version (conv) and to the
// write's answer (commit); every stream must then hold exactly the written version. A write
// that fails for leadership (an election on a loaded machine) is counted in failed and
// not sampled: the benchmark reads the route table back through the leader, waits for the
// streams to hold that version and goes on.
func measureClusterConvergence(ctx context.Context, b *testing.B, admin *api.Client, addrs []string, n int) (conv, commit latencies, failed int) {
	b.Helper()
	var tracker ackTracker
	fleet, err := connectFleet(ctx, addrs, n, tracker.onAck)
	if err != nil {
		b.Fatal(err)
	}
	defer fleet.close()
	current := syncFleet(ctx, b, admin, fleet)
	for k := 1; k <= *clusterChanges; k++ {
		done := tracker.reset(xds.FormatVersion(current), n)
		t0 := time.Now()
		wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := admin.SetRoutes(wctx, benchRoutes(weightAt(int(current)+k)), api.WriteOptions{})
		wcancel()
		if err != nil {
			if !failedForLeadership(err) {
				b.Fatalf("write %d: %v", k, err)
			}
			failed++
			b.Logf("write %d failed and is not sampled: %v", k, err)
			current = syncFleet(ctx, b, admin, fleet)
			continue
		}
		committed := time.Since(t0)
		select {
		case <-done:
		case <-time.After(time.Minute):
			got, _ := tracker.progress()
			b.Fatalf("write %d (index %d): only %d of %d streams ACKed a new route version within a minute", k, res.Index, got, n)
		}
		_, lastAck := tracker.progress()
		want := xds.FormatVersion(res.Index)
		if lag := fleet.lagging(want); lag > 0 {
			b.Fatalf("write %d: %d of %d streams do not hold routes version %s after ACKing a new one", k, lag, n, want)
		}
		conv = append(conv, lastAck.Sub(t0))
		commit = append(commit, committed)
		current = res.Index
	}
	if len(conv) == 0 {
		b.Fatalf("all %d writes failed", failed)
	}
	return conv, commit, failed
}

// syncFleet reads the benchmark service's route table through the leader (a linearizable
// read, so a write whose outcome was unknown is settled by then), waits until every stream
// of fleet holds the route version it implies and returns that version's index. The route
// version is the route table's modify index because the versions and the service were
// written before it.
func syncFleet(ctx context.Context, b *testing.B, admin *api.Client, fleet *adsFleet) uint64 {
	b.Helper()
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var index uint64
	for {
		rctx, rcancel := context.WithTimeout(sctx, 5*time.Second)
		rt, err := admin.Routes(rctx, benchService)
		rcancel()
		if err == nil {
			index = rt.ModifyIndex
			break
		}
		select {
		case <-sctx.Done():
			b.Fatalf("read the route table of %s: %v", benchService, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := fleet.waitRoutes(sctx, xds.FormatVersion(index)); err != nil {
		b.Fatal(err)
	}
	return index
}
