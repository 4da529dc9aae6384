//go:build unix

package stats

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// Benchmarks at the sizes of Vigil's own workloads, complementing bench_test.go: the
// golden set of the demo service (228 cases, 85 malignant, 143 benign), latency samples
// recorded in whole milliseconds (so with ties), error counts in the thousands and a
// monitor looked at 100 times. Each benchmark first checks that the input takes the code
// path it is named after, and reports cpu-ns/op besides ns/op (see cpuMeter). Run:
//
//	go test -run '^$' -bench . -benchmem ./safety/stats/

// Golden-set shape of examples/data/golden.csv.
const (
	goldenPositives = 85
	goldenNegatives = 143
)

// tiedLatencies returns n latencies around median milliseconds (log-normal, spread 0.25),
// rounded to whole milliseconds as exporters record them, so a sample of 100 already has
// ties.
func tiedLatencies(seed uint64, n int, median float64) []float64 {
	xs := latency(rand.New(rand.NewPCG(seed, 17)), n, median, 0.25)
	for i := range xs {
		xs[i] = math.Round(xs[i])
	}
	return xs
}

func BenchmarkMannWhitneyTiedLatencies(b *testing.B) {
	opt := MannWhitneyOptions{Harm: Increase, Alpha: 0.05, Method: RankAuto}
	for _, n := range []int{100, 1000} {
		base, can := tiedLatencies(1, n, 100), tiedLatencies(2, n, 103)
		b.Run(fmtCase("2x%d", n), func(b *testing.B) {
			first, err := MannWhitney(base, can, opt)
			if err != nil {
				b.Fatal(err)
			}
			if !first.Ties || first.Method != RankNormal {
				b.Fatalf("ties %v, method %v: want the tie-corrected normal path", first.Ties, first.Method)
			}
			cpu := startCPU(b)
			for b.Loop() {
				res, err := MannWhitney(base, can, opt)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = res
			}
			cpu.report(b)
		})
	}
}

func BenchmarkHodgesLehmannTiedLatencies(b *testing.B) {
	for _, n := range []int{100, 1000} {
		base, can := tiedLatencies(1, n, 100), tiedLatencies(2, n, 103)
		b.Run(fmtCase("2x%d", n), func(b *testing.B) {
			first, err := HodgesLehmann(base, can, 0.98)
			if err != nil {
				b.Fatal(err)
			}
			if first.Reason != "" || first.Interval.Method != "hodges-lehmann-normal" {
				b.Fatalf("interval %+v (%s): want the normal-approximation interval", first.Interval, first.Reason)
			}
			cpu := startCPU(b)
			for b.Loop() {
				res, err := HodgesLehmann(base, can, 0.98)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = res
			}
			cpu.report(b)
		})
	}
}

// goldenScores returns two correlated models' probabilities of malignancy for a
// golden-set-shaped sample (85 positives first, then 143 negatives), rounded to 0.001 so
// that some scores tie, as probabilities reported with three decimals do.
func goldenScores() (reference, candidate []float64, positive []bool) {
	r := rand.New(rand.NewPCG(5, 6))
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	round := func(p float64) float64 { return math.Round(1000*p) / 1000 }
	for i := 0; i < goldenPositives+goldenNegatives; i++ {
		pos := i < goldenPositives
		shift := -1.5
		if pos {
			shift = 1.5
		}
		common := r.NormFloat64()
		reference = append(reference, round(sigmoid(shift+1.2*common+0.8*r.NormFloat64())))
		candidate = append(candidate, round(sigmoid(1.1*shift+1.2*common+0.8*r.NormFloat64())))
		positive = append(positive, pos)
	}
	return reference, candidate, positive
}

func BenchmarkDeLongGoldenSet(b *testing.B) {
	ref, cand, positive := goldenScores()
	b.Run("AUC of 228 cases", func(b *testing.B) {
		first, err := DeLongAUC(cand, positive, 0.95)
		if err != nil {
			b.Fatal(err)
		}
		if first.Positives != goldenPositives || first.Negatives != goldenNegatives || first.Reason != "" {
			b.Fatalf("AUC %+v: want a defined interval on 85 positives and 143 negatives", first)
		}
		cpu := startCPU(b)
		for b.Loop() {
			res, err := DeLongAUC(cand, positive, 0.95)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = res
		}
		cpu.report(b)
	})
	b.Run("paired test of 228 cases", func(b *testing.B) {
		first, err := DeLongTest(ref, cand, positive, 0.05)
		if err != nil {
			b.Fatal(err)
		}
		if first.Reference.Reason != "" || first.Candidate.Reason != "" || math.IsNaN(first.PValue) || math.IsNaN(first.Interval.Lower) {
			b.Fatalf("DeLong test %+v: want a defined p-value and interval", first)
		}
		cpu := startCPU(b)
		for b.Loop() {
			res, err := DeLongTest(ref, cand, positive, 0.05)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = res
		}
		cpu.report(b)
	})
}

