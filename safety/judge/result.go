package judge

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seed70a3350f/vigil/safety/stats"
)

// Result is the outcome of one judge over one window.
type Result struct {
	// Judge is the judge's name and Method its method as written in the policy
	// ("farrington_manning").
	Judge  string `json:"judge"`
	Method string `json:"method"`
	// Outcome is Pass, Fail or Inconclusive. It is Inconclusive whenever Error is set.
	Outcome stats.Outcome `json:"-"`
	// Error is set when the judge could not measure: a query failed or had no data, the
	// counts were unusable, or the judge, subject or window were invalid. The controller
	// counts it against the plan's error limit; it is never a pass.
	Error string `json:"error,omitzero"`
	// Critical is copied from the judge: a Fail fails the whole analysis at once.
	Critical bool     `json:"critical"`
	Evidence Evidence `json:"evidence"`
}

// MarshalJSON encodes the result with its outcome spelled "pass", "fail" or
// "inconclusive".
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Outcome string `json:"outcome"`
	}{plain(r), r.Outcome.String()})
}

// UnmarshalJSON decodes what MarshalJSON produced.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	var v struct {
		plain
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o, err := parseOutcome(v.Outcome)
	if err != nil {
		return err
	}
	*r = Result(v.plain)
	r.Outcome = o
	return nil
}

func parseOutcome(s string) (stats.Outcome, error) {
	for _, o := range []stats.Outcome{stats.Pass, stats.Fail, stats.Inconclusive} {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("judge: unknown outcome %q; want \"pass\", \"fail\" or \"inconclusive\"", s)
}

// Evidence records what a judge measured and how it decided. It is JSON-encodable:
// statistics that were not computed, or that the data leave undefined, are nil, never NaN.
type Evidence struct {
	// WindowStart, WindowEnd and Step are the window judged.
	WindowStart time.Time     `json:"window_start"`
	WindowEnd   time.Time     `json:"window_end"`
	Step        time.Duration `json:"step,omitzero"`
	// Queries are the queries run, exactly as sent.
	Queries []Query `json:"queries"`
	// Candidate and Baseline are what each arm contributed.
	Candidate Arm `json:"candidate"`
	Baseline  Arm `json:"baseline"`
	// Estimate is the effect the decision is about: candidate minus baseline event rate
	// for the rate methods, the Hodges-Lehmann shift for mann_whitney.
	Estimate *float64 `json:"estimate,omitzero"`
	// Interval is the confidence interval the decision was made on.
	Interval *Interval `json:"interval,omitzero"`
	// StatisticName names Statistic: "z" (score tests), "u" (Mann-Whitney), "log_lambda"
	// (msprt), "log_likelihood_ratio" (sprt).
	StatisticName string   `json:"statistic_name,omitzero"`
	Statistic     *float64 `json:"statistic,omitzero"`
	PValue        *float64 `json:"p_value,omitzero"`
	// Margin, Alpha and Confidence are the judge's settings; Floor is mann_whitney's
	// effect-size floor in the metric's units (Margin × |baseline median|).
	Margin     float64  `json:"margin"`
	Alpha      float64  `json:"alpha"`
	Confidence float64  `json:"confidence"`
	Floor      *float64 `json:"floor,omitzero"`
	// Sequential tests: Tau2 is msprt's mixing variance; P0, P1 and Beta are sprt's;
	// Looks counts the looks taken and DecidedAtTrials the candidate trials at the look
	// that decided (0 while undecided).
	Tau2            *float64 `json:"tau2,omitzero"`
	P0              *float64 `json:"p0,omitzero"`
	P1              *float64 `json:"p1,omitzero"`
	Beta            *float64 `json:"beta,omitzero"`
	Looks           int      `json:"looks,omitzero"`
	DecidedAtTrials int64    `json:"decided_at_trials,omitzero"`
	// MinSamples is the judge's per-arm minimum.
	MinSamples uint64 `json:"min_samples"`
	// Message is one sentence for a person.
	Message string `json:"message"`
	// PolicyRange is where the judge is written, "file.hcl:40".
	PolicyRange string `json:"policy_range,omitzero"`
}

// Query is one query a judge ran.
type Query struct {
	// Arm is "candidate" or "baseline"; Role is "events", "trials" or "samples".
	Arm  string `json:"arm"`
	Role string `json:"role"`
	// Query is the PromQL exactly as sent.
	Query string `json:"query"`
	// At is the evaluation time of an instant query; zero for a range query, which runs
	// over Range.
	At    time.Time `json:"at,omitzero"`
	Range string    `json:"range,omitzero"`
}

// Arm is what one version contributed to a judgement.
type Arm struct {
	Version string `json:"version"`
	// Events and Trials are the counts over the window (rate methods), rounded to whole
	// numbers; nil when not measured.
	Events *int64 `json:"events,omitzero"`
	Trials *int64 `json:"trials,omitzero"`
	// Samples is the number of values (mann_whitney), Median their median.
	Samples *int     `json:"samples,omitzero"`
	Median  *float64 `json:"median,omitzero"`
}

// Interval is a two-sided confidence interval.
type Interval struct {
	Lower  float64 `json:"lower"`
	Upper  float64 `json:"upper"`
	Level  float64 `json:"level"`
	Method string  `json:"method"`
}
