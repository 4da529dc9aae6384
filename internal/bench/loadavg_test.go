package bench

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// logLoad logs the machine's load averages (1, 5 and 15 minutes, from /proc/loadavg) so
// every figure can be read against how busy the shared machine was while it was measured.
func logLoad(b *testing.B, when string) {
	b.Helper()
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		b.Logf("load average %s: unknown (%v)", when, err)
		return
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		b.Logf("load average %s: unreadable /proc/loadavg %q", when, raw)
		return
	}
	b.Logf("load average %s: %s %s %s (1/5/15 min) on %d cores", when, f[0], f[1], f[2], runtime.NumCPU())
}