// BenchmarkGoldenSetProportions computes the five proportions of one model's golden-set
// metrics (sensitivity, specificity, PPV, NPV, accuracy) with each interval method, as one
// clinical validation does per version and scope.
func BenchmarkGoldenSetProportions(b *testing.B) {
	// Confusion of the demo candidate 1.1.0-CLINICALVALID on the golden set (docs/demo-models.md).
	const tp, fn, tn, fp = 83, 2, 141, 2
	counts := [][2]int{{tp, tp + fn}, {tn, tn + fp}, {tp, tp + fp}, {tn, tn + fn}, {tp + tn, tp + fn + tn + fp}}
	for _, m := range []struct {
		name string
		fn   func(successes, trials int, level float64) (Interval, error)
	}{{"Wilson", Wilson}, {"ClopperPearson", ClopperPearson}} {
		b.Run(m.name+"/5 proportions", func(b *testing.B) {
			cpu := startCPU(b)
			for b.Loop() {
				for _, c := range counts {
					iv, err := m.fn(c[0], c[1], 0.95)
					if err != nil {
						b.Fatal(err)
					}
					benchSink = iv
				}
			}
			cpu.report(b)
		})
	}
}

func BenchmarkTangoGoldenSet(b *testing.B) {
	for _, c := range []struct {
		name   string
		counts PairedCounts
	}{
		// Degraded candidate 1.2.0 against 1.0.0 on all 228 cases, and the good candidate
		// 1.1.0 on the 85 malignant ones (the mesh test's figures).
		{"degraded accuracy b=39,c=3,N=228", PairedCounts{B: 39, C: 3, N: 228}},
		{"good sensitivity b=0,c=2,N=85", PairedCounts{B: 0, C: 2, N: 85}},
	} {
		b.Run("Interval/"+c.name, func(b *testing.B) {
			cpu := startCPU(b)
			for b.Loop() {
				iv, err := TangoInterval(c.counts, 0.95)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = iv
			}
			cpu.report(b)
		})
		b.Run("NonInferiority/"+c.name, func(b *testing.B) {
			cpu := startCPU(b)
			for b.Loop() {
				res, err := TangoNonInferiority(c.counts, 0.05, 0.95)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = res
			}
			cpu.report(b)
		})
	}
}

func BenchmarkMcNemarHundredDiscordant(b *testing.B) {
	const discordantB, discordantC = 58, 42 // b + c = 100
	for _, m := range []struct {
		name   string
		fn     func(b, c int, alpha float64) (McNemarResult, error)
		method McNemarMethod
	}{
		{"Exact", McNemarExact, McNemarMethodExact},
		{"MidP", McNemarMidP, McNemarMethodMidP},
		{"Choose", McNemarChoose, McNemarMethodZ},
	} {
		b.Run(m.name+"/b=58,c=42", func(b *testing.B) {
			first, err := m.fn(discordantB, discordantC, 0.05)
			if err != nil {
				b.Fatal(err)
			}
			if first.Method != m.method {
				b.Fatalf("method %v, want %v", first.Method, m.method)
			}
			cpu := startCPU(b)
			for b.Loop() {
				res, err := m.fn(discordantB, discordantC, 0.05)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = res
			}
			cpu.report(b)
		})
	}
}

func BenchmarkFisherExactThousands(b *testing.B) {
	// 20,000 requests per arm with error rates of 5.9 % and 5.25 %: 2,230 events in all,
	// so the hypergeometric support has thousands of tables.
	canary, baseline := ArmCounts{Events: 1180, Trials: 20000}, ArmCounts{Events: 1050, Trials: 20000}
	for _, alt := range []Alternative{TwoSided, Greater} {
		b.Run(alt.String()+"/1180 of 20000 vs 1050 of 20000", func(b *testing.B) {
			first, err := FisherExact(canary, baseline, alt, 0.05)
			if err != nil {
				b.Fatal(err)
			}
			if math.IsNaN(first.PValue) {
				b.Fatalf("Fisher %+v: want a p-value", first)
			}
			cpu := startCPU(b)
			for b.Loop() {
				res, err := FisherExact(canary, baseline, alt, 0.05)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = res
			}
			cpu.report(b)
		})
	}
}

