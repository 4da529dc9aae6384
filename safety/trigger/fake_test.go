package trigger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seed70a3350f/vigil/safety/metrics"
)

// fakeSource answers instant queries from a table and counts the calls per query. A query
// missing from the table has no data. Range queries are not used by triggers and fail.
type fakeSource struct {
	mu       sync.Mutex
	values   map[string]float64
	failures map[string]error
	calls    map[string]int
	inFlight int
	maxIn    int
	// block, when set, makes every query wait for its context to end.
	block bool
	// hold, when set, makes every query wait for it to be closed (to measure in-flight
	// queries).
	hold chan struct{}
}

func newFakeSource() *fakeSource {
	return &fakeSource{values: map[string]float64{}, failures: map[string]error{}, calls: map[string]int{}}
}

var _ metrics.Source = (*fakeSource)(nil)

func (f *fakeSource) set(query string, v float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values[query] = v
}

func (f *fakeSource) fail(query string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[query] = err
}

func (f *fakeSource) Query(ctx context.Context, query string, ts time.Time) (metrics.Sample, error) {
	f.mu.Lock()
	f.calls[query]++
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	v, ok := f.values[query]
	failure := f.failures[query]
	block, hold := f.block, f.hold
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	if block {
		<-ctx.Done()
		return metrics.Sample{}, &metrics.QueryError{Query: query, At: ts, Kind: metrics.KindCanceled, Err: ctx.Err()}
	}
	if hold != nil {
		<-hold
	}
	switch {
	case failure != nil:
		return metrics.Sample{}, &metrics.QueryError{Query: query, At: ts, Kind: metrics.KindBadQuery, Attempts: 1, Err: failure}
	case !ok:
		return metrics.Sample{}, &metrics.QueryError{Query: query, At: ts, Kind: metrics.KindNoData, Attempts: 1,
			Err: fmt.Errorf("%w: empty result", metrics.ErrNoData)}
	}
	return metrics.Sample{Query: query, Value: v, Timestamp: ts}, nil
}

func (f *fakeSource) QueryRange(ctx context.Context, query string, r metrics.Range) ([]metrics.Point, error) {
	return nil, errors.New("fakeSource: range queries are not supported")
}

// totalCalls is the number of queries answered so far.
func (f *fakeSource) totalCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// callsOf is the number of times query was asked.
func (f *fakeSource) callsOf(query string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[query]
}
