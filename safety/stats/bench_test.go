package stats

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks at realistic sizes. Run:
//
//	go test -run=^$ -bench=. -benchmem ./safety/stats/

var (
	benchSink    any
	benchOutcome Outcome
)

func BenchmarkWilson(b *testing.B) {
	for b.Loop() {
		benchSink, _ = Wilson(4321, 5000, 0.95)
	}
}

func BenchmarkClopperPearson(b *testing.B) {
	for b.Loop() {
		benchSink, _ = ClopperPearson(4321, 5000, 0.95)
	}
}

func BenchmarkProportionGoal(b *testing.B) {
	for b.Loop() {
		benchSink, _ = ProportionGoal(4321, 5000, 0.85, 0.95, ClopperPearsonInterval)
	}
}

func BenchmarkMcNemar(b *testing.B) {
	for _, f := range []struct {
		name string
		fn   func(int, int, float64) (McNemarResult, error)
	}{{"Z", McNemarZ}, {"Corrected", McNemarCorrected}, {"Exact", McNemarExact}, {"MidP", McNemarMidP}, {"Choose", McNemarChoose}} {
		b.Run(f.name+"/b=300,c=303", func(b *testing.B) {
			for b.Loop() {
				benchSink, _ = f.fn(300, 303, 0.05)
			}
		})
	}
}

var benchPaired = PairedCounts{B: 120, C: 95, N: 5000}

func BenchmarkTangoZ(b *testing.B) {
	for b.Loop() {
		benchSink, _ = TangoZ(benchPaired, -0.02)
	}
}

func BenchmarkTangoInterval(b *testing.B) {
	for b.Loop() {
		benchSink, _ = TangoInterval(benchPaired, 0.95)
	}
}

func BenchmarkTangoNonInferiority(b *testing.B) {
	for b.Loop() {
		benchSink, _ = TangoNonInferiority(benchPaired, 0.02, 0.95)
	}
}

var benchCanary, benchBaseline = ArmCounts{Events: 130, Trials: 10000}, ArmCounts{Events: 100, Trials: 10000}

func BenchmarkFarringtonManning(b *testing.B) {
	for b.Loop() {
		benchSink, _ = FarringtonManning(benchCanary, benchBaseline, 0.005, Greater, 0.05)
	}
}

func BenchmarkFarringtonManningInterval(b *testing.B) {
	for b.Loop() {
		benchSink, _ = FarringtonManningInterval(benchCanary, benchBaseline, 0.95)
	}
}

func BenchmarkRateNonInferiority(b *testing.B) {
	for b.Loop() {
		benchSink, _ = RateNonInferiority(benchCanary, benchBaseline, 0.005, 0.95)
	}
}

func BenchmarkFisherExact(b *testing.B) {
	b.Run("10000 requests per arm", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = FisherExact(benchCanary, benchBaseline, TwoSided, 0.05)
		}
	})
	b.Run("200 requests per arm", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = FisherExact(ArmCounts{Events: 9, Trials: 200}, ArmCounts{Events: 3, Trials: 200}, TwoSided, 0.05)
		}
	})
}

func benchSamples(n int, median float64) []float64 {
	return latency(rand.New(rand.NewPCG(uint64(n), 9)), n, median, 0.25)
}

func BenchmarkMannWhitney(b *testing.B) {
	base, can := benchSamples(500, 100), benchSamples(500, 104)
	b.Run("2x500 normal", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = MannWhitney(base, can, MannWhitneyOptions{Harm: Increase, Alpha: 0.05, Method: RankAuto})
		}
	})
	small, smallCan := base[:40], can[:40]
	b.Run("2x40 exact", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = MannWhitney(small, smallCan, MannWhitneyOptions{Harm: Increase, Alpha: 0.05, Method: RankAuto})
		}
	})
}

func BenchmarkHodgesLehmann(b *testing.B) {
	base, can := benchSamples(500, 100), benchSamples(500, 104)
	b.Run("2x500", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = HodgesLehmann(base, can, 0.98)
		}
	})
}

func BenchmarkClassifyMetric(b *testing.B) {
	base, can := benchSamples(500, 100), benchSamples(500, 104)
	spec := MetricSpec{Name: "latency", Direction: Increase, EffectSize: 0.05, Level: 0.98, MinSamples: 50, RemoveOutliers: true}
	b.Run("2x500", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = ClassifyMetric(base, can, spec)
		}
	})
}

func BenchmarkSummarize(b *testing.B) {
	xs := benchSamples(500, 100)
	for b.Loop() {
		benchSink = Summarize(xs)
	}
}

func BenchmarkMSPRT(b *testing.B) {
	b.Run("NewMSPRT", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = NewMSPRT(MSPRTConfig{Tau2: 25, MinPairs: 10})
		}
	})
	b.Run("Update", func(b *testing.B) {
		m, _ := NewMSPRT(MSPRTConfig{Tau2: 25, MinPairs: 10})
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			_ = m.Update(50+10*r.NormFloat64(), 50+10*r.NormFloat64())
		}
	})
	b.Run("UpdateSummary of 100 pairs", func(b *testing.B) {
		m, _ := NewMSPRT(MSPRTConfig{Tau2: 25, MinPairs: 10})
		c, base := Summarize(benchSamples(100, 104)), Summarize(benchSamples(100, 100))
		for b.Loop() {
			_ = m.UpdateSummary(c, base)
		}
	})
	b.Run("PValue Reject Verdict", func(b *testing.B) {
		m, _ := NewMSPRT(MSPRTConfig{Tau2: 25, MinPairs: 2})
		for i := 0; i < 20; i++ {
			_ = m.Update(float64(i), float64(i%3))
		}
		for b.Loop() {
			benchSink = m.PValue()
			benchSink, _ = m.Reject(0.05)
			benchOutcome, _, _ = m.Verdict(0.05, Increase)
		}
	})
}

