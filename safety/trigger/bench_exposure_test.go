package trigger

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// The exposure benchmark compares, on the same simulated canary traffic and defect, how
// many requests a defective canary serves before it is rolled back under Vigil's plan and
// under a Flagger-default-equivalent plan, with both plans' thresholds calibrated to the
// same false-rollback rate on healthy canaries.
//
// Traffic: the canary holds 10 % of 120 requests/s, so each second brings Poisson(12)
// requests; each fails independently with probability 0.5 % while healthy and with the
// defect's error rate from the onset on. Prometheus is modelled as exact per-second counter
// increments (1 s scrape), so a window of W seconds sees the last W seconds' counts.
//
// Vigil's plan, evaluated every second with the real Step:
//   - error_burst (as in examples/policies): the last second's error share above 0.5, with
//     at least 5 requests in the last 5 s; fires at the first breach.
//   - error_rate: the error share over the last 30 s above a calibrated threshold, with at
//     least 100 requests in the window, on 3 consecutive evaluations.
//
// The Flagger-default-equivalent plan: an analysis every 60 s (Flagger's default interval)
// at a uniformly random phase, the error share over the last 60 s (request-success-rate
// with interval 1m) against a calibrated threshold, rollback on the first failed check
// (threshold 1).
//
// Calibration: each plan's threshold is the smallest that keeps its false-rollback rate on
// healthy canaries, over a 5-minute analysis, at or below exposureAlpha; it is taken from
// calibrationRuns simulated healthy canaries and then checked on verificationRuns fresh ones.
// Both plans' rollbacks take effect exposureActuation after the decision.
const (
	exposureCanaryRPS   = 12.0
	exposureHealthyRate = 0.005
	exposureAnalysis    = 300 // seconds of healthy analysis for the false-rollback rate
	exposureAlpha       = 0.01
	exposureActuation   = 1 // seconds from decision to traffic gone, for both plans
	exposureHorizon     = 600
	exposureWindow      = 30
	exposureMinRequests = 100
	exposureConsecutive = 3
	flaggerInterval     = 60
)

var exposureSeverities = []float64{1.0, 0.2, 0.05}

// canaryTraffic is one simulated canary: per-second request and error counts.
type canaryTraffic struct {
	requests, errors []int
}

// simulateTraffic draws seconds of traffic; the error rate is healthy before onset and
// defect from onset on (onset < 0: healthy throughout).
func simulateTraffic(rng *rand.Rand, seconds, onset int, defect float64) canaryTraffic {
	tr := canaryTraffic{requests: make([]int, seconds), errors: make([]int, seconds)}
	for s := 0; s < seconds; s++ {
		n := poisson(rng, exposureCanaryRPS)
		p := exposureHealthyRate
		if onset >= 0 && s >= onset {
			p = defect
		}
		e := 0
		for range n {
			if rng.Float64() < p {
				e++
			}
		}
		tr.requests[s], tr.errors[s] = n, e
	}
	return tr
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// window sums the counts of the w seconds ending with second s (inclusive).
func window(c []int, s, w int) int {
	sum := 0
	for i := max(0, s-w+1); i <= s; i++ {
		sum += c[i]
	}
	return sum
}

// vigilPlan is Vigil's two triggers for the benchmark.
type vigilPlan struct {
	burst, rate *policies.Trigger
}

func newVigilPlan(tb testing.TB, rateThreshold float64) vigilPlan {
	burst := newTrigger(tb, withThreshold(0.5), withMinSamples(tb, 5))
	burst.Name = "error_burst"
	rate := newTrigger(tb, withThreshold(rateThreshold), withMinSamples(tb, exposureMinRequests), withConsecutive(exposureConsecutive))
	return vigilPlan{burst: burst, rate: rate}
}

// ratioObservation is what Prometheus would answer for an error share over w seconds with
// the sample query over sampleWindow seconds, at second s.
func ratioObservation(tr canaryTraffic, s, w, sampleWindow int) Observation {
	n := window(tr.requests, s, w)
	obs := Observation{MinSamples: answer(samplesQuery, float64(window(tr.requests, s, sampleWindow)))}
	if n == 0 {
		obs.Value = Result{Query: valueQuery, Asked: true, Err: fmt.Errorf("%w: no requests in the window", metrics.ErrNoData)}
		return obs
	}
	obs.Value = answer(valueQuery, float64(window(tr.errors, s, w))/float64(n))
	return obs
}

// rollbackSecond runs Vigil's plan over tr with the real Step, evaluating after each
// second's scrape, and returns the second of the first rollback decision (-1: none).
func (p vigilPlan) rollbackSecond(tr canaryTraffic) int {
	var burstClock, rateClock Clock
	for s := range tr.requests {
		now := t0.Add(time.Duration(s+1) * time.Second)
		var bv, rv Verdict
		burstClock, bv = Step(p.burst, burstClock, ratioObservation(tr, s, 1, 5), now)
		rateClock, rv = Step(p.rate, rateClock, ratioObservation(tr, s, exposureWindow, exposureWindow), now)
		if bv.Kind == VerdictBreached || rv.Kind == VerdictBreached {
			return s
		}
	}
	return -1
}

// flaggerRollbackSecond runs the Flagger-default-equivalent plan: checks at phase,
// phase+60, ...; the first check whose 60 s error share exceeds threshold rolls back.
func flaggerRollbackSecond(tr canaryTraffic, phase int, threshold float64) int {
	for s := phase; s < len(tr.requests); s += flaggerInterval {
		n := window(tr.requests, s, flaggerInterval)
		if n > 0 && float64(window(tr.errors, s, flaggerInterval))/float64(n) > threshold {
			return s
		}
	}
	return -1
}

// vigilRateStatistic is the largest value the rate trigger would have needed to stay
// quiet on a healthy run: the maximum over seconds of the smallest error share among the
// last `consecutive` evaluations that had enough samples.
func vigilRateStatistic(tr canaryTraffic) float64 {
	worst, run := 0.0, []float64{}
	for s := range tr.requests {
		n := window(tr.requests, s, exposureWindow)
		if n < exposureMinRequests {
			continue // no data: the run neither advances nor resets
		}
		run = append(run, float64(window(tr.errors, s, exposureWindow))/float64(n))
		if len(run) > exposureConsecutive {
			run = run[1:]
		}
		if len(run) == exposureConsecutive {
			worst = max(worst, slices.Min(run))
		}
	}
	return worst
}

func flaggerStatistic(tr canaryTraffic, phase int) float64 {
	worst := 0.0
	for s := phase; s < len(tr.requests); s += flaggerInterval {
		if n := window(tr.requests, s, flaggerInterval); n > 0 {
			worst = max(worst, float64(window(tr.errors, s, flaggerInterval))/float64(n))
		}
	}
	return worst
}

// calibrate returns the smallest threshold t with P(statistic > t) <= alpha in stats.
func calibrate(stats []float64, alpha float64) float64 {
	s := slices.Clone(stats)
	slices.Sort(s)
	k := int(math.Ceil((1-alpha)*float64(len(s)))) - 1
	return s[max(k, 0)]
}

// exposed counts the canary requests from onset through the second the rollback takes
// effect; an undetected defect is exposed until the horizon.
func exposed(tr canaryTraffic, onset, decision int) int {
	end := len(tr.requests) - 1
	if decision >= 0 {
		end = min(decision+exposureActuation, end)
	}
	n := 0
	for s := onset; s <= end; s++ {
		n += tr.requests[s]
	}
	return n
}

type exposureResult struct {
	severity                 float64
	vigilMean, flaggerMean   float64
	vigilP95, flaggerP95     int
	vigilMissed, flaggerMiss int
}

func mean(xs []int) float64 {
	sum := 0
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs))
}

