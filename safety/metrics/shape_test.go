package metrics

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func vectorOf(values map[string]float64) model.Vector {
	var v model.Vector
	for version, value := range values {
		v = append(v, &model.Sample{
			Metric:    model.Metric{"version": model.LabelValue(version)},
			Value:     model.SampleValue(value),
			Timestamp: 1_700_000_000_000,
		})
	}
	return v
}

func TestInstantValue(t *testing.T) {
	tests := []struct {
		name       string
		value      model.Value
		want       float64
		wantLabels model.LabelSet
		wantKind   Kind     // 0: a value is expected
		wantInErr  []string // substrings of the error message
	}{
		{name: "scalar", value: &model.Scalar{Value: 0.25, Timestamp: 1_700_000_000_000}, want: 0.25, wantLabels: model.LabelSet{}},
		{name: "one-series vector", value: vectorOf(map[string]float64{"a": 3}), want: 3, wantLabels: model.LabelSet{"version": "a"}},
		{name: "zero is a value, not missing data", value: vectorOf(map[string]float64{"a": 0}), want: 0, wantLabels: model.LabelSet{"version": "a"}},
		{name: "empty vector", value: model.Vector{}, wantKind: KindNoData, wantInErr: []string{"no data: empty result"}},
		{name: "nil result", value: nil, wantKind: KindNoData, wantInErr: []string{"empty result"}},
		{name: "NaN vector", value: vectorOf(map[string]float64{"a": math.NaN()}), wantKind: KindNoData, wantInErr: []string{"no data: value is NaN"}},
		{name: "+Inf scalar", value: &model.Scalar{Value: model.SampleValue(math.Inf(1))}, wantKind: KindNoData, wantInErr: []string{"value is +Inf"}},
		{name: "-Inf vector", value: vectorOf(map[string]float64{"a": math.Inf(-1)}), wantKind: KindNoData, wantInErr: []string{"value is -Inf"}},
		{
			name:      "several series are listed, sorted, with advice to aggregate",
			value:     vectorOf(map[string]float64{"c": 1, "a": 2, "b": 3}),
			wantKind:  KindShape,
			wantInErr: []string{`result has 3 series, want exactly 1: {version="a"}, {version="b"}, {version="c"}`, "sum by () (...)"},
		},
		{
			name:      "more than five series are counted, not all listed",
			value:     vectorOf(map[string]float64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1}),
			wantKind:  KindShape,
			wantInErr: []string{`{version="e"} and 2 more`},
		},
		{
			name:      "native histogram",
			value:     model.Vector{{Metric: model.Metric{"__name__": "latency"}, Histogram: &model.SampleHistogram{Count: 1}}},
			wantKind:  KindShape,
			wantInErr: []string{"native histogram", "histogram_quantile"},
		},
		{
			name:      "matrix",
			value:     model.Matrix{{Metric: model.Metric{"version": "a"}, Values: []model.SamplePair{{Value: 1}}}},
			wantKind:  KindShape,
			wantInErr: []string{"range vector", "avg_over_time"},
		},
		{name: "string", value: &model.String{Value: "hello"}, wantKind: KindShape, wantInErr: []string{"result is a string"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ts, labels, err := instantValue(tc.value)
			if tc.wantKind == 0 {
				if err != nil {
					t.Fatalf("instantValue: %v", err)
				}
				if got != tc.want {
					t.Fatalf("value = %v, want %v", got, tc.want)
				}
				if !labels.Equal(tc.wantLabels) {
					t.Fatalf("labels = %v, want %v", labels, tc.wantLabels)
				}
				if !ts.Equal(time.UnixMilli(1_700_000_000_000)) {
					t.Fatalf("timestamp = %v, want %v", ts, time.UnixMilli(1_700_000_000_000))
				}
				return
			}
			if err == nil {
				t.Fatalf("instantValue = %v, want a %v error", got, tc.wantKind)
			}
			if err.kind() != tc.wantKind {
				t.Fatalf("kind = %v, want %v (error %v)", err.kind(), tc.wantKind, err)
			}
			if got := errors.Is(err, ErrNoData); got != (tc.wantKind == KindNoData) {
				t.Fatalf("errors.Is(err, ErrNoData) = %v for kind %v", got, tc.wantKind)
			}
			for _, s := range tc.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestRangePoints(t *testing.T) {
	series := func(values ...float64) *model.SampleStream {
		s := &model.SampleStream{Metric: model.Metric{"version": "a"}}
		for i, v := range values {
			s.Values = append(s.Values, model.SamplePair{Timestamp: model.Time(1000 * i), Value: model.SampleValue(v)})
		}
		return s
	}
	tests := []struct {
		name      string
		value     model.Value
		want      []Point
		wantKind  Kind
		wantInErr string
	}{
		{
			name:  "one series",
			value: model.Matrix{series(1, 2, 3)},
			want:  []Point{{time.UnixMilli(0), 1}, {time.UnixMilli(1000), 2}, {time.UnixMilli(2000), 3}},
		},
		{
			name:  "non-finite steps are left out",
			value: model.Matrix{series(1, math.NaN(), math.Inf(1), 4)},
			want:  []Point{{time.UnixMilli(0), 1}, {time.UnixMilli(3000), 4}},
		},
		{name: "only non-finite steps", value: model.Matrix{series(math.NaN(), math.NaN())}, wantKind: KindNoData, wantInErr: "all 2 points are NaN or infinite"},
		{name: "empty matrix", value: model.Matrix{}, wantKind: KindNoData, wantInErr: "empty result"},
		{name: "series without points", value: model.Matrix{series()}, wantKind: KindNoData, wantInErr: "empty result"},
		{name: "two series", value: model.Matrix{series(1), {Metric: model.Metric{"version": "b"}}}, wantKind: KindShape, wantInErr: `{version="a"}, {version="b"}`},
		{name: "vector", value: model.Vector{}, wantKind: KindShape, wantInErr: "want a range vector"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rangePoints(tc.value)
			if tc.wantKind == 0 {
				if err != nil {
					t.Fatalf("rangePoints: %v", err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("points = %v, want %v", got, tc.want)
				}
				for i := range got {
					if !got[i].Timestamp.Equal(tc.want[i].Timestamp) || got[i].Value != tc.want[i].Value {
						t.Fatalf("points = %v, want %v", got, tc.want)
					}
				}
				return
			}
			if err == nil || err.kind() != tc.wantKind || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("rangePoints error = %v, want kind %v containing %q", err, tc.wantKind, tc.wantInErr)
			}
		})
	}
}
