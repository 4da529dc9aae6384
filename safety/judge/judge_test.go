package judge

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/stats"
)

// judgeCase is one judge evaluated over data set up on a fake source.
type judgeCase struct {
	name  string
	judge *policies.Judge
	data  func(*fakeSource)
	want  stats.Outcome
	// message fragments that must appear in the evidence message.
	message []string
}

func runJudgeCases(t *testing.T, cases []judgeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := newFakeSource()
			tc.data(src)
			r := Evaluate(context.Background(), src, tc.judge, subject, window)
			if r.Error != "" {
				t.Fatalf("error %q", r.Error)
			}
			if r.Outcome != tc.want {
				t.Errorf("outcome %v, want %v; %s", r.Outcome, tc.want, r.Evidence.Message)
			}
			for _, m := range tc.message {
				if !strings.Contains(r.Evidence.Message, m) {
					t.Errorf("message %q lacks %q", r.Evidence.Message, m)
				}
			}
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("result does not encode: %v", err)
			}
		})
	}
}

func withDirection(d policies.Direction) func(*policies.Judge) {
	return func(j *policies.Judge) { j.Direction = d }
}

func withMargin(m float64) func(*policies.Judge) { return func(j *policies.Judge) { j.Margin = m } }

func TestFarringtonManning(t *testing.T) {
	fm := policies.MethodFarringtonManning
	runJudgeCases(t, []judgeCase{
		{name: "healthy canary passes", judge: newJudge(t, fm), want: stats.Pass,
			data:    func(f *fakeSource) { counts(f, 20.4, 2000.7, 19.6, 1999.2) },
			message: []string{"candidate event rate 0.009995 (20/2001) vs baseline 0.01001 (20/1999)", "the upper bound is below the margin 0.01: not worse: pass"}},
		{name: "broken canary fails", judge: newJudge(t, fm), want: stats.Fail,
			data:    func(f *fakeSource) { counts(f, 200, 2000, 20, 2000) },
			message: []string{"higher by more than the margin 0.01: fail"}},
		{name: "too few trials is inconclusive", judge: newJudge(t, fm, func(j *policies.Judge) { j.MinSamples = 200 }), want: stats.Inconclusive,
			data:    func(f *fakeSource) { counts(f, 100, 150, 0, 3000) },
			message: []string{"candidate has 150 trials, min_samples is 200"}},
		{name: "zero-inflated baseline with margin 0 fails a canary with errors", judge: newJudge(t, fm, withMargin(0)), want: stats.Fail,
			data: func(f *fakeSource) { counts(f, 12, 2000, 0, 2000) }},
		{name: "zero-inflated baseline within reach of the margin is not a pass", judge: newJudge(t, fm), want: stats.Inconclusive,
			data: func(f *fakeSource) { counts(f, 12, 2000, 0, 2000) }},
		{name: "decrease fails a canary with fewer successes", judge: newJudge(t, fm, withDirection(policies.DirectionDecrease)), want: stats.Fail,
			data:    func(f *fakeSource) { counts(f, 1700, 2000, 1900, 2000) },
			message: []string{"lower by more than the margin"}},
		{name: "decrease passes a canary with more successes", judge: newJudge(t, fm, withDirection(policies.DirectionDecrease)), want: stats.Pass,
			data: func(f *fakeSource) { counts(f, 1950, 2000, 1900, 2000) }},
		{name: "either fails a canary with far fewer events", judge: newJudge(t, fm, withDirection(policies.DirectionEither)), want: stats.Fail,
			data: func(f *fakeSource) { counts(f, 10, 2000, 200, 2000) }},
		{name: "either passes equal rates", judge: newJudge(t, fm, withDirection(policies.DirectionEither), withMargin(0.02)), want: stats.Pass,
			data: func(f *fakeSource) { counts(f, 40, 4000, 40, 4000) }},
	})
	t.Run("evidence matches package stats", func(t *testing.T) {
		src := newFakeSource()
		counts(src, 30, 2000, 20, 2000)
		r := Evaluate(context.Background(), src, newJudge(t, fm), subject, window)
		c, b := stats.ArmCounts{Events: 30, Trials: 2000}, stats.ArmCounts{Events: 20, Trials: 2000}
		ni, err := stats.RateNonInferiority(c, b, 0.01, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		ev := r.Evidence
		if ev.Interval == nil || ev.Interval.Lower != ni.Interval.Lower || ev.Interval.Upper != ni.Interval.Upper || ev.Interval.Level != 0.95 {
			t.Errorf("interval %+v, want %+v", ev.Interval, ni.Interval)
		}
		if ev.Statistic == nil || *ev.Statistic != ni.Z || ev.PValue == nil || *ev.PValue != ni.PValue || ev.StatisticName != "z" {
			t.Errorf("statistic %s %v p %v, want z %v p %v", ev.StatisticName, ev.Statistic, ev.PValue, ni.Z, ni.PValue)
		}
		if *ev.Candidate.Events != 30 || *ev.Baseline.Trials != 2000 || ev.Candidate.Version != candidateVersion || ev.Baseline.Version != baselineVersion {
			t.Errorf("arms %+v %+v", ev.Candidate, ev.Baseline)
		}
		if ev.Estimate == nil || math.Abs(*ev.Estimate-0.005) > 1e-12 {
			t.Errorf("estimate %v, want 0.005", ev.Estimate)
		}
		want := []Query{
			{Arm: "candidate", Role: "events", Query: eventsQuery(candidateVersion, "1m"), At: window.End},
			{Arm: "candidate", Role: "trials", Query: trialsQuery(candidateVersion, "1m"), At: window.End},
			{Arm: "baseline", Role: "events", Query: eventsQuery(baselineVersion, "1m"), At: window.End},
			{Arm: "baseline", Role: "trials", Query: trialsQuery(baselineVersion, "1m"), At: window.End},
		}
		if len(ev.Queries) != len(want) {
			t.Fatalf("queries %+v, want %+v", ev.Queries, want)
		}
		for i := range want {
			if ev.Queries[i] != want[i] {
				t.Errorf("query %d = %+v, want %+v", i, ev.Queries[i], want[i])
			}
		}
		if r.Judge != "error_rate_vs_baseline" || r.Method != "farrington_manning" || !r.Critical || ev.PolicyRange != "policy.hcl:161" {
			t.Errorf("result header %q %q %v %q", r.Judge, r.Method, r.Critical, ev.PolicyRange)
		}
	})
}

func TestFisher(t *testing.T) {
	fi := policies.MethodFisher
	runJudgeCases(t, []judgeCase{
		{name: "broken canary with few requests fails", judge: newJudge(t, fi, func(j *policies.Judge) { j.MinSamples = 50 }), want: stats.Fail,
			data:    func(f *fakeSource) { counts(f, 8, 50, 0, 50) },
			message: []string{"Fisher's exact p = 0.00", "(greater) and the difference is beyond the margin 0.01: fail"}},
		{name: "zero-inflated baseline fails a canary with errors", judge: newJudge(t, fi, withMargin(0)), want: stats.Fail,
			data: func(f *fakeSource) { counts(f, 6, 200, 0, 200) }},
		{name: "healthy canary with many requests passes", judge: newJudge(t, fi), want: stats.Pass,
			data:    func(f *fakeSource) { counts(f, 5, 5000, 5, 5000) },
			message: []string{"exact interval lies within the margin 0.01"}},
		{name: "a significant difference within the margin is inconclusive", judge: newJudge(t, fi, withMargin(0.05)), want: stats.Inconclusive,
			data:    func(f *fakeSource) { counts(f, 60, 2000, 20, 2000) },
			message: []string{"but the difference is within the margin 0.05"}},
		{name: "no events at all is inconclusive, never a pass", judge: newJudge(t, fi, func(j *policies.Judge) { j.MinSamples = 10 }), want: stats.Inconclusive,
			data: func(f *fakeSource) { counts(f, 0, 100, 0, 100) }},
		{name: "decrease fails fewer successes", judge: newJudge(t, fi, withDirection(policies.DirectionDecrease)), want: stats.Fail,
			data: func(f *fakeSource) { counts(f, 150, 200, 190, 200) }},
	})
	t.Run("the exact interval covers the Clopper-Pearson bounds", func(t *testing.T) {
		// Reference: R binom.test(5, 5000, conf.level = 0.975)$conf.int =
		// [0.0002707929571, 0.0025510598925]; the difference interval of two such arms is
		// [lower - upper, upper - lower].
		iv, err := exactDifferenceInterval(stats.ArmCounts{Events: 5, Trials: 5000}, stats.ArmCounts{Events: 5, Trials: 5000}, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := 0.0002707929571, 0.0025510598925
		if math.Abs(iv.Lower-(lo-hi)) > 1e-8 || math.Abs(iv.Upper-(hi-lo)) > 1e-8 {
			t.Errorf("interval [%.10f, %.10f], want [%.10f, %.10f]", iv.Lower, iv.Upper, lo-hi, hi-lo)
		}
	})
}

func TestMannWhitney(t *testing.T) {
	mw := policies.MethodMannWhitney
	// noisy is 13 values around centre, spread ±2 % in a fixed pattern.
	noisy := func(centre float64) []float64 {
		out := make([]float64, 13)
		for i := range out {
			out[i] = centre * (1 + 0.02*math.Sin(float64(7*i)))
		}
		return out
	}
	runJudgeCases(t, []judgeCase{
		{name: "healthy canary passes", judge: newJudge(t, mw), want: stats.Pass,
			data: func(f *fakeSource) {
				samples(f, candidateVersion, noisy(0.101))
				samples(f, baselineVersion, noisy(0.100))
			},
			message: []string{"13 samples", "classified pass"}},
		{name: "slow canary fails", judge: newJudge(t, mw), want: stats.Fail,
			data: func(f *fakeSource) {
				samples(f, candidateVersion, noisy(0.150))
				samples(f, baselineVersion, noisy(0.100))
			},
			message: []string{"classified high"}},
		{name: "faster canary passes with direction increase", judge: newJudge(t, mw), want: stats.Pass,
			data: func(f *fakeSource) {
				samples(f, candidateVersion, noisy(0.05))
				samples(f, baselineVersion, noisy(0.100))
			}},
		{name: "lower throughput fails with direction decrease", judge: newJudge(t, mw, withDirection(policies.DirectionDecrease)), want: stats.Fail,
			data: func(f *fakeSource) {
				samples(f, candidateVersion, noisy(50))
				samples(f, baselineVersion, noisy(100))
			},
			message: []string{"classified low"}},
		{name: "too few samples is inconclusive", judge: newJudge(t, mw, func(j *policies.Judge) { j.MinSamples = 20 }), want: stats.Inconclusive,
			data: func(f *fakeSource) {
				samples(f, candidateVersion, noisy(0.150))
				samples(f, baselineVersion, noisy(0.100))
			},
			message: []string{"candidate has 13 and baseline 13 samples, min_samples is 20 per version"}},
	})
}

func TestMSPRT(t *testing.T) {
	ms := policies.MethodMSPRT
	runJudgeCases(t, []judgeCase{
		{name: "broken canary fails", judge: newJudge(t, ms), want: stats.Fail,
			data: func(f *fakeSource) {
				stepCounts(f, candidateVersion, constant(100), constant(1000))
				stepCounts(f, baselineVersion, constant(10), constant(1000))
			},
			message: []string{"over 12 looks of 5s", "tau² 0.0001"}},
		{name: "equal rates are inconclusive, not a pass", judge: newJudge(t, ms), want: stats.Inconclusive,
			data: func(f *fakeSource) {
				stepCounts(f, candidateVersion, constant(10), constant(1000))
				stepCounts(f, baselineVersion, constant(10), constant(1000))
			}},
		{name: "a clearly better canary passes", judge: newJudge(t, ms), want: stats.Pass,
			data: func(f *fakeSource) {
				stepCounts(f, candidateVersion, constant(2), constant(1000))
				stepCounts(f, baselineVersion, constant(60), constant(1000))
			}},
		{name: "either fails a canary with far fewer events", judge: newJudge(t, ms, withDirection(policies.DirectionEither)), want: stats.Fail,
			data: func(f *fakeSource) {
				stepCounts(f, candidateVersion, constant(2), constant(1000))
				stepCounts(f, baselineVersion, constant(60), constant(1000))
			}},
		{name: "decrease fails a canary with fewer successes", judge: newJudge(t, ms, withDirection(policies.DirectionDecrease)), want: stats.Fail,
			data: func(f *fakeSource) {
				stepCounts(f, candidateVersion, constant(800), constant(1000))
				stepCounts(f, baselineVersion, constant(950), constant(1000))
			}},
		{name: "too few trials is inconclusive", judge: newJudge(t, ms, func(j *policies.Judge) { j.MinSamples = 1000 }), want: stats.Inconclusive,
			data: func(f *fakeSource) {
				stepCounts(f, candidateVersion, constant(50), constant(50))
				stepCounts(f, baselineVersion, constant(0), constant(50))
			},
			message: []string{"candidate has 600 and baseline 600 trials, min_samples is 1000"}},
	})
	t.Run("looks are fed per step in time order with missing steps skipped", func(t *testing.T) {
		src := newFakeSource()
		stepCounts(src, candidateVersion, constant(1), constant(100))
		stepCounts(src, baselineVersion, constant(1), constant(100))
		q := trialsQuery(baselineVersion, "5s")
		src.ranges[q] = src.ranges[q][1:] // the first step has no baseline trials
		r := Evaluate(context.Background(), src, newJudge(t, ms), subject, window)
		if r.Error != "" || r.Evidence.Looks != 11 || *r.Evidence.Candidate.Trials != 1100 || !strings.Contains(r.Evidence.Message, "1 step without data skipped") {
			t.Errorf("error %q looks %d trials %v message %q", r.Error, r.Evidence.Looks, r.Evidence.Candidate.Trials, r.Evidence.Message)
		}
	})
}

func TestSPRT(t *testing.T) {
	sp := policies.MethodSPRT
	runJudgeCases(t, []judgeCase{
		{name: "a canary at p0 passes", judge: newJudge(t, sp), want: stats.Pass,
			data:    func(f *fakeSource) { stepCounts(f, candidateVersion, constant(1), constant(100)) },
			message: []string{"accept-h0"}},
		{name: "a canary at p1 fails", judge: newJudge(t, sp), want: stats.Fail,
			data:    func(f *fakeSource) { stepCounts(f, candidateVersion, constant(8), constant(100)) },
			message: []string{"accept-h1"}},
		{name: "decrease fails a canary below p1", judge: newJudge(t, sp, withDirection(policies.DirectionDecrease),
			func(j *policies.Judge) { j.P0, j.P1 = 0.95, 0.85 }), want: stats.Fail,
			data: func(f *fakeSource) { stepCounts(f, candidateVersion, constant(80), constant(100)) }},
		{name: "below min_samples is inconclusive", judge: newJudge(t, sp, func(j *policies.Judge) { j.MinSamples = 5000 }), want: stats.Inconclusive,
			data:    func(f *fakeSource) { stepCounts(f, candidateVersion, constant(8), constant(100)) },
			message: []string{"candidate has 1200 trials, min_samples is 5000"}},
	})
	t.Run("the first look waits for min_samples", func(t *testing.T) {
		src := newFakeSource()
		stepCounts(src, candidateVersion, constant(1), constant(100))
		r := Evaluate(context.Background(), src, newJudge(t, sp, func(j *policies.Judge) { j.MinSamples = 450 }), subject, window)
		// Cumulative trials reach 450 at the 5th step: one look with 500 trials, then 7.
		if r.Evidence.Looks != 8 {
			t.Errorf("looks %d, want 8 (the first at 500 trials); %s", r.Evidence.Looks, r.Evidence.Message)
		}
		if r.Evidence.DecidedAtTrials < 500 {
			t.Errorf("decided at %d trials, before min_samples", r.Evidence.DecidedAtTrials)
		}
		for _, q := range r.Evidence.Queries {
			if q.Arm != "candidate" {
				t.Errorf("sprt queried the %s arm: %s", q.Arm, q.Query)
			}
		}
	})
}

func TestEvaluateNeverPassesWithoutData(t *testing.T) {
	fm := policies.MethodFarringtonManning
	tests := []struct {
		name   string
		judge  *policies.Judge
		src    func() *fakeSource
		window Window
		want   string
	}{
		{"a failing query", newJudge(t, fm), func() *fakeSource {
			f := newFakeSource()
			counts(f, 0, 1000, 0, 1000)
			f.failures[trialsQuery(baselineVersion, "1m")] = errors.New("1:10: parse error")
			return f
		}, window, "baseline trials query failed: query `" + trialsQuery(baselineVersion, "1m") + "` at 2026-11-25T10:01:00.000Z: bad query: 1:10: parse error"},
		{"no data for the events", newJudge(t, fm), func() *fakeSource {
			f := newFakeSource()
			counts(f, 0, 1000, 0, 1000)
			delete(f.instant, eventsQuery(candidateVersion, "1m"))
			return f
		}, window, "candidate events query has no data (if no events means zero, append `or vector(0)` to the query)"},
		{"more events than trials", newJudge(t, fm), func() *fakeSource {
			f := newFakeSource()
			counts(f, 1200, 1000, 0, 1000)
			return f
		}, window, "candidate events 1200 exceed its trials 1000"},
		{"a negative count", newJudge(t, fm), func() *fakeSource {
			f := newFakeSource()
			counts(f, 0, -5, 0, 1000)
			return f
		}, window, "candidate trials is -5, negative"},
		{"no samples for mann_whitney", newJudge(t, policies.MethodMannWhitney), newFakeSource, window, "candidate samples query has no data"},
		{"a range method without a step", newJudge(t, policies.MethodMSPRT), newFakeSource,
			Window{Start: window.Start, End: window.End}, "window step 0s must be positive"},
		{"an empty window", newJudge(t, fm), newFakeSource, Window{Start: window.End, End: window.Start}, "is not after its start"},
		{"a nil judge", nil, newFakeSource, window, "judge is nil"},
		{"a judge without alpha", newJudge(t, fm, func(j *policies.Judge) { j.Alpha = 0 }), newFakeSource, window, "has alpha 0"},
		{"sprt with p1 on the wrong side", newJudge(t, policies.MethodSPRT, func(j *policies.Judge) { j.P1 = 0.001 }), newFakeSource, window, "p1 0.001 must be above p0 0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(context.Background(), tt.src(), tt.judge, subject, tt.window)
			if r.Outcome != stats.Inconclusive || !strings.Contains(r.Error, tt.want) {
				t.Errorf("outcome %v error %q, want inconclusive with an error containing %q", r.Outcome, r.Error, tt.want)
			}
			if !strings.Contains(r.Evidence.Message, "could not measure") {
				t.Errorf("message %q", r.Evidence.Message)
			}
		})
	}
	t.Run("a nil source", func(t *testing.T) {
		r := Evaluate(context.Background(), nil, newJudge(t, fm), subject, window)
		if r.Error != "metrics source is nil" {
			t.Errorf("error %q", r.Error)
		}
	})
}

func TestResultJSON(t *testing.T) {
	src := newFakeSource()
	counts(src, 200, 2000, 20, 2000)
	r := Evaluate(context.Background(), src, newJudge(t, policies.MethodFarringtonManning), subject, window)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"outcome":"fail"`, `"judge":"error_rate_vs_baseline"`, `"method":"farrington_manning"`, `"statistic_name":"z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Outcome != stats.Fail || back.Evidence.Message != r.Evidence.Message || *back.Evidence.Interval != *r.Evidence.Interval {
		t.Errorf("decoded %+v, want %+v", back, r)
	}
	if err := json.Unmarshal([]byte(`{"outcome":"maybe"}`), &back); err == nil || !strings.Contains(err.Error(), `unknown outcome "maybe"`) {
		t.Errorf("decoding an unknown outcome: %v", err)
	}
}
