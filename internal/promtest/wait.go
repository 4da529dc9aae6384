package promtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/model"
)

// pollInterval is the pause between two probes of WaitReady and WaitFor.
const pollInterval = 100 * time.Millisecond

// WaitReady polls /-/ready until it answers 200 OK. It fails at once if Prometheus is not
// running or exits while waiting, and with ctx's error (plus the last probe result) when ctx
// ends first.
func (s *Server) WaitReady(ctx context.Context) error {
	done, err := s.running()
	if err != nil {
		return fmt.Errorf("wait for ready: %w", err)
	}
	last := "no probe answered yet"
	for {
		ok, detail := s.probeReady(ctx)
		if ok {
			return nil
		}
		last = detail
		select {
		case <-done:
			return fmt.Errorf("wait for ready: prometheus exited (last probe: %s)", last)
		case <-ctx.Done():
			return fmt.Errorf("wait for ready at %s: %w (last probe: %s)", s.URL(), ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// probeReady makes one request to /-/ready.
func (s *Server) probeReady(ctx context.Context) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/-/ready", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := readyClient.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512)) // the body only decorates the message
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%s: %s", resp.Status, body)
	}
	return true, ""
}

// WaitFor runs the instant query (at the current time) until cond accepts its result, and
// returns that result. It fails when ctx ends first, with the last result or error seen.
// Query errors (for example while Prometheus is down) are retried, not returned.
func (s *Server) WaitFor(ctx context.Context, query string, cond func(model.Value) bool) (model.Value, error) {
	last := "no answer yet"
	for {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, _, _, err := s.API().Query(qctx, query, time.Now())
		cancel()
		switch {
		case err != nil:
			last = "error: " + err.Error()
		case cond(v):
			return v, nil
		default:
			last = "result: " + v.String()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for %q on %s: %w (last %s)", query, s.URL(), ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// WaitForSettled waits until cond accepts the instant query's result and returns an
// evaluation time at which it holds for good, for tests that pin their evaluation time.
//
// A result at time T can still change after it was first seen: a scrape that started
// before T and ends after it (up to one scrape timeout later) is stored with its start
// time; if it fails, Prometheus marks the target's series stale from that start time on,
// and a later query at T finds nothing. WaitForSettled therefore waits until every scrape
// that began before T has ended, evaluates at T again, and starts over with a new T when
// the result changed.
func (s *Server) WaitForSettled(ctx context.Context, query string, cond func(model.Value) bool) (time.Time, error) {
	// A scrape ends at most one timeout (the interval) after it starts; the rest is slack
	// for storing its result on a loaded machine.
	settle := 2*s.scrape + time.Second
	for {
		v, err := s.WaitFor(ctx, query, cond)
		if err != nil {
			return time.Time{}, err
		}
		at, ok := evaluationTime(v)
		if !ok {
			return time.Time{}, fmt.Errorf("wait for %q: result %v carries no evaluation time", query, v)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("wait for %q to settle: %w", query, ctx.Err())
		case <-time.After(time.Until(at.Add(settle))):
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		again, _, _, err := s.API().Query(qctx, query, at)
		cancel()
		if err == nil && cond(again) {
			return at, nil
		}
	}
}

// evaluationTime returns the evaluation time of an instant query result.
func evaluationTime(v model.Value) (time.Time, bool) {
	switch v := v.(type) {
	case model.Vector:
		if len(v) > 0 {
			return v[0].Timestamp.Time(), true
		}
	case *model.Scalar:
		if v != nil {
			return v.Timestamp.Time(), true
		}
	}
	return time.Time{}, false
}

// WaitForSeries polls until the instant query returns at least one sample (a non-empty
// vector or matrix, or a scalar) and returns the result. The first scrape of a new target
// takes about 5-6 s to show.
func (s *Server) WaitForSeries(ctx context.Context, query string) (model.Value, error) {
	return s.WaitFor(ctx, query, HasSamples)
}

// HasSamples reports whether v holds at least one sample: a non-empty vector or matrix, or
// any scalar.
func HasSamples(v model.Value) bool {
	switch v := v.(type) {
	case model.Vector:
		return len(v) > 0
	case model.Matrix:
		return len(v) > 0
	case *model.Scalar:
		return v != nil
	default:
		return false
	}
}

// HasValue returns a WaitFor condition that accepts a result of exactly one sample (a
// one-element vector or a scalar) equal to want.
func HasValue(want float64) func(model.Value) bool {
	return func(v model.Value) bool {
		switch v := v.(type) {
		case model.Vector:
			return len(v) == 1 && float64(v[0].Value) == want
		case *model.Scalar:
			return v != nil && float64(v.Value) == want
		default:
			return false
		}
	}
}
