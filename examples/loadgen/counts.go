package loadgen

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// OutcomeOK is the outcome of a request answered without error; failed requests use the
// gRPC status code name ("Internal", "DeadlineExceeded", "Unavailable", ...).
const OutcomeOK = "ok"

// UnknownVersion stands for the version of a failed request whose server did not name it
// (for example a connection failure).
const UnknownVersion = "unknown"

// Key identifies a count: the model version that answered and the outcome.
type Key struct {
	Version string
	Outcome string
}

// Snapshot is a copy of a generator's counts at one moment.
type Snapshot struct {
	// Sent is the number of requests started.
	Sent uint64
	// Counts holds finished requests by version and outcome.
	Counts map[Key]uint64
}

// Completed is the number of finished requests.
func (s Snapshot) Completed() uint64 {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Count returns the finished requests with this version and outcome.
func (s Snapshot) Count(version, outcome string) uint64 { return s.Counts[Key{version, outcome}] }

// ByVersion sums finished requests per version, whatever the outcome.
func (s Snapshot) ByVersion() map[string]uint64 {
	out := map[string]uint64{}
	for k, c := range s.Counts {
		out[k.Version] += c
	}
	return out
}

// ByOutcome sums finished requests per outcome, whatever the version.
func (s Snapshot) ByOutcome() map[string]uint64 {
	out := map[string]uint64{}
	for k, c := range s.Counts {
		out[k.Outcome] += c
	}
	return out
}

// String renders "sent=120 completed=118 [1.0.0-PRODUCTION ok=90] [1.1.0-CLINICALVALID ok=27 Internal=1]",
// versions and outcomes sorted.
func (s Snapshot) String() string {
	byVersion := map[string][]string{}
	for k, c := range s.Counts {
		byVersion[k.Version] = append(byVersion[k.Version], fmt.Sprintf("%s=%d", k.Outcome, c))
	}
	versions := make([]string, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	var b strings.Builder
	fmt.Fprintf(&b, "sent=%d completed=%d", s.Sent, s.Completed())
	for _, v := range versions {
		outcomes := byVersion[v]
		sort.Strings(outcomes)
		fmt.Fprintf(&b, " [%s %s]", v, strings.Join(outcomes, " "))
	}
	return b.String()
}

// counters accumulates results; safe for concurrent use.
type counters struct {
	mu     sync.Mutex
	sent   uint64
	counts map[Key]uint64
}

func (c *counters) started() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
}

func (c *counters) finished(k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[Key]uint64{}
	}
	c.counts[k]++
}

func (c *counters) snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Snapshot{Sent: c.sent, Counts: make(map[Key]uint64, len(c.counts))}
	for k, v := range c.counts {
		s.Counts[k] = v
	}
	return s
}
