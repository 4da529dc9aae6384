package bench

import (
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"
)

// stallProbe measures how late the machine wakes a sleeping goroutine. On a shared VM the
// whole guest can stop for hundreds of milliseconds (two probes in separate processes see
// the same pauses at the same instants), and any latency measured across such a pause
// contains it. The probe sleeps probeTick at a time and records every wake-up later than
// stallThreshold; benchmarks log the stalls that overlap each sample, so a slow sample can
// be told apart from a slow server. It does not change or filter any sample.
type stallProbe struct {
	mu     sync.Mutex
	stalls []stall
	stop   chan struct{}
	done   chan struct{}
}

// stall is one late wake-up: the interval [from, to) during which the probe could not run
// beyond its own sleep.
type stall struct{ from, to time.Time }

var stallWindow = flag.Duration("stall-window", 20*time.Second, "how long BenchmarkMachineStalls watches the machine")

const (
	probeTick      = time.Millisecond
	stallThreshold = 20 * time.Millisecond
)

// startStallProbe starts a probe; the benchmark's cleanup stops it.
func startStallProbe(b testing.TB) *stallProbe {
	p := &stallProbe{stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	b.Cleanup(p.close)
	return p
}

func (p *stallProbe) run() {
	defer close(p.done)
	for {
		before := time.Now()
		select {
		case <-p.stop:
			return
		case <-time.After(probeTick):
		}
		after := time.Now()
		if late := after.Sub(before) - probeTick; late > stallThreshold {
			p.mu.Lock()
			p.stalls = append(p.stalls, stall{from: before.Add(probeTick), to: after})
			p.mu.Unlock()
		}
	}
}

func (p *stallProbe) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

// within returns how many stalls overlapped [from, to], their total overlap and the longest.
func (p *stallProbe) within(from, to time.Time) (n int, total, longest time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.stalls {
		start, end := maxTime(s.from, from), minTime(s.to, to)
		if !end.After(start) {
			continue
		}
		n++
		total += end.Sub(start)
		longest = max(longest, s.to.Sub(s.from))
	}
	return n, total, longest
}

// summary describes the stalls in [from, to] for a log line.
func (p *stallProbe) summary(from, to time.Time) string {
	n, total, longest := p.within(from, to)
	if n == 0 {
		return fmt.Sprintf("no machine stall over %s", stallThreshold)
	}
	return fmt.Sprintf("%d machine stall(s) over %s, %s in all, longest %s", n, stallThreshold,
		total.Round(time.Millisecond), longest.Round(time.Millisecond))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// BenchmarkMachineStalls measures the machine itself, with nothing else of Vigil running:
// for -stall-window it sleeps 1 ms at a time and counts the wake-ups later than 20 ms. Any
// latency figure measured on the same machine contains pauses like these; run it next to
// the other benchmarks to know the floor they stand on.
// Run: go test -run '^$' -bench MachineStalls -benchtime 1x ./internal/bench/
func BenchmarkMachineStalls(b *testing.B) {
	for i := 0; i < b.N; i++ {
		p := startStallProbe(b)
		from := time.Now()
		time.Sleep(*stallWindow)
		to := time.Now()
		p.close()
		n, total, longest := p.within(from, to)
		stalledPct := 100 * total.Seconds() / to.Sub(from).Seconds()
		b.ReportMetric(float64(n), "stalls")
		b.ReportMetric(ms(longest), "longest-ms")
		b.ReportMetric(stalledPct, "%-stalled")
		b.Logf("%s of sleeping 1 ms at a time: %s (%.1f%% of the time)", to.Sub(from).Round(time.Second),
			p.summary(from, to), stalledPct)
	}
}