func BenchmarkMSPRTRate(b *testing.B) {
	b.Run("Update", func(b *testing.B) {
		m, _ := NewMSPRTRate(MSPRTRateConfig{Tau2: 1e-4, MinTrials: 100})
		for b.Loop() {
			_ = m.Update(ArmCounts{Events: 2, Trials: 100}, ArmCounts{Events: 1, Trials: 100})
		}
	})
	b.Run("Verdict", func(b *testing.B) {
		m, _ := NewMSPRTRate(MSPRTRateConfig{Tau2: 1e-4, MinTrials: 100})
		_ = m.Update(ArmCounts{Events: 20, Trials: 1000}, ArmCounts{Events: 10, Trials: 1000})
		for b.Loop() {
			benchOutcome, _, _ = m.Verdict(0.05)
		}
	})
}

func BenchmarkSPRT(b *testing.B) {
	b.Run("NewSPRT", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = NewSPRT(SPRTConfig{P0: 0.01, P1: 0.03, Alpha: 0.05, Beta: 0.2})
		}
	})
	b.Run("Observe", func(b *testing.B) {
		s, _ := NewSPRT(SPRTConfig{P0: 0.01, P1: 0.03, Alpha: 0.05, Beta: 0.2})
		for b.Loop() {
			_ = s.Observe(0, 1)
		}
	})
}

func BenchmarkAlphaSpending(b *testing.B) {
	for b.Loop() {
		benchSink, _ = OBrienFlemingSpending.Spent(0.025, 0.4)
	}
}

func BenchmarkGroupSequentialBoundaries(b *testing.B) {
	for _, d := range []struct {
		name   string
		design GroupSequentialDesign
	}{
		{"K=5 two-sided OF", GroupSequentialDesign{Alpha: 0.05, Sides: 2, Spending: OBrienFlemingSpending, InformationFractions: []float64{.2, .4, .6, .8, 1}}},
		{"K=5 one-sided Pocock", GroupSequentialDesign{Alpha: 0.025, Sides: 1, Spending: PocockSpending, InformationFractions: []float64{.2, .4, .6, .8, 1}}},
	} {
		b.Run(d.name, func(b *testing.B) {
			for b.Loop() {
				benchSink, _ = GroupSequentialBoundaries(d.design)
			}
		})
	}
	b.Run("Crossed", func(b *testing.B) {
		bounds, _ := GroupSequentialBoundaries(GroupSequentialDesign{Alpha: 0.05, Sides: 2, Spending: PocockSpending, InformationFractions: []float64{.5, 1}})
		for b.Loop() {
			benchSink, _ = bounds.Crossed(1, 2.1)
		}
	})
}

// benchROC returns two models' scores for 200 positive and 200 negative
// cases.
func benchROC() (ref, cand []float64, positive []bool) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 400; i++ {
		pos := i < 200
		shift := 0.0
		if pos {
			shift = 1
		}
		common := r.NormFloat64()
		ref = append(ref, shift+0.8*common+0.6*r.NormFloat64())
		cand = append(cand, 1.2*shift+0.8*common+0.6*r.NormFloat64())
		positive = append(positive, pos)
	}
	return ref, cand, positive
}

func BenchmarkDeLongAUC(b *testing.B) {
	ref, _, positive := benchROC()
	for b.Loop() {
		benchSink, _ = DeLongAUC(ref, positive, 0.95)
	}
}

func BenchmarkDeLongTest(b *testing.B) {
	ref, cand, positive := benchROC()
	b.Run("2x200 cases", func(b *testing.B) {
		for b.Loop() {
			benchSink, _ = DeLongTest(ref, cand, positive, 0.05)
		}
	})
}

// BenchmarkAccessors covers the small methods and String functions.
func BenchmarkAccessors(b *testing.B) {
	iv := Interval{Lower: 0.1, Upper: 0.3, Estimate: 0.2, Level: 0.95}
	b.Run("Interval", func(b *testing.B) {
		for b.Loop() {
			benchSink = iv.Contains(0.25) && iv.Width() > 0
		}
	})
	b.Run("Counts", func(b *testing.B) {
		for b.Loop() {
			benchSink = benchPaired.Difference() + benchCanary.Rate() + Summary{N: 3, Mean: 1, M2: 2}.Variance()
		}
	})
	b.Run("String", func(b *testing.B) {
		for b.Loop() {
			benchSink = Fail.String() + Greater.String() + Either.String() + ClassHigh.String() + McNemarMethodMidP.String() +
				RankExact.String() + WilsonInterval.String() + AcceptH1.String() + PocockSpending.String()
		}
	})
	b.Run("Classification.Outcome", func(b *testing.B) {
		for b.Loop() {
			benchOutcome = ClassLow.Outcome()
		}
	})
}
