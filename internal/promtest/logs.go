package promtest

import (
	"bytes"
	"strings"
	"sync"
)

// maxLogBytes bounds the captured Prometheus log; older output is dropped first.
const maxLogBytes = 1 << 20

// logBuffer collects the output of every Prometheus process a Server ran. It is safe for
// concurrent use: exec copies stdout and stderr from their own goroutines.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int // bytes discarded from the front to respect maxLogBytes
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if over := l.buf.Len() - maxLogBytes; over > 0 {
		l.buf.Next(over)
		l.dropped += over
	}
	return len(p), nil
}

// mark returns a position that since can later read from.
func (l *logBuffer) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped + l.buf.Len()
}

// since returns the output written after mark m (or what is left of it).
func (l *logBuffer) since(m int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	skip := m - l.dropped
	if skip < 0 {
		skip = 0
	}
	b := l.buf.Bytes()
	if skip > len(b) {
		return ""
	}
	return string(b[skip:])
}

// String returns all retained output.
func (l *logBuffer) String() string { return l.since(0) }

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.SplitAfter(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
