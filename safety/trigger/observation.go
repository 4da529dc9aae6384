package trigger

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/safety/metrics"
)

// Observation is what the queries of one evaluation of one trigger returned.
type Observation struct {
	// Value answers the trigger's query for the evaluated version.
	Value Result
	// Baseline answers the same query for the baseline version; asked only for a baseline
	// comparison.
	Baseline Result
	// MinSamples answers the min_samples query; asked only when the trigger has one.
	MinSamples Result
}

// Result is the answer to one query: a Sample, or an error from the metrics.Source
// (errors.Is(Err, metrics.ErrNoData) for an answer without data).
type Result struct {
	// Query is the rendered PromQL exactly as sent; empty when not asked.
	Query  string
	Sample metrics.Sample
	Err    error
	// Asked is true when the query was sent. A query the trigger needs but that was not
	// asked makes the evaluation an error.
	Asked bool
}

// queryRole names one of the queries of an evaluation in messages.
type queryRole string

const (
	roleValue      queryRole = "value"
	roleBaseline   queryRole = "baseline"
	roleMinSamples queryRole = "min_samples"
)

// measurement is an Observation read against its trigger: the values obtained, the
// failures (the evaluation is an error) and the reasons there is nothing to judge.
type measurement struct {
	value, baseline, samples *float64
	// failures are short descriptions for the message; errs the full errors.
	failures []string
	errs     []error
	// missing says why there is no data, one reason per query.
	missing  []string
	warnings []string
}

// measure reads obs for t. Errors take precedence over missing data: an evaluation that
// failed to measure proves nothing, whatever else it found.
func measure(t *policies.Trigger, obs Observation) measurement {
	var m measurement
	m.value = m.read(roleValue, obs.Value)
	if t.Baseline != nil {
		m.baseline = m.read(roleBaseline, obs.Baseline)
	}
	if t.MinSamples != nil {
		m.samples = m.read(roleMinSamples, obs.MinSamples)
		if m.samples != nil && *m.samples < float64(t.MinSamples.Count) {
			m.missing = append(m.missing, fmt.Sprintf("only %s samples, min_samples is %d",
				formatValue(*m.samples), t.MinSamples.Count))
		}
	}
	return m
}

// read returns r's value, or records why there is none.
func (m *measurement) read(role queryRole, r Result) *float64 {
	switch {
	case !r.Asked:
		err := fmt.Errorf("the %s query was not run", role)
		m.failures = append(m.failures, err.Error())
		m.errs = append(m.errs, err)
		return nil
	case r.Err != nil && errors.Is(r.Err, metrics.ErrNoData):
		m.missing = append(m.missing, fmt.Sprintf("the %s query: %s", role, cause(r.Err)))
		return nil
	case r.Err != nil:
		m.failures = append(m.failures, fmt.Sprintf("the %s query failed: %s", role, cause(r.Err)))
		m.errs = append(m.errs, fmt.Errorf("%s query: %w", role, r.Err))
		return nil
	}
	m.warnings = append(m.warnings, r.Sample.Warnings...)
	v := r.Sample.Value
	if math.IsNaN(v) || math.IsInf(v, 0) {
		m.missing = append(m.missing, fmt.Sprintf("the %s query returned %v", role, v))
		return nil
	}
	return &v
}

// cause describes a query error without repeating the query text, which the evidence
// carries on its own: "bad query: ...", "transport error after 3 attempts: ...".
func cause(err error) string {
	var qe *metrics.QueryError
	if !errors.As(err, &qe) || qe.Err == nil {
		return err.Error()
	}
	var b strings.Builder
	if qe.Kind != metrics.KindNoData {
		b.WriteString(qe.Kind.String())
		if qe.Attempts > 1 {
			fmt.Fprintf(&b, " after %d attempts", qe.Attempts)
		}
		b.WriteString(": ")
	}
	b.WriteString(qe.Err.Error())
	return b.String()
}