// hundredLooks is the number of looks of the sequential monitors below.
const hundredLooks = 100

// BenchmarkMSPRTHundredLooks runs one monitor from creation over 100 looks, each adding a
// batch of 20 latency pairs and asking for the verdict, as a canary analysis polled every
// interval does.
func BenchmarkMSPRTHundredLooks(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 9))
	canary, baseline := make([]Summary, hundredLooks), make([]Summary, hundredLooks)
	for i := range canary {
		canary[i] = Summarize(latency(r, 20, 101, 0.25))
		baseline[i] = Summarize(latency(r, 20, 100, 0.25))
	}
	cfg := MSPRTConfig{Tau2: 25, MinPairs: 10}
	cpu := startCPU(b)
	for b.Loop() {
		m, err := NewMSPRT(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for k := range hundredLooks {
			if err := m.UpdateSummary(canary[k], baseline[k]); err != nil {
				b.Fatal(err)
			}
			if benchOutcome, _, err = m.Verdict(0.05, Increase); err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu.reportPerLook(b)
}

// BenchmarkMSPRTRateHundredLooks: the rate monitor over 100 looks of 500 requests per arm
// each.
func BenchmarkMSPRTRateHundredLooks(b *testing.B) {
	r := rand.New(rand.NewPCG(10, 11))
	canary, baseline := make([]ArmCounts, hundredLooks), make([]ArmCounts, hundredLooks)
	for i := range canary {
		canary[i] = ArmCounts{Events: binomialDraw(r, 500, 0.012), Trials: 500}
		baseline[i] = ArmCounts{Events: binomialDraw(r, 500, 0.010), Trials: 500}
	}
	cfg := MSPRTRateConfig{Tau2: 1e-4, MinTrials: 1000}
	cpu := startCPU(b)
	for b.Loop() {
		m, err := NewMSPRTRate(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for k := range hundredLooks {
			if err := m.Update(canary[k], baseline[k]); err != nil {
				b.Fatal(err)
			}
			if benchOutcome, _, err = m.Verdict(0.05); err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu.reportPerLook(b)
}

// BenchmarkSPRTHundredLooks: Wald's SPRT of an adverse-event rate over 100 looks of 200
// requests each.
func BenchmarkSPRTHundredLooks(b *testing.B) {
	r := rand.New(rand.NewPCG(12, 13))
	events := make([]int, hundredLooks)
	for i := range events {
		events[i] = binomialDraw(r, 200, 0.01)
	}
	cfg := SPRTConfig{P0: 0.01, P1: 0.03, Alpha: 0.05, Beta: 0.2}
	cpu := startCPU(b)
	for b.Loop() {
		s, err := NewSPRT(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for k := range hundredLooks {
			if err := s.Observe(events[k], 200); err != nil {
				b.Fatal(err)
			}
			benchOutcome = s.Outcome()
		}
	}
	cpu.reportPerLook(b)
}

// cpuMeter measures the CPU time of the whole benchmark process (user and system time of
// every thread, the garbage collector included) over a benchmark loop. On a shared machine
// the wall-clock ns/op also count the time other processes held the CPU; cpu-ns/op do not.
type cpuMeter struct{ start time.Duration }

// startCPU starts a cpuMeter; call it just before the benchmark loop.
func startCPU(b *testing.B) cpuMeter { return cpuMeter{start: processCPU(b)} }

// report adds cpu-ns/op, the process CPU time per iteration since startCPU.
func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU(b)-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// reportPerLook adds cpu-ns/op and cpu-ns/look for a benchmark whose iteration is
// hundredLooks looks.
func (m cpuMeter) reportPerLook(b *testing.B) {
	if b.N > 0 {
		cpu := float64(processCPU(b) - m.start)
		b.ReportMetric(cpu/float64(b.N), "cpu-ns/op")
		b.ReportMetric(cpu/float64(b.N*hundredLooks), "cpu-ns/look")
	}
}

// processCPU returns the user plus system CPU time the process has used so far.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// binomialDraw draws from Binomial(n, p) by summing Bernoulli trials.
func binomialDraw(r *rand.Rand, n int, p float64) int {
	k := 0
	for range n {
		if r.Float64() < p {
			k++
		}
	}
	return k
}
