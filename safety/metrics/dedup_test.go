package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// recordingSource is a fake Source for the fan-out logic: it answers every query with its
// call number and records how many calls overlapped.
type recordingSource struct {
	release  chan struct{} // when non-nil, each call waits for a value or close
	calls    atomic.Int32
	inFlight atomic.Int32
	peak     atomic.Int32

	mu   sync.Mutex
	seen map[string]int
}

func (s *recordingSource) Query(ctx context.Context, query string, ts time.Time) (Sample, error) {
	n := s.calls.Add(1)
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		p := s.peak.Load()
		if cur <= p || s.peak.CompareAndSwap(p, cur) {
			break
		}
	}
	s.mu.Lock()
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	s.seen[fmt.Sprintf("%s@%d", query, ts.UnixNano())]++
	s.mu.Unlock()
	if s.release != nil {
		<-s.release
	}
	if query == "bad(" {
		return Sample{}, &QueryError{Query: query, At: ts, Kind: KindBadQuery, Attempts: 1, Err: errors.New("parse error")}
	}
	return Sample{Query: query, Value: float64(n), Timestamp: ts, Labels: model.LabelSet{}}, nil
}

func (s *recordingSource) QueryRange(context.Context, string, Range) ([]Point, error) {
	return nil, errors.New("not used")
}

func TestDedupRound(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	src := &recordingSource{}
	d, err := NewDedup(src, 4)
	if err != nil {
		t.Fatal(err)
	}
	reqs := []Request{
		{Query: "a", Time: t0},
		{Query: "b", Time: t0},
		{Query: "a", Time: t0.In(time.FixedZone("CET", 3600))}, // same instant as the first
		{Query: "a", Time: t0.Add(time.Second)},                // another time: another query
		{Query: "bad(", Time: t0},
		{Query: "b", Time: t0},
		{Query: "bad(", Time: t0},
	}
	results, sent := d.Round(context.Background(), reqs)

	t.Run("each distinct query is sent once", func(t *testing.T) {
		if sent != 4 || src.calls.Load() != 4 {
			t.Fatalf("sent = %d, source calls = %d, want 4 and 4", sent, src.calls.Load())
		}
		for key, n := range src.seen {
			if n != 1 {
				t.Errorf("%s sent %d times", key, n)
			}
		}
	})
	t.Run("every request gets the answer to its own query", func(t *testing.T) {
		if len(results) != len(reqs) {
			t.Fatalf("%d results for %d requests", len(results), len(reqs))
		}
		for i, r := range results {
			if reqs[i].Query == "bad(" {
				var qe *QueryError
				if !errors.As(r.Err, &qe) || qe.Kind != KindBadQuery || qe.Query != "bad(" {
					t.Errorf("result %d = %+v, want the bad query's error", i, r)
				}
				continue
			}
			if r.Err != nil || r.Sample.Query != reqs[i].Query {
				t.Errorf("result %d = %+v, want a sample of %q", i, r, reqs[i].Query)
			}
		}
		if results[0].Sample.Value != results[2].Sample.Value || results[1].Sample.Value != results[5].Sample.Value {
			t.Errorf("shared requests got different answers: %+v", results)
		}
		if results[0].Sample.Value == results[3].Sample.Value {
			t.Errorf("the same query at another time shared an answer: %+v", results)
		}
	})
	t.Run("shared answers do not share label maps", func(t *testing.T) {
		results[0].Sample.Labels["changed"] = "yes"
		if _, leaked := results[2].Sample.Labels["changed"]; leaked {
			t.Fatal("a change to one result's labels showed in another's")
		}
	})
}

func TestDedupBoundsConcurrency(t *testing.T) {
	src := &recordingSource{release: make(chan struct{})}
	d, err := NewDedup(src, 3)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []Request
	for i := range 10 {
		reqs = append(reqs, Request{Query: fmt.Sprintf("q%d", i), Time: time.Unix(0, 0)})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Round(context.Background(), reqs)
	}()
	// Release the calls one at a time, each time after the expected number are waiting:
	// three while at least three remain, then fewer.
	for released := range len(reqs) {
		want := int32(min(3, len(reqs)-released))
		deadline := time.Now().Add(10 * time.Second)
		for src.inFlight.Load() != want {
			if time.Now().After(deadline) {
				t.Fatalf("after %d released: %d queries in flight, want %d", released, src.inFlight.Load(), want)
			}
			time.Sleep(time.Millisecond)
		}
		src.release <- struct{}{}
	}
	<-done
	if peak := src.peak.Load(); peak != 3 {
		t.Fatalf("peak concurrency = %d, want 3", peak)
	}
	if src.calls.Load() != 10 {
		t.Fatalf("calls = %d, want 10", src.calls.Load())
	}
}

func TestNewDedupRejectsBadArguments(t *testing.T) {
	if _, err := NewDedup(nil, 1); err == nil {
		t.Error("NewDedup accepted a nil source")
	}
	if _, err := NewDedup(&recordingSource{}, 0); err == nil {
		t.Error("NewDedup accepted maxConcurrent 0")
	}
}
