package stats

import (
	"math"
	mathrand "math/rand"
	"math/rand/v2"
	"testing"
	"testing/quick"
)

// propertyRand is the seeded source for the property loops: failures
// reproduce exactly.
func propertyRand() *rand.Rand { return rand.New(rand.NewPCG(20240611, 1)) }

var levels = []float64{0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999}

func TestPropertyIntervalsContainEstimateWithinUnit(t *testing.T) {
	r := propertyRand()
	for i := 0; i < 3000; i++ {
		n := 1 + r.IntN(5000)
		x := r.IntN(n + 1)
		level := levels[r.IntN(len(levels))]
		for _, f := range []func(int, int, float64) (Interval, error){Wilson, ClopperPearson} {
			iv, err := f(x, n, level)
			if err != nil {
				t.Fatal(err)
			}
			if !(0 <= iv.Lower && iv.Lower <= iv.Estimate && iv.Estimate <= iv.Upper && iv.Upper <= 1) {
				t.Fatalf("%s(%d, %d, %g) = %+v: not 0 <= lower <= estimate <= upper <= 1", iv.Method, x, n, level, iv)
			}
		}
	}
}

func TestPropertyIntervalsNarrowAsNGrows(t *testing.T) {
	for _, p := range []float64{0.02, 0.1, 0.5, 0.9, 0.97} {
		for _, f := range []func(int, int, float64) (Interval, error){Wilson, ClopperPearson} {
			prev := math.Inf(1)
			for n := 100; n <= 102400; n *= 2 {
				iv, err := f(int(math.Round(p*float64(n))), n, 0.95)
				if err != nil {
					t.Fatal(err)
				}
				if !(iv.Width() < prev) {
					t.Fatalf("%s at p=%g: width %g at n=%d did not shrink from %g", iv.Method, p, iv.Width(), n, prev)
				}
				prev = iv.Width()
			}
		}
	}
}

func TestPropertyIntervalsWidenWithLevel(t *testing.T) {
	r := propertyRand()
	for i := 0; i < 500; i++ {
		n := 1 + r.IntN(2000)
		x := r.IntN(n + 1)
		for _, f := range []func(int, int, float64) (Interval, error){Wilson, ClopperPearson} {
			prev := Interval{Lower: 1, Upper: 0}
			for _, level := range levels {
				iv, _ := f(x, n, level)
				if iv.Lower > prev.Lower+1e-15 || iv.Upper < prev.Upper-1e-15 {
					t.Fatalf("%s(%d, %d): level %g interval %v does not contain the narrower %v", iv.Method, x, n, level, iv, prev)
				}
				prev = iv
			}
		}
	}
}

// Wilson and Clopper-Pearson estimate the same bounds to O(1/n): every
// bound differs by less than 1.5/n (the largest n*difference over all
// x <= n <= 300 at these levels is 1.24).
func TestPropertyWilsonNearClopperPearson(t *testing.T) {
	r := propertyRand()
	for i := 0; i < 3000; i++ {
		n := 1 + r.IntN(3000)
		x := r.IntN(n + 1)
		level := []float64{0.8, 0.9, 0.95, 0.99}[r.IntN(4)]
		w, _ := Wilson(x, n, level)
		c, _ := ClopperPearson(x, n, level)
		tol := 1.5 / float64(n)
		if math.Abs(w.Lower-c.Lower) > tol || math.Abs(w.Upper-c.Upper) > tol {
			t.Fatalf("x=%d n=%d level=%g: Wilson %v vs Clopper-Pearson %v differ by more than %g", x, n, level, w, c, tol)
		}
	}
}

func TestPropertyPValuesInUnitInterval(t *testing.T) {
	r := propertyRand()
	inUnit := func(what string, p float64) {
		t.Helper()
		if !(p >= 0 && p <= 1) {
			t.Fatalf("%s: p = %g outside [0, 1]", what, p)
		}
	}
	for i := 0; i < 1000; i++ {
		b, c := r.IntN(300), r.IntN(300)
		if b+c == 0 {
			continue
		}
		for _, f := range []func(int, int, float64) (McNemarResult, error){McNemarZ, McNemarCorrected, McNemarExact, McNemarMidP} {
			res, _ := f(b, c, 0.05)
			inUnit(fmtCase("mcnemar %v b=%d c=%d", res.Method, b, c), res.PValue)
		}
		can := ArmCounts{Trials: 1 + r.IntN(400)}
		can.Events = r.IntN(can.Trials + 1)
		base := ArmCounts{Trials: 1 + r.IntN(400)}
		base.Events = r.IntN(base.Trials + 1)
		for _, alt := range []Alternative{TwoSided, Greater, Less} {
			if fr, _ := FisherExact(can, base, alt, 0.05); !math.IsNaN(fr.PValue) {
				inUnit(fmtCase("fisher %v %v %v", can, base, alt), fr.PValue)
			}
			if fm, _ := FarringtonManning(can, base, r.Float64()*0.2-0.1, alt, 0.05); !math.IsNaN(fm.PValue) {
				inUnit(fmtCase("farrington-manning %v %v %v", can, base, alt), fm.PValue)
			}
		}
		x := make([]float64, 1+r.IntN(40))
		y := make([]float64, 1+r.IntN(40))
		for j := range x {
			x[j] = float64(r.IntN(6))
		}
		for j := range y {
			y[j] = float64(r.IntN(6))
		}
		for _, harm := range []Direction{Increase, Decrease, Either} {
			mw, _ := MannWhitney(x, y, MannWhitneyOptions{Harm: harm, Alpha: 0.05, Method: RankAuto})
			if !math.IsNaN(mw.PValue) {
				inUnit("mann-whitney", mw.PValue)
			}
		}
	}
}

