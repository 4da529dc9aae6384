package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/adsclient"
	"github.com/seed70a3350f/vigil/router"
)

var (
	proxyCounts = flag.String("proxies", "1000", "comma-separated numbers of ADS streams for BenchmarkConvergence")
	changes     = flag.Int("changes", 20, "weight changes measured per run")
	streamsPer  = flag.Int("streams-per-conn", 100, "ADS streams multiplexed on one client connection")
)

// convergenceResult is one run's figures.
type convergenceResult struct {
	p50, p99, max    time.Duration
	cpuPerChangePerK float64 // server CPU seconds per change per 1,000 proxies
	kibPerProxy      float64 // server RSS growth per connected proxy
	peakMiB          float64 // server peak RSS
}

var (
	resultsMu sync.Mutex
	results   = map[string]convergenceResult{}
)

// BenchmarkConvergence measures the time from a weight change to the last ACK of N raw ADS
// streams that ACK every response, with the server in its own process on the same cores.
// "vigil" changes weights through xds-server's admin API (Raft commit with fsync, then
// publish); "baseline" is go-control-plane's snapshot cache used plainly, changed directly.
// Run: go test -run '^$' -bench Convergence -benchtime 1x ./internal/bench -proxies 1000,10000
func BenchmarkConvergence(b *testing.B) {
	for _, field := range strings.Split(*proxyCounts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			b.Fatalf("-proxies %q: want positive integers", *proxyCounts)
		}
		for _, mode := range []string{"vigil", "baseline"} {
			name := fmt.Sprintf("%s/proxies=%d", mode, n)
			b.Run(name, func(b *testing.B) {
				var r convergenceResult
				for i := 0; i < b.N; i++ {
					r = runConvergence(b, mode, n)
				}
				b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(r.cpuPerChangePerK, "cpu-s/change/1k-proxies")
				b.ReportMetric(r.kibPerProxy, "KiB/proxy")
				b.ReportMetric(r.peakMiB, "peak-MiB")
				resultsMu.Lock()
				results[name] = r
				resultsMu.Unlock()
			})
		}
		resultsMu.Lock()
		v, base := results[fmt.Sprintf("vigil/proxies=%d", n)], results[fmt.Sprintf("baseline/proxies=%d", n)]
		resultsMu.Unlock()
		if v.p50 > 0 && base.p50 > 0 {
			b.Logf("proxies=%d: vigil p50 %s p99 %s | baseline p50 %s p99 %s | baseline/vigil p50 %.1fx p99 %.1fx",
				n, v.p50, v.p99, base.p50, base.p99, float64(base.p50)/float64(v.p50), float64(base.p99)/float64(v.p99))
		}
	}
}

