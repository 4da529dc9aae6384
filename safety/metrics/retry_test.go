package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

func TestBackoff(t *testing.T) {
	base, max := 100*time.Millisecond, time.Second
	tests := []struct {
		retry    int
		low, top time.Duration // the jittered wait lies in [low, top]
	}{
		{retry: 1, low: 50 * time.Millisecond, top: 100 * time.Millisecond},
		{retry: 2, low: 100 * time.Millisecond, top: 200 * time.Millisecond},
		{retry: 3, low: 200 * time.Millisecond, top: 400 * time.Millisecond},
		{retry: 4, low: 400 * time.Millisecond, top: 800 * time.Millisecond},
		{retry: 5, low: 500 * time.Millisecond, top: time.Second},
		{retry: 60, low: 500 * time.Millisecond, top: time.Second},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("retry %d", tc.retry), func(t *testing.T) {
			if got := backoff(base, max, tc.retry, func() float64 { return 0 }); got != tc.low {
				t.Errorf("shortest wait = %v, want %v", got, tc.low)
			}
			if got := backoff(base, max, tc.retry, func() float64 { return 0.999999999 }); got < tc.top-time.Microsecond || got > tc.top {
				t.Errorf("longest wait = %v, want about %v", got, tc.top)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		err       error
		wantKind  Kind
		wantRetry bool
	}{
		{"syntax error", live, &v1.Error{Type: v1.ErrBadData, Msg: "parse error"}, KindBadQuery, false},
		{"execution error", live, &v1.Error{Type: v1.ErrExec, Msg: "many-to-many matching not allowed"}, KindBadQuery, false},
		{"prometheus query timeout", live, &v1.Error{Type: v1.ErrTimeout}, KindTimeout, true},
		{"http 503", live, &v1.Error{Type: v1.ErrServer, Msg: "server error: 503"}, KindServer, true},
		{"http 401", live, &v1.Error{Type: v1.ErrClient, Msg: "client error: 401"}, KindRejected, false},
		{"unparsable answer", live, &v1.Error{Type: v1.ErrBadResponse}, KindServer, false},
		{"attempt timeout", live, fmt.Errorf("post: %w", context.DeadlineExceeded), KindTimeout, true},
		{"connection refused", live, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, KindTransport, true},
		{"caller gave up", ended, &net.OpError{Op: "dial", Err: context.Canceled}, KindCanceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, retry := classify(tc.ctx, tc.err)
			if kind != tc.wantKind || retry != tc.wantRetry {
				t.Fatalf("classify = (%v, %v), want (%v, %v)", kind, retry, tc.wantKind, tc.wantRetry)
			}
		})
	}
}
