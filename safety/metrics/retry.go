package metrics

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// maxDetail bounds how much of an unexpected response body an error quotes.
const maxDetail = 200

// send calls attempt until it succeeds, fails in a way a retry cannot fix, the retries are
// used up or ctx ends. Each attempt gets its own Config.Timeout. A retry whose wait would
// outlast ctx's deadline is not attempted: the last failure is returned at once. It returns
// the number of attempts made, and on failure the error's Kind and cause.
func (p *Prometheus) send(ctx context.Context, attempt func(context.Context) error) (int, Kind, error) {
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		err := attempt(actx)
		cancel()
		if err == nil {
			return n, 0, nil
		}
		kind, retry := classify(ctx, err)
		err = withDetail(err)
		if kind == KindTimeout && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v: %w", p.cfg.Timeout, err)
		}
		if !retry || n > p.cfg.Retries {
			return n, kind, err
		}
		wait := backoff(p.cfg.RetryBackoff, p.cfg.RetryBackoffMax, n, rand.Float64)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return n, kind, fmt.Errorf("%w (not retried: the caller's deadline is %v away, the next retry %v)",
				err, time.Until(deadline).Round(time.Millisecond), wait.Round(time.Millisecond))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		if cerr := ended(ctx); cerr != nil {
			return n, KindCanceled, fmt.Errorf("%w while waiting to retry after: %v", cerr, err)
		}
	}
}

// ended returns ctx's error, or context.DeadlineExceeded once its deadline has passed even
// if the timer that cancels ctx has not run yet (it runs late in a starved process).
func ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// classify maps an attempt's error to a Kind and says whether sending again may help.
// parent is the caller's context: when it has ended, nothing is retried.
func classify(parent context.Context, err error) (Kind, bool) {
	if ended(parent) != nil {
		return KindCanceled, false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout, true // this attempt's own timeout
	}
	var apiErr *v1.Error
	if errors.As(err, &apiErr) {
		switch apiErr.Type {
		case v1.ErrBadData, v1.ErrExec:
			return KindBadQuery, false
		case v1.ErrTimeout:
			return KindTimeout, true
		case v1.ErrServer, v1.ErrCanceled:
			return KindServer, true
		case v1.ErrClient:
			return KindRejected, false
		default: // v1.ErrBadResponse and unknown types: not a Prometheus answer
			return KindServer, false
		}
	}
	return KindTransport, true
}

// withDetail appends the start of the response body that client_golang keeps in
// v1.Error.Detail for non-API error responses (for example a proxy's 503 page).
func withDetail(err error) error {
	var apiErr *v1.Error
	if !errors.As(err, &apiErr) || apiErr.Detail == "" {
		return err
	}
	detail := apiErr.Detail
	if len(detail) > maxDetail {
		detail = detail[:maxDetail] + "..."
	}
	return fmt.Errorf("%w: response body: %q", err, detail)
}

// backoff returns the wait before retry number retry (1 for the first retry): base doubled
// for each earlier retry, capped at max, then drawn uniformly from [d/2, d] using rnd
// (which returns values in [0, 1)).
func backoff(base, max time.Duration, retry int, rnd func() float64) time.Duration {
	d := base
	for i := 1; i < retry && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}
