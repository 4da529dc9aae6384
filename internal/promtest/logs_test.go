package promtest

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestLogBuffer(t *testing.T) {
	var l logBuffer
	l.Write([]byte("first run\n"))
	m := l.mark()
	l.Write([]byte("second run\n"))
	if got := l.since(m); got != "second run\n" {
		t.Fatalf("since(mark) = %q, want the second run only", got)
	}
	t.Run("keeps the newest output within the bound", func(t *testing.T) {
		big := strings.Repeat("x", maxLogBytes)
		l.Write([]byte(big + "tail\n"))
		if got := l.String(); len(got) != maxLogBytes || !strings.HasSuffix(got, "tail\n") {
			t.Fatalf("retained %d bytes ending %q", len(got), got[len(got)-10:])
		}
		if got := l.since(m); len(got) != maxLogBytes {
			t.Fatalf("since(an evicted mark) returned %d bytes, want what is left", len(got))
		}
	})
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		name, text, want string
		n                int
	}{
		{name: "fewer lines than asked", text: "a\nb\n", n: 5, want: "a\nb"},
		{name: "last two", text: "a\nb\nc\n", n: 2, want: "b\nc"},
		{name: "empty", text: "", n: 3, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lastLines(tc.text, tc.n); got != tc.want {
				t.Fatalf("lastLines(%q, %d) = %q, want %q", tc.text, tc.n, got, tc.want)
			}
		})
	}
}

// TestLaunchReportsPortInUse checks the signal Start and Restart retry on: a Prometheus
// told to listen on a taken port is reported as errAddrInUse, both when the port's holder
// does not speak HTTP (Prometheus exits) and when it is another Prometheus that answers
// /-/ready in its place.
func TestLaunchReportsPortInUse(t *testing.T) {
	tests := []struct {
		name   string
		occupy func(t *testing.T) string // returns the taken address
	}{
		{
			name: "plain listener",
			occupy: func(t *testing.T) string {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				return l.Addr().String()
			},
		},
		{
			name:   "another prometheus",
			occupy: func(t *testing.T) string { return Start(t, Options{}).Addr() },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			taken := tc.occupy(t)
			s, err := prepare(t, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Kill() })
			s.setAddr(taken)
			err = s.launchAndWait(60 * time.Second)
			if !errors.Is(err, errAddrInUse) {
				t.Fatalf("launchAndWait on a taken port = %v, want errAddrInUse; output:\n%s", err, s.Logs())
			}
			if werr := s.WaitReady(context.Background()); werr == nil || !strings.Contains(werr.Error(), "not running") {
				t.Fatalf("WaitReady after a failed launch = %v, want a not-running error", werr)
			}
		})
	}
}