// testing/quick: McNemar is antisymmetric in (b, c).
func TestPropertyMcNemarSymmetry(t *testing.T) {
	f := func(b8, c8 uint8) bool {
		b, c := int(b8), int(c8)
		if b+c == 0 {
			return true
		}
		for _, fn := range []func(int, int, float64) (McNemarResult, error){McNemarZ, McNemarCorrected, McNemarExact, McNemarMidP} {
			x, _ := fn(b, c, 0.05)
			y, _ := fn(c, b, 0.05)
			if !near(x.PValue, y.PValue, 1e-12) {
				return false
			}
			if x.Method == McNemarMethodZ && !near(x.Statistic, -y.Statistic, 1e-12) {
				return false
			}
			if (x.Outcome == Fail) != (y.Outcome == Pass) {
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000, Rand: quickRand()}); err != nil {
		t.Error(err)
	}
}

func TestPropertySwappingArmsMirrors(t *testing.T) {
	r := propertyRand()
	for i := 0; i < 300; i++ {
		// Tango: swapping b and c mirrors the interval.
		n := 1 + r.IntN(500)
		b := r.IntN(n + 1)
		c := r.IntN(n - b + 1)
		iv, _ := TangoInterval(PairedCounts{B: b, C: c, N: n}, 0.95)
		mv, _ := TangoInterval(PairedCounts{B: c, C: b, N: n}, 0.95)
		if !near(iv.Lower, -mv.Upper, 1e-9) || !near(iv.Upper, -mv.Lower, 1e-9) {
			t.Fatalf("tango b=%d c=%d n=%d: %v is not the mirror of %v", b, c, n, iv, mv)
		}
		// Farrington-Manning: swapping arms negates Z and mirrors the interval.
		can := ArmCounts{Trials: 1 + r.IntN(300)}
		can.Events = r.IntN(can.Trials + 1)
		base := ArmCounts{Trials: 1 + r.IntN(300)}
		base.Events = r.IntN(base.Trials + 1)
		d := r.Float64()*0.4 - 0.2
		z1, _ := FarringtonManning(can, base, d, TwoSided, 0.05)
		z2, _ := FarringtonManning(base, can, -d, TwoSided, 0.05)
		if !near(z1.Z, -z2.Z, 1e-9) {
			t.Fatalf("farrington-manning %v %v delta %g: Z %g vs swapped %g", can, base, d, z1.Z, z2.Z)
		}
		f1, _ := FarringtonManningInterval(can, base, 0.9)
		f2, _ := FarringtonManningInterval(base, can, 0.9)
		if !near(f1.Lower, -f2.Upper, 1e-9) || !near(f1.Upper, -f2.Lower, 1e-9) {
			t.Fatalf("farrington-manning interval %v is not the mirror of %v", f1, f2)
		}
		// Mann-Whitney and Hodges-Lehmann: swapping samples keeps the
		// two-sided p and negates the shift.
		x := make([]float64, 2+r.IntN(30))
		y := make([]float64, 2+r.IntN(30))
		for j := range x {
			x[j] = math.Round(r.NormFloat64()*10) / 2
		}
		for j := range y {
			y[j] = math.Round(r.NormFloat64()*10+3) / 2
		}
		m1, _ := MannWhitney(x, y, MannWhitneyOptions{Harm: Either, Alpha: 0.05, Method: RankAuto})
		m2, _ := MannWhitney(y, x, MannWhitneyOptions{Harm: Either, Alpha: 0.05, Method: RankAuto})
		if !near(m1.PValue, m2.PValue, 1e-9) {
			t.Fatalf("mann-whitney p %g vs swapped %g", m1.PValue, m2.PValue)
		}
		h1, _ := HodgesLehmann(x, y, 0.9)
		h2, _ := HodgesLehmann(y, x, 0.9)
		if h1.Estimate != -h2.Estimate || (h1.Reason == "" && (h1.Interval.Lower != -h2.Interval.Upper || h1.Interval.Upper != -h2.Interval.Lower)) {
			t.Fatalf("hodges-lehmann %+v is not the mirror of %+v", h1, h2)
		}
		if h1.Reason == "" && !h1.Interval.Contains(h1.Estimate) {
			t.Fatalf("hodges-lehmann interval %v does not contain its estimate", h1.Interval)
		}
	}
}

func TestPropertyFisherTails(t *testing.T) {
	// The one-sided p-values overlap in exactly the observed table, so
	// greater + less = 1 + P(observed) >= 1; the two-sided p-value sums the
	// smaller tail and more, so it is at least the smaller one-sided one.
	// (It may exceed twice that: when the observed table is the most
	// probable, it is 1.)
	r := propertyRand()
	for i := 0; i < 500; i++ {
		can := ArmCounts{Trials: 1 + r.IntN(60)}
		can.Events = r.IntN(can.Trials + 1)
		base := ArmCounts{Trials: 1 + r.IntN(60)}
		base.Events = r.IntN(base.Trials + 1)
		g, _ := FisherExact(can, base, Greater, 0.05)
		l, _ := FisherExact(can, base, Less, 0.05)
		two, _ := FisherExact(can, base, TwoSided, 0.05)
		if math.IsNaN(two.PValue) {
			continue
		}
		if g.PValue+l.PValue < 1-1e-12 {
			t.Fatalf("%v %v: greater %g + less %g < 1", can, base, g.PValue, l.PValue)
		}
		if two.PValue < math.Min(g.PValue, l.PValue)-1e-12 {
			t.Fatalf("%v %v: two-sided %g below the one-sided %g %g", can, base, two.PValue, g.PValue, l.PValue)
		}
	}
}

// quickRand is testing/quick's seeded source (quick needs math/rand).
func quickRand() *mathrand.Rand { return mathrand.New(mathrand.NewSource(20240611)) }
