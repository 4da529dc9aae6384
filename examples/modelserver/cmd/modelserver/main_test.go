package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the logger goroutine and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunServesUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-model", "../../../models/1.0.0-PRODUCTION.json", "-rest", "127.0.0.1:0", "-grpc", "127.0.0.1:0", "-seed", "1"}, &stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "serving") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start; log:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d; log:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
	if !strings.Contains(stderr.String(), "model server stopped") {
		t.Errorf("log lacks the stop message:\n%s", stderr.String())
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantLog  string
	}{
		{name: "no model", args: nil, wantCode: 2, wantLog: "-model is required"},
		{name: "unknown flag", args: []string{"-bogus"}, wantCode: 2, wantLog: "bogus"},
		{name: "positional argument", args: []string{"-model", "m.json", "extra"}, wantCode: 2, wantLog: "unexpected arguments"},
		{name: "bad log level", args: []string{"-model", "m.json", "-log-level", "loud"}, wantCode: 2, wantLog: `-log-level "loud"`},
		{name: "missing model file", args: []string{"-model", "absent.json"}, wantCode: 1, wantLog: "absent.json"},
		{name: "bad fault", args: []string{"-model", "../../../models/1.0.0-PRODUCTION.json", "-error-rate", "2"}, wantCode: 1, wantLog: "error_rate 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr syncBuffer
			code := run(context.Background(), tt.args, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantLog) {
				t.Errorf("run(%q) = %d, log %q; want %d and %q", tt.args, code, stderr.String(), tt.wantCode, tt.wantLog)
			}
		})
	}
}
