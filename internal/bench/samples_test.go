package bench

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// latencies is a set of measured durations, in no particular order.
type latencies []time.Duration

// quantile returns the nearest-rank q-quantile (0 < q <= 1): the smallest sample with at
// least q of all samples at or below it. With fewer than 100 samples the 0.99 quantile is
// the largest sample. It panics on an empty set: a figure without samples is a bug in the
// benchmark, never zero.
func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		panic("bench: quantile of no samples")
	}
	sorted := slices.Clone(l)
	slices.Sort(sorted)
	rank := int(q*float64(len(sorted))+0.999999) - 1 // ceil(q*n) - 1, robust to float error
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// report records the median and the 99th percentile as benchmark metrics in milliseconds
// ("p50-ms", "p99-ms") and the largest sample ("max-ms").
func (l latencies) report(b *testing.B) {
	b.Helper()
	b.ReportMetric(ms(l.quantile(0.5)), "p50-ms")
	b.ReportMetric(ms(l.quantile(0.99)), "p99-ms")
	b.ReportMetric(ms(l.quantile(1)), "max-ms")
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// String lists the samples in milliseconds, in their recorded order, for the benchmark log.
func (l latencies) String() string {
	parts := make([]string, len(l))
	for i, d := range l {
		parts[i] = strconv.FormatFloat(ms(d), 'f', 1, 64)
	}
	return strings.Join(parts, " ")
}
