package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// maxListedSeries bounds how many label sets a Shape error lists.
const maxListedSeries = 5

// aggregateHint tells the reader how to turn several series into one.
const aggregateHint = "aggregate the query to a single series, e.g. sum by () (...) or max by () (...)"

// shapeError is a result that is not one value; the caller turns it into a QueryError of
// kind KindShape, or of kind KindNoData when it wraps ErrNoData.
type shapeError struct{ err error }

func (e *shapeError) Error() string { return e.err.Error() }
func (e *shapeError) Unwrap() error { return e.err }

// kind returns KindNoData for missing data and KindShape otherwise.
func (e *shapeError) kind() Kind {
	if errors.Is(e.err, ErrNoData) {
		return KindNoData
	}
	return KindShape
}

func noData(format string, args ...any) *shapeError {
	return &shapeError{fmt.Errorf("%w: "+format, append([]any{ErrNoData}, args...)...)}
}

func badShape(format string, args ...any) *shapeError {
	return &shapeError{fmt.Errorf(format, args...)}
}

// instantValue extracts the single value of an instant query result: a scalar, or a vector
// with exactly one float sample. Anything else is a *shapeError.
func instantValue(v model.Value) (value float64, ts time.Time, labels model.LabelSet, err *shapeError) {
	switch v := v.(type) {
	case *model.Scalar:
		if v == nil {
			return 0, time.Time{}, nil, noData("empty result")
		}
		if err := finite(float64(v.Value)); err != nil {
			return 0, time.Time{}, nil, err
		}
		return float64(v.Value), v.Timestamp.Time(), model.LabelSet{}, nil
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, time.Time{}, nil, noData("empty result")
		case 1:
			s := v[0]
			if s.Histogram != nil {
				return 0, time.Time{}, nil, badShape("series %s is a native histogram, want a float; use histogram_quantile(...), histogram_count(...) or histogram_sum(...)", labelSet(s.Metric))
			}
			if err := finite(float64(s.Value)); err != nil {
				return 0, time.Time{}, nil, err
			}
			return float64(s.Value), s.Timestamp.Time(), labelSet(s.Metric), nil
		default:
			sets := make([]model.LabelSet, len(v))
			for i, s := range v {
				sets[i] = labelSet(s.Metric)
			}
			return 0, time.Time{}, nil, tooManySeries(sets)
		}
	case model.Matrix:
		return 0, time.Time{}, nil, badShape("result is a range vector (%d series), want one value; reduce it over time, e.g. rate(...[5m]) or avg_over_time(...[5m]), and %s", len(v), aggregateHint)
	case *model.String:
		return 0, time.Time{}, nil, badShape("result is a string, want one number")
	case nil:
		return 0, time.Time{}, nil, noData("empty result")
	default:
		return 0, time.Time{}, nil, badShape("result has type %s, want a scalar or a one-series vector", v.Type())
	}
}

// rangePoints extracts the points of a range query result's single series. Steps whose
// value is NaN or infinite are left out, as Prometheus leaves out steps without samples;
// when no finite point remains the result is ErrNoData.
func rangePoints(v model.Value) ([]Point, *shapeError) {
	m, ok := v.(model.Matrix)
	if !ok {
		if v == nil {
			return nil, noData("empty result")
		}
		return nil, badShape("result has type %s, want a range vector (matrix) with one series", v.Type())
	}
	switch len(m) {
	case 0:
		return nil, noData("empty result")
	case 1:
	default:
		sets := make([]model.LabelSet, len(m))
		for i, s := range m {
			sets[i] = labelSet(s.Metric)
		}
		return nil, tooManySeries(sets)
	}
	stream := m[0]
	if len(stream.Histograms) > 0 {
		return nil, badShape("series %s holds native histograms, want floats; use histogram_quantile(...), histogram_count(...) or histogram_sum(...)", labelSet(stream.Metric))
	}
	points := make([]Point, 0, len(stream.Values))
	for _, p := range stream.Values {
		if finite(float64(p.Value)) != nil {
			continue
		}
		points = append(points, Point{Timestamp: p.Timestamp.Time(), Value: float64(p.Value)})
	}
	if len(points) == 0 {
		if len(stream.Values) == 0 {
			return nil, noData("empty result")
		}
		return nil, noData("all %d points are NaN or infinite", len(stream.Values))
	}
	return points, nil
}

// finite returns a no-data error naming the value when f is NaN or infinite.
func finite(f float64) *shapeError {
	switch {
	case math.IsNaN(f):
		return noData("value is NaN (for example 0/0: a ratio over no traffic)")
	case math.IsInf(f, 1):
		return noData("value is +Inf (for example x/0)")
	case math.IsInf(f, -1):
		return noData("value is -Inf (for example -x/0)")
	}
	return nil
}

// tooManySeries describes a result with several series, listing up to maxListedSeries of
// them in a stable order.
func tooManySeries(sets []model.LabelSet) *shapeError {
	names := make([]string, len(sets))
	for i, s := range sets {
		names[i] = s.String()
	}
	slices.Sort(names)
	listed := names[:min(len(names), maxListedSeries)]
	more := ""
	if n := len(names) - len(listed); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return badShape("result has %d series, want exactly 1: %s%s; %s",
		len(sets), strings.Join(listed, ", "), more, aggregateHint)
}

// labelSet copies a series' labels.
func labelSet(m model.Metric) model.LabelSet {
	return model.LabelSet(m).Clone()
}