func runConvergence(b *testing.B, mode string, n int) convergenceResult {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	srv, info := startServerProcess(b, mode)
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	}()
	pid := srv.Process.Pid

	admin := api.NewClient(info.Control, nil)
	weights := [2]router.BasisPoints{5000, 5000}
	change := func() {
		switch mode {
		case "vigil":
			weights[0], weights[1] = weights[1], weights[0]
			if weights[0] == weights[1] {
				weights = [2]router.BasisPoints{6000, 4000}
			}
			rt := router.RouteTable{Service: benchService, Split: []router.Split{{Version: benchV1, Weight: weights[0]}, {Version: benchV2, Weight: weights[1]}}}
			if _, err := admin.SetRoutes(ctx, rt, api.WriteOptions{Force: true}); err != nil {
				b.Fatal(err)
			}
		case "baseline":
			resp, err := http.Post("http://"+info.Control+"/change", "text/plain", nil)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	if mode == "vigil" {
		waitReady(b, ctx, admin)
		for _, v := range []router.Version{benchV1, benchV2} {
			mv := router.ModelVersion{Service: benchService, Version: v, Backends: []router.Backend{{Address: fmt.Sprintf("10.0.0.%d:9000", v.Minor+1)}}}
			if _, err := admin.PutVersion(ctx, mv, api.WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		change()
	}
	rssBefore := readProc(b, pid).rssKiB

	// ACKs of route versions, counted as they are sent.
	var tracker ackTracker
	conns := make([]*grpc.ClientConn, 0, n / *streamsPer + 1)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	clients := make([]*adsclient.Client, n)
	clusters := []string{router.ClusterName(benchService, benchV1), router.ClusterName(benchService, benchV2)}
	var connectErr atomic.Value
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		if i%*streamsPer == 0 {
			conn, err := grpc.NewClient(info.XDS, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, conn)
		}
		conn := conns[len(conns)-1]
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := adsclient.Start(ctx, conn, adsclient.Options{
				NodeID: fmt.Sprintf("proxy-%05d", i), Kind: "grpc", Service: benchService,
				Routes: []string{benchService}, Clusters: clusters,
				OnAck: tracker.onAck,
			})
			if err != nil {
				connectErr.Store(err)
				return
			}
			clients[i] = c
		}(i)
	}
	wg.Wait()
	if err, _ := connectErr.Load().(error); err != nil {
		b.Fatalf("connect: %v", err)
	}
	for _, c := range clients {
		if err := c.Wait(ctx, func(v map[string]string) bool { return v[resourcev3.RouteType] != "" }); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond) // let the server settle before reading its memory
	settled := readProc(b, pid)

	var samples, writes []time.Duration
	var calm latencies // samples whose window no machine stall overlapped
	stalled := 0
	probe := startStallProbe(b)
	cpuStart := readProc(b, pid).cpuSeconds
	clientCPUStart := readProc(b, os.Getpid()).cpuSeconds
	for k := 0; k < *changes; k++ {
		old := clients[0].Version(resourcev3.RouteType)
		done := tracker.reset(old, n)
		t0 := time.Now()
		change()
		write := time.Since(t0)
		writes = append(writes, write)
		select {
		case <-done:
		case <-ctx.Done():
			got, _ := tracker.progress()
			b.Fatalf("change %d: only %d of %d proxies ACKed a new route version", k, got, n)
		}
		_, last := tracker.progress()
		samples = append(samples, last.Sub(t0))
		if n, _, _ := probe.within(t0, last); n > 0 {
			stalled++
			b.Logf("change %d: %s (write %s); %s", k, last.Sub(t0).Round(100*time.Microsecond),
				write.Round(100*time.Microsecond), probe.summary(t0, last))
		} else {
			calm = append(calm, last.Sub(t0))
		}
		for _, c := range clients {
			if c.Version(resourcev3.RouteType) == old {
				b.Fatalf("change %d: a proxy still holds routes version %s", k, old)
			}
		}
	}
	cpu := readProc(b, pid).cpuSeconds - cpuStart
	clientCPU := readProc(b, os.Getpid()).cpuSeconds - clientCPUStart
	// CPU time as the kernel accounts it. A guest pause is charged to the task it
	// interrupted, so on a VM that pauses these are upper bounds, and noisy.
	b.Logf("%s, %d proxies: CPU per change: server %.3fs, clients (this process) %.3fs",
		mode, n, cpu/float64(*changes), clientCPU/float64(*changes))
	b.Logf("%s, %d proxies: change-to-last-ACK in order of the changes: %s", mode, n, latencies(samples))
	b.Logf("%s, %d proxies: the write's own latency (commit, or the baseline's SetSnapshot calls): %s", mode, n, latencies(writes))
	if len(calm) > 0 {
		b.Logf("%s, %d proxies: %d of %d changes overlapped a machine stall; the other %d: p50 %s, max %s",
			mode, n, stalled, len(samples), len(calm), calm.quantile(0.5), calm.quantile(1))
	} else {
		b.Logf("%s, %d proxies: every one of %d changes overlapped a machine stall", mode, n, len(samples))
	}
	slices.Sort(samples)
	r := convergenceResult{
		p50:              samples[len(samples)/2],
		p99:              samples[min(len(samples)-1, (len(samples)*99+99)/100-1)],
		max:              samples[len(samples)-1],
		cpuPerChangePerK: cpu / float64(*changes) / (float64(n) / 1000),
		kibPerProxy:      float64(settled.rssKiB-rssBefore) / float64(n),
		peakMiB:          float64(settled.hwmKiB) / 1024,
	}
	b.Logf("%s, %d proxies, %d changes: p50 %s p99 %s max %s; server CPU %.3fs (%.4f s/change/1k proxies); RSS %d->%d KiB (%.1f KiB/proxy), peak %.1f MiB",
		mode, n, *changes, r.p50, r.p99, r.max, cpu, r.cpuPerChangePerK, rssBefore, settled.rssKiB, r.kibPerProxy, r.peakMiB)
	return r
}

// ackTracker counts the proxies that ACKed a route version other than the old one.
type ackTracker struct {
	mu     sync.Mutex
	old    string
	target int64
	latest time.Time
	count  int64
	done   chan struct{}
}

// reset starts counting ACKs of route versions other than old until target proxies have
// sent one; the returned channel closes then.
func (t *ackTracker) reset(old string, target int) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.old, t.target, t.latest, t.count = old, int64(target), time.Time{}, 0
	t.done = make(chan struct{})
	return t.done
}

func (t *ackTracker) onAck(typeURL, version string, at time.Time) {
	if typeURL != resourcev3.RouteType {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.target == 0 || version == t.old {
		return
	}
	if at.After(t.latest) {
		t.latest = at
	}
	t.count++
	if t.count == t.target {
		close(t.done)
	}
}

func (t *ackTracker) progress() (int64, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count, t.latest
}

func waitReady(b *testing.B, ctx context.Context, c *api.Client) {
	for {
		if _, err := c.Leader(ctx); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			b.Fatal("benchmark server never elected itself")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startServerProcess re-executes this test binary as the benchmark server.
func startServerProcess(b *testing.B, mode string) (*exec.Cmd, serverInfo) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), serverEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var info serverInfo
		if json.Unmarshal(sc.Bytes(), &info) == nil && info.XDS != "" {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, info
		}
	}
	_ = cmd.Process.Kill()
	b.Fatalf("benchmark server (%s) exited without announcing itself", mode)
	return nil, serverInfo{}
}

type procStats struct {
	cpuSeconds     float64
	rssKiB, hwmKiB int64
}

// readProc reads a process's CPU time and memory from /proc.
func readProc(b *testing.B, pid int) procStats {
	b.Helper()
	var ps procStats
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which is in parentheses): utime is field 14, stime 15.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	ps.cpuSeconds = (utime + stime) / 100 // USER_HZ is 100 on Linux
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			ps.rssKiB = v
		case "VmHWM:":
			ps.hwmKiB = v
		}
	}
	return ps
}