func percentileInt(xs []int, q float64) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(math.Ceil(q*float64(len(s))))-1]
}

// BenchmarkExposureVsFlagger runs the calibration, verifies the false-rollback rates and
// compares exposure for each defect severity. Run with -benchtime 1x.
func BenchmarkExposureVsFlagger(b *testing.B) {
	const calibrationRuns, verificationRuns, defectRuns = 4000, 4000, 2000
	for b.Loop() {
		rng := rand.New(rand.NewPCG(20261126, 6))
		vStats, fStats := make([]float64, calibrationRuns), make([]float64, calibrationRuns)
		for i := range calibrationRuns {
			tr := simulateTraffic(rng, exposureAnalysis, -1, 0)
			vStats[i] = vigilRateStatistic(tr)
			fStats[i] = flaggerStatistic(tr, rng.IntN(flaggerInterval))
		}
		vThreshold, fThreshold := calibrate(vStats, exposureAlpha), calibrate(fStats, exposureAlpha)
		plan := newVigilPlan(b, vThreshold)

		vFalse, fFalse := 0, 0
		for range verificationRuns {
			tr := simulateTraffic(rng, exposureAnalysis, -1, 0)
			if plan.rollbackSecond(tr) >= 0 {
				vFalse++
			}
			if flaggerRollbackSecond(tr, rng.IntN(flaggerInterval), fThreshold) >= 0 {
				fFalse++
			}
		}
		b.Logf("calibrated thresholds: Vigil error_rate (30 s, 3 consecutive) %.4f, Flagger (60 s) %.4f", vThreshold, fThreshold)
		b.Logf("false rollbacks on %d healthy 5-minute canaries: Vigil %.2f %%, Flagger %.2f %% (target %.0f %%)",
			verificationRuns, 100*float64(vFalse)/verificationRuns, 100*float64(fFalse)/verificationRuns, 100*exposureAlpha)
		b.ReportMetric(100*float64(vFalse)/verificationRuns, "vigil-false-%")
		b.ReportMetric(100*float64(fFalse)/verificationRuns, "flagger-false-%")

		for _, sev := range exposureSeverities {
			var vExp, fExp []int
			res := exposureResult{severity: sev}
			for range defectRuns {
				// The defect starts after the windows are full, at a random second.
				onset := 60 + rng.IntN(180)
				tr := simulateTraffic(rng, onset+exposureHorizon, onset, sev)
				vd := plan.rollbackSecond(tr)
				fd := flaggerRollbackSecond(tr, rng.IntN(flaggerInterval), fThreshold)
				if vd >= 0 && vd < onset || fd >= 0 && fd < onset {
					// A false rollback before the defect: neither plan served the defect.
					continue
				}
				if vd < 0 {
					res.vigilMissed++
				}
				if fd < 0 {
					res.flaggerMiss++
				}
				vExp = append(vExp, exposed(tr, onset, vd))
				fExp = append(fExp, exposed(tr, onset, fd))
			}
			res.vigilMean, res.flaggerMean = mean(vExp), mean(fExp)
			res.vigilP95, res.flaggerP95 = percentileInt(vExp, 0.95), percentileInt(fExp, 0.95)
			ratio := res.flaggerMean / res.vigilMean
			b.Logf("error rate %3.0f %%: exposed requests mean Vigil %.1f (p95 %d, missed %d) vs Flagger %.1f (p95 %d, missed %d) over %d canaries: %.1fx fewer",
				100*sev, res.vigilMean, res.vigilP95, res.vigilMissed, res.flaggerMean, res.flaggerP95, res.flaggerMiss, len(vExp), ratio)
			b.ReportMetric(ratio, fmt.Sprintf("ratio-%.0fpct", 100*sev))
		}
	}
}
