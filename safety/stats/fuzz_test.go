package stats

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzIntervals: for any counts and level, the intervals either reject the
// input with an *InputError or return bounds that satisfy
// 0 <= lower <= estimate <= upper <= 1 with exact boundaries.
// Run: go test -run=^$ -fuzz=FuzzIntervals ./safety/stats/
func FuzzIntervals(f *testing.F) {
	f.Add(45, 50, 0.95)
	f.Add(0, 1, 0.95)
	f.Add(1, 1, 0.5)
	f.Add(51, 50, 0.95)
	f.Add(0, 0, 0.95)
	f.Add(3, 1<<30, 0.999999)
	f.Add(-1, 10, 0.9)
	f.Add(5, 10, math.NaN())
	f.Fuzz(func(t *testing.T, x, n int, level float64) {
		for _, fn := range []func(int, int, float64) (Interval, error){Wilson, ClopperPearson} {
			iv, err := fn(x, n, level)
			valid := n >= 1 && x >= 0 && x <= n && level > 0 && level < 1
			if !valid {
				if !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("(%d, %d, %g): err = %v, want ErrInvalidInput", x, n, level, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("(%d, %d, %g): %v", x, n, level, err)
			}
			if !(0 <= iv.Lower && iv.Lower <= iv.Estimate && iv.Estimate <= iv.Upper && iv.Upper <= 1) {
				t.Fatalf("%s(%d, %d, %g) = %+v", iv.Method, x, n, level, iv)
			}
			if (x == 0 && iv.Lower != 0) || (x == n && iv.Upper != 1) {
				t.Fatalf("%s(%d, %d, %g) = %+v: boundary not exact", iv.Method, x, n, level, iv)
			}
		}
	})
}

// FuzzMcNemar: p-values lie in [0, 1], the variants order as theory says
// (mid-p <= exact), swapping b and c gives the same p, and b + c = 0 is
// Inconclusive.
// Run: go test -run=^$ -fuzz=FuzzMcNemar ./safety/stats/
func FuzzMcNemar(f *testing.F) {
	f.Add(6, 16, 0.05)
	f.Add(0, 0, 0.05)
	f.Add(300, 303, 0.01)
	f.Add(1<<20, 3, 0.05)
	f.Add(-2, 5, 0.05)
	f.Add(4, 4, 1.0)
	f.Fuzz(func(t *testing.T, b, c int, alpha float64) {
		if b > 1<<24 || c > 1<<24 {
			t.Skip("counts beyond 16M discordant pairs are not a realistic input")
		}
		valid := b >= 0 && c >= 0 && alpha > 0 && alpha < 1
		var results []McNemarResult
		for _, fn := range []func(int, int, float64) (McNemarResult, error){McNemarZ, McNemarCorrected, McNemarExact, McNemarMidP, McNemarChoose} {
			res, err := fn(b, c, alpha)
			if !valid {
				if !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("(%d, %d, %g): err = %v, want ErrInvalidInput", b, c, alpha, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b+c == 0 {
				if res.Outcome != Inconclusive || !math.IsNaN(res.PValue) {
					t.Fatalf("b + c = 0: %+v", res)
				}
				continue
			}
			if !(res.PValue >= 0 && res.PValue <= 1) {
				t.Fatalf("%v (%d, %d): p = %g", res.Method, b, c, res.PValue)
			}
			swapped, _ := fn(c, b, alpha)
			if !near(res.PValue, swapped.PValue, 1e-9) {
				t.Fatalf("%v: p(%d, %d) = %g but p(%d, %d) = %g", res.Method, b, c, res.PValue, c, b, swapped.PValue)
			}
			if res.Outcome == Pass && !(c > b) || res.Outcome == Fail && !(b > c) {
				t.Fatalf("%v (%d, %d): outcome %v points the wrong way", res.Method, b, c, res.Outcome)
			}
			results = append(results, res)
		}
		if len(results) == 5 && results[3].PValue > results[2].PValue+1e-12 {
			t.Fatalf("(%d, %d): mid-p %g > exact %g", b, c, results[3].PValue, results[2].PValue)
		}
	})
}

// FuzzClassifyMetric: arbitrary samples (including NaN, infinities and
// heavy ties) never panic, and a Pass always has a finite interval within
// the floor. Minimising a byte-slice input takes long, so shorten it:
// Run: go test -run=^$ -fuzz=FuzzClassifyMetric -fuzzminimizetime=2s ./safety/stats/
func FuzzClassifyMetric(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 240, 63, 0, 0, 0, 0, 0, 0, 0, 64}, uint8(3))
	f.Add(make([]byte, 8*40), uint8(20))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		var xs []float64
		for len(data) >= 8 && len(xs) < 400 {
			xs = append(xs, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[8:]
		}
		k := min(int(split), len(xs))
		res, err := ClassifyMetric(xs[:k], xs[k:], MetricSpec{Name: "fuzz", Direction: Either, EffectSize: 0.05, Level: 0.9, MinSamples: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == Pass {
			iv := res.Shift.Interval
			if math.IsNaN(iv.Lower) || math.IsNaN(iv.Upper) || iv.Lower < -res.Floor || iv.Upper > res.Floor {
				t.Fatalf("pass with interval %v and floor %g", iv, res.Floor)
			}
		}
	})
}
