package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The simulations watch healthy canaries (canary and baseline drawn from the
// same distribution) after every observation, as a rollout controller would,
// and count false alarms. Seeds are fixed, so the counts are reproducible;
// the bounds allow alpha + 3 standard errors of a binomial proportion.

const (
	simRuns  = 10000
	simAlpha = 0.05
)

// falseAlarmBound is alpha + 3 sqrt(alpha (1 - alpha) / runs).
func falseAlarmBound(alpha float64, runs int) float64 {
	return alpha + 3*math.Sqrt(alpha*(1-alpha)/float64(runs))
}

// TestSimulationMSPRTFalseAlarms compares the mSPRT with the naive practice
// of re-running a fixed-horizon z test at every look, on the same 10,000
// healthy canaries of 300 pairs each (sigma = 10, tau = 5: the mixture
// centred on shifts of half a standard deviation).
func TestSimulationMSPRTFalseAlarms(t *testing.T) {
	const pairs = 300
	r := rand.New(rand.NewPCG(42, 2024))
	zCrit := normQuantile(1 - simAlpha/2)
	var msprtAlarms, naiveAlarms int
	for run := 0; run < simRuns; run++ {
		m, err := NewMSPRT(MSPRTConfig{Tau2: 25, MinPairs: 10})
		if err != nil {
			t.Fatal(err)
		}
		var c, b Summary
		naive := false
		for i := 0; i < pairs; i++ {
			cv, bv := 50+10*r.NormFloat64(), 50+10*r.NormFloat64()
			if err := m.Update(cv, bv); err != nil {
				t.Fatal(err)
			}
			c.add(cv)
			b.add(bv)
			if !naive && c.N >= 10 {
				se := math.Sqrt((c.Variance() + b.Variance()) / float64(c.N))
				naive = math.Abs(c.Mean-b.Mean)/se >= zCrit
			}
		}
		if rejected, _ := m.Reject(simAlpha); rejected {
			msprtAlarms++
		}
		if naive {
			naiveAlarms++
		}
	}
	msprtRate := float64(msprtAlarms) / simRuns
	naiveRate := float64(naiveAlarms) / simRuns
	t.Logf("false alarms over %d healthy canaries watched after every pair (10..%d): mSPRT %.4f, naive repeated z test %.4f (alpha %.2f)", simRuns, pairs, msprtRate, naiveRate, simAlpha)
	if bound := falseAlarmBound(simAlpha, simRuns); msprtRate > bound {
		t.Errorf("mSPRT false-alarm rate %.4f exceeds alpha + 3 SE = %.4f", msprtRate, bound)
	}
	if naiveRate < 3*simAlpha {
		t.Errorf("naive repeated z tests alarmed in %.4f of healthy canaries; peeking was expected to exceed 3 alpha = %.2f", naiveRate, 3*simAlpha)
	}
}

// TestSimulationMSPRTDetectsShift checks that the monitor is not merely
// silent: a canary shifted by half a standard deviation is caught within
// 300 pairs in nearly every run, and the verdict names the harm.
func TestSimulationMSPRTDetectsShift(t *testing.T) {
	const runs, pairs = 1000, 300
	r := rand.New(rand.NewPCG(43, 2024))
	var caught int
	for run := 0; run < runs; run++ {
		m, err := NewMSPRT(MSPRTConfig{Tau2: 25, MinPairs: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < pairs; i++ {
			if err := m.Update(55+10*r.NormFloat64(), 50+10*r.NormFloat64()); err != nil {
				t.Fatal(err)
			}
		}
		if o, _, _ := m.Verdict(simAlpha, Increase); o == Fail {
			caught++
		}
	}
	power := float64(caught) / runs
	t.Logf("mSPRT power against a +0.5 sigma shift within %d pairs: %.3f", pairs, power)
	if power < 0.9 {
		t.Errorf("power %.3f, want >= 0.9", power)
	}
}

// TestSimulationMSPRTRateFalseAlarms watches error counts of healthy canaries
// (2 % errors in both arms) after every batch of 100 requests per arm.
func TestSimulationMSPRTRateFalseAlarms(t *testing.T) {
	const looks, batch, rate = 60, 100, 0.02
	r := rand.New(rand.NewPCG(7, 2024))
	draw := newBinomialSampler(batch, rate)
	var alarms int
	for run := 0; run < simRuns; run++ {
		m, err := NewMSPRTRate(MSPRTRateConfig{Tau2: 1e-4, MinTrials: 200})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < looks; i++ {
			if err := m.Update(ArmCounts{draw.sample(r), batch}, ArmCounts{draw.sample(r), batch}); err != nil {
				t.Fatal(err)
			}
		}
		if rejected, _ := m.Reject(simAlpha); rejected {
			alarms++
		}
	}
	got := float64(alarms) / simRuns
	t.Logf("rate mSPRT false alarms: %.4f over %d healthy canaries, %d looks", got, simRuns, looks)
	if bound := falseAlarmBound(simAlpha, simRuns); got > bound {
		t.Errorf("rate mSPRT false-alarm rate %.4f exceeds alpha + 3 SE = %.4f", got, bound)
	}
}

// TestSimulationSPRTFalseAlarms runs Wald's SPRT on healthy safety-signal
// streams (event rate exactly P0), one case at a time, until it stops.
func TestSimulationSPRTFalseAlarms(t *testing.T) {
	cfg := SPRTConfig{P0: 0.01, P1: 0.03, Alpha: simAlpha, Beta: 0.2}
	r := rand.New(rand.NewPCG(99, 2024))
	var alarms, undecided int
	for run := 0; run < simRuns; run++ {
		s, err := NewSPRT(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20000 && s.Decision() == Continue; i++ {
			ev := 0
			if r.Float64() < cfg.P0 {
				ev = 1
			}
			if err := s.Observe(ev, 1); err != nil {
				t.Fatal(err)
			}
		}
		switch s.Decision() {
		case AcceptH1:
			alarms++
		case Continue:
			undecided++
		}
	}
	got := float64(alarms) / simRuns
	t.Logf("SPRT false alarms: %.4f over %d healthy streams (%d undecided after 20000 cases)", got, simRuns, undecided)
	if bound := falseAlarmBound(simAlpha, simRuns); got > bound {
		t.Errorf("SPRT false-alarm rate %.4f exceeds alpha + 3 SE = %.4f", got, bound)
	}
}

// TestSimulationGroupSequentialBoundaries checks that rejecting at the
// computed boundaries over five looks holds the type I error at alpha, while
// testing each look at 1.96 does not.
func TestSimulationGroupSequentialBoundaries(t *testing.T) {
	ts := []float64{0.2, 0.4, 0.6, 0.8, 1}
	b, err := GroupSequentialBoundaries(GroupSequentialDesign{Alpha: simAlpha, Sides: 2, Spending: OBrienFlemingSpending, InformationFractions: ts})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 2024))
	var spent, naive int
	for run := 0; run < simRuns; run++ {
		var s, prev float64
		crossed, naiveCrossed := false, false
		for k, tk := range ts {
			s += math.Sqrt(tk-prev) * r.NormFloat64()
			prev = tk
			z := s / math.Sqrt(tk)
			if hit, _ := b.Crossed(k, z); hit {
				crossed = true
			}
			if math.Abs(z) >= 1.959963984540054 {
				naiveCrossed = true
			}
		}
		if crossed {
			spent++
		}
		if naiveCrossed {
			naive++
		}
	}
	got, naiveRate := float64(spent)/simRuns, float64(naive)/simRuns
	t.Logf("five looks: alpha-spending boundaries reject %.4f, 1.96 at every look %.4f", got, naiveRate)
	if bound := falseAlarmBound(simAlpha, simRuns); got > bound {
		t.Errorf("type I error %.4f exceeds alpha + 3 SE = %.4f", got, bound)
	}
	if naiveRate < 2*simAlpha {
		t.Errorf("1.96 at every look rejected %.4f, expected well above alpha", naiveRate)
	}
}

// binomialSampler draws Binomial(n, p) by inversion of the precomputed
// distribution function; cheap for the small n p of error counts.
type binomialSampler struct{ cdf []float64 }

func newBinomialSampler(n int, p float64) binomialSampler {
	cdf := make([]float64, n+1)
	pmf := math.Pow(1-p, float64(n))
	acc := 0.0
	for k := 0; k <= n; k++ {
		acc += pmf
		cdf[k] = acc
		pmf *= float64(n-k) / float64(k+1) * p / (1 - p)
	}
	return binomialSampler{cdf: cdf}
}

func (s binomialSampler) sample(r *rand.Rand) int {
	u := r.Float64()
	for k, c := range s.cdf {
		if u <= c {
			return k
		}
	}
	return len(s.cdf) - 1
}
