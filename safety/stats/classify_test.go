package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// latency draws n log-normal latencies with the given median (ms) and
// log-scale spread from a seeded source.
func latency(r *rand.Rand, n int, median, spread float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = median * math.Exp(spread*r.NormFloat64())
	}
	return xs
}

func kayentaSpec(dir Direction) MetricSpec {
	return MetricSpec{Name: "p99_latency_ms", Direction: dir, EffectSize: 0.05, Level: 0.98, MinSamples: 20}
}

func TestClassifyMetric(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	base := latency(r, 500, 100, 0.2)
	same := latency(r, 500, 100, 0.2)
	slower := latency(r, 500, 115, 0.2)
	faster := latency(r, 500, 85, 0.2)
	slightlySlower := latency(r, 500, 101.5, 0.2)
	tests := []struct {
		name             string
		baseline, canary []float64
		dir              Direction
		want             Classification
	}{
		{"healthy canary", base, same, Increase, ClassPass},
		{"15 % slower, higher is worse", base, slower, Increase, ClassHigh},
		{"15 % faster, higher is worse", base, faster, Increase, ClassPass},
		{"15 % lower, lower is worse", base, faster, Decrease, ClassLow},
		{"15 % higher, lower is worse", base, slower, Decrease, ClassPass},
		{"either direction, higher", base, slower, Either, ClassHigh},
		{"either direction, lower", base, faster, Either, ClassLow},
		{"1.5 % slower is under the 5 % floor", base, slightlySlower, Increase, ClassPass},
		{"too few observations", base[:10], same[:10], Increase, ClassInconclusive},
		{"wide interval straddles the floor", latency(r, 25, 100, 0.6), latency(r, 25, 100, 0.6), Increase, ClassInconclusive},
		{"all values equal", []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, make([]float64, 20), Increase, ClassInconclusive},
		{"NaN in the baseline", append([]float64{math.NaN()}, base...), same, Increase, ClassInconclusive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ClassifyMetric(tc.baseline, tc.canary, kayentaSpec(tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if res.Classification != tc.want {
				t.Errorf("classification %v, want %v (%s)", res.Classification, tc.want, res.Reason)
			}
			if res.Outcome != tc.want.Outcome() {
				t.Errorf("outcome %v for classification %v", res.Outcome, res.Classification)
			}
			if res.Reason == "" {
				t.Error("empty reason")
			}
			if res.Name != "p99_latency_ms" {
				t.Errorf("name %q", res.Name)
			}
		})
	}
}

// The classification follows the interval, not the p-value: a shift that is
// highly significant but smaller than the floor passes.
func TestClassifyMetricDecidesOnIntervalNotPValue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	base := latency(r, 1000, 100, 0.05)
	canary := latency(r, 1000, 102, 0.05)
	res, err := ClassifyMetric(base, canary, kayentaSpec(Increase))
	if err != nil {
		t.Fatal(err)
	}
	if !(res.MannWhitneyP < 1e-6) {
		t.Fatalf("setup: expected a highly significant shift, p = %g", res.MannWhitneyP)
	}
	if res.Classification != ClassPass {
		t.Errorf("classification %v, want pass: the 2 %% shift is under the 5 %% floor (%s)", res.Classification, res.Reason)
	}
	if !(res.Shift.Interval.Lower > 0) {
		t.Errorf("interval %v should exclude 0", res.Shift.Interval)
	}
}

// Kayenta passes canaries that are only noisier, or that add a few errors
// to an all-zero baseline (kayenta#426, #780). Vigil's judge does not pass
// the second: the Hodges-Lehmann interval collapses to [0, 0] on such data,
// and a zero-width interval is Inconclusive.
func TestClassifyMetricZeroInflatedCounts(t *testing.T) {
	baseline := make([]float64, 60)
	canary := make([]float64, 60)
	for i := 0; i < 6; i++ {
		canary[i*10] = float64(1 + i%3)
	}
	res, err := ClassifyMetric(baseline, canary, MetricSpec{Name: "errors", Direction: Increase, EffectSize: 0.05, Level: 0.98, MinSamples: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Inconclusive || !containsFold(res.Reason, "rate test") {
		t.Errorf("outcome %v (%s), want inconclusive pointing to a rate test", res.Outcome, res.Reason)
	}
	// The rate test sees what the median shift cannot.
	rate, err := FisherExact(ArmCounts{Events: 6, Trials: 60}, ArmCounts{Events: 0, Trials: 60}, Greater, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if rate.Outcome != Fail {
		t.Errorf("Fisher on 6/60 vs 0/60 errors: %v (%s), want fail", rate.Outcome, rate.Reason)
	}
}

func TestClassifyMetricRemovesOutliers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := latency(r, 200, 100, 0.1)
	canary := latency(r, 200, 100, 0.1)
	canary[0], canary[1], base[5] = 1e6, 5e5, 9e5
	spec := kayentaSpec(Increase)
	spec.RemoveOutliers = true
	res, err := ClassifyMetric(base, canary, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.CanaryOutliers != 2 || res.BaselineOutliers != 1 {
		t.Errorf("outliers removed: baseline %d canary %d, want 1 and 2", res.BaselineOutliers, res.CanaryOutliers)
	}
	if res.NCanary != 198 || res.NBaseline != 199 {
		t.Errorf("sizes %d %d", res.NBaseline, res.NCanary)
	}
	if res.Classification != ClassPass {
		t.Errorf("classification %v (%s)", res.Classification, res.Reason)
	}
}

func TestClassifyMetricInvalidSpec(t *testing.T) {
	x := []float64{1, 2, 3}
	good := kayentaSpec(Increase)
	tests := []struct {
		name   string
		mutate func(*MetricSpec)
		arg    string
		msg    string
	}{
		{"direction unset", func(s *MetricSpec) { s.Direction = 0 }, "Direction", `classify-metric: Direction 0 is not Increase, Decrease or Either (metric "p99_latency_ms")`},
		{"negative effect size", func(s *MetricSpec) { s.EffectSize = -0.1 }, "EffectSize", ""},
		{"level unset", func(s *MetricSpec) { s.Level = 0 }, "Level", `classify-metric: Level 0 outside (0, 1) (metric "p99_latency_ms"; Kayenta uses 0.98)`},
		{"min samples unset", func(s *MetricSpec) { s.MinSamples = 0 }, "MinSamples", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := good
			tc.mutate(&spec)
			_, err := ClassifyMetric(x, x, spec)
			checkInvalid(t, err, tc.arg, tc.msg)
		})
	}
}

func TestClassificationStrings(t *testing.T) {
	for c, want := range map[Classification]string{ClassInconclusive: "inconclusive", ClassPass: "pass", ClassHigh: "high", ClassLow: "low", Classification(9): "classification(9)"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), want)
		}
	}
	for o, want := range map[Outcome]string{Inconclusive: "inconclusive", Pass: "pass", Fail: "fail", Outcome(5): "outcome(5)"} {
		if o.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(o), o.String(), want)
		}
	}
	var zero Outcome
	if zero != Inconclusive {
		t.Error("the zero Outcome must be Inconclusive")
	}
}
