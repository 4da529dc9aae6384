package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Request is one instant query of an evaluation round.
type Request struct {
	// Query is the PromQL text. Requests are shared only when their text is identical,
	// byte for byte.
	Query string
	// Time is the evaluation time.
	Time time.Time
}

// Result answers one Request: either Sample or Err (a *QueryError from the Source) is set.
type Result struct {
	Sample Sample
	Err    error
}

// Dedup answers the queries of one evaluation round, sending each distinct (query, time)
// pair to its Source once and giving every request that asked for it the same answer. This
// is how queries shared by several rollouts cost one Prometheus request per round. It is
// safe for concurrent use.
type Dedup struct {
	src           Source
	maxConcurrent int
}

// NewDedup returns a Dedup over src that keeps at most maxConcurrent queries in flight
// (at least 1).
func NewDedup(src Source, maxConcurrent int) (*Dedup, error) {
	if src == nil {
		return nil, fmt.Errorf("metrics: NewDedup: source is nil")
	}
	if maxConcurrent < 1 {
		return nil, fmt.Errorf("metrics: NewDedup: maxConcurrent is %d; want at least 1", maxConcurrent)
	}
	return &Dedup{src: src, maxConcurrent: maxConcurrent}, nil
}

// requestKey identifies a distinct query of a round. Times are compared as instants, so
// the same moment in two locations is one query.
type requestKey struct {
	query string
	nanos int64
}

// Round runs reqs and returns one Result per request, in the same order, and the number
// of distinct queries it sent. Every query is sent even if ctx ends early; those sent after
// that fail with a KindCanceled error. Round returns when every query has finished.
func (d *Dedup) Round(ctx context.Context, reqs []Request) ([]Result, int) {
	index := make(map[requestKey]int, len(reqs)) // key -> position in distinct
	var distinct []Request
	slot := make([]int, len(reqs)) // request -> position in distinct
	for i, r := range reqs {
		k := requestKey{query: r.Query, nanos: r.Time.UnixNano()}
		pos, ok := index[k]
		if !ok {
			pos = len(distinct)
			index[k] = pos
			distinct = append(distinct, r)
		}
		slot[i] = pos
	}

	answers := make([]Result, len(distinct))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(d.maxConcurrent, len(distinct)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pos := range work {
				s, err := d.src.Query(ctx, distinct[pos].Query, distinct[pos].Time)
				answers[pos] = Result{Sample: s, Err: err}
			}
		}()
	}
	for pos := range distinct {
		work <- pos
	}
	close(work)
	wg.Wait()

	results := make([]Result, len(reqs))
	for i, pos := range slot {
		results[i] = cloneResult(answers[pos])
	}
	return results, len(distinct)
}

// cloneResult copies the mutable parts of a Result so that callers sharing one answer
// cannot change each other's copy.
func cloneResult(r Result) Result {
	r.Sample.Labels = maps.Clone(r.Sample.Labels)
	r.Sample.Warnings = slices.Clone(r.Sample.Warnings)
	r.Sample.Infos = slices.Clone(r.Sample.Infos)
	return r
}
