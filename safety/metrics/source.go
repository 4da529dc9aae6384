package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// ErrNoData: the query ran and returned no usable value (empty vector, NaN, +-Inf). It means
// hold, never healthy. Check with errors.Is.
var ErrNoData = errors.New("no data")

// Source answers PromQL queries. Implementations are safe for concurrent use.
type Source interface {
	// Query runs an instant query at ts and returns its single value.
	Query(ctx context.Context, query string, ts time.Time) (Sample, error)
	// QueryRange runs a range query and returns the points of its single series.
	QueryRange(ctx context.Context, query string, r Range) ([]Point, error)
}

// Sample is the one value an instant query returned.
type Sample struct {
	// Query is the exact PromQL text that ran.
	Query string
	// Value is the result; always finite (NaN and infinities are ErrNoData).
	Value float64
	// Timestamp is the evaluation time Prometheus reports for Value (millisecond precision).
	Timestamp time.Time
	// Labels are the labels of the result series; empty for scalars and for aggregations
	// without grouping labels.
	Labels model.LabelSet
	// Warnings are Prometheus's warnings for the query (for example a partial response).
	Warnings []string
	// Infos are Prometheus's informational annotations (for example "metric might not be a
	// counter"); Prometheus 2.x never sends them.
	Infos []string
}

// Point is one step of a range query's series.
type Point struct {
	// Timestamp is the step's evaluation time (millisecond precision).
	Timestamp time.Time
	// Value is the series' value at Timestamp; always finite.
	Value float64
}

// Range selects the evaluation steps of a range query: Start, Start+Step, ... up to End.
type Range struct {
	// Start is the first evaluation time; required.
	Start time.Time
	// End is the last possible evaluation time; not before Start.
	End time.Time
	// Step is the distance between evaluations; at least 1ms.
	Step time.Duration
}

// validate names the first problem with r.
func (r Range) validate() error {
	switch {
	case r.Start.IsZero():
		return errors.New("range Start is the zero time; set the first evaluation time")
	case r.End.IsZero():
		return errors.New("range End is the zero time; set the last evaluation time")
	case r.End.Before(r.Start):
		return fmt.Errorf("range End %s is before Start %s", formatTime(r.End), formatTime(r.Start))
	case r.Step < time.Millisecond:
		return fmt.Errorf("range Step is %v; want at least 1ms", r.Step)
	}
	return nil
}

// String renders r as in error messages: "START to END step STEP".
func (r Range) String() string {
	return fmt.Sprintf("%s to %s step %v", formatTime(r.Start), formatTime(r.End), r.Step)
}

// formatTime renders t in UTC with millisecond precision, Prometheus's resolution.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
