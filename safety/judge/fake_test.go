package judge

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/seed70a3350f/vigil/safety/metrics"
)

// fakeSource answers from tables keyed by the query text; a query missing from its table
// has no data. It records the queries asked.
type fakeSource struct {
	mu       sync.Mutex
	instant  map[string]float64
	ranges   map[string][]metrics.Point
	failures map[string]error
	asked    []string
}

var _ metrics.Source = (*fakeSource)(nil)

func newFakeSource() *fakeSource {
	return &fakeSource{instant: map[string]float64{}, ranges: map[string][]metrics.Point{}, failures: map[string]error{}}
}

func (f *fakeSource) Query(ctx context.Context, query string, ts time.Time) (metrics.Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, query)
	if err, ok := f.failures[query]; ok {
		return metrics.Sample{}, &metrics.QueryError{Query: query, At: ts, Kind: metrics.KindBadQuery, Attempts: 1, Err: err}
	}
	v, ok := f.instant[query]
	if !ok {
		return metrics.Sample{}, &metrics.QueryError{Query: query, At: ts, Kind: metrics.KindNoData, Attempts: 1,
			Err: fmt.Errorf("%w: empty result", metrics.ErrNoData)}
	}
	return metrics.Sample{Query: query, Value: v, Timestamp: ts}, nil
}

func (f *fakeSource) QueryRange(ctx context.Context, query string, r metrics.Range) ([]metrics.Point, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, query)
	if err, ok := f.failures[query]; ok {
		return nil, &metrics.QueryError{Query: query, Range: &r, Kind: metrics.KindBadQuery, Attempts: 1, Err: err}
	}
	ps, ok := f.ranges[query]
	if !ok {
		return nil, &metrics.QueryError{Query: query, Range: &r, Kind: metrics.KindNoData, Attempts: 1,
			Err: fmt.Errorf("%w: empty result", metrics.ErrNoData)}
	}
	return ps, nil
}
