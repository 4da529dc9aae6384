package demomodel

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

func validModel() *Model {
	return &Model{
		Service:     "breast-cancer-dx",
		Version:     "1.0.0-PRODUCTION",
		Features:    []string{"radius_mean", "texture_worst"},
		Mean:        []float64{14, 25},
		Std:         []float64{3.5, 6},
		Weights:     []float64{2, 0.5},
		Bias:        -0.25,
		Threshold:   0.5,
		Description: "test model",
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(m *Model)
		wantErr string
	}{
		{name: "missing service", mutate: func(m *Model) { m.Service = "" }, wantErr: "field service: missing"},
		{name: "bad version", mutate: func(m *Model) { m.Version = "1.0-PRODUCTION" }, wantErr: "field version"},
		{name: "unknown phase", mutate: func(m *Model) { m.Version = "1.0.0-BETA" }, wantErr: `unknown phase "BETA"`},
		{name: "no features", mutate: func(m *Model) { m.Features = nil }, wantErr: "field features: empty"},
		{name: "unknown feature", mutate: func(m *Model) { m.Features[1] = "age" }, wantErr: `field features[1]: unknown feature "age"`},
		{name: "repeated feature", mutate: func(m *Model) { m.Features[1] = "radius_mean" }, wantErr: "appears twice"},
		{name: "short weights", mutate: func(m *Model) { m.Weights = m.Weights[:1] }, wantErr: "field weights: 1 values, want 2"},
		{name: "nan mean", mutate: func(m *Model) { m.Mean[0] = math.NaN() }, wantErr: "field mean[0] (radius_mean)"},
		{name: "zero std", mutate: func(m *Model) { m.Std[1] = 0 }, wantErr: "field std[1] (texture_worst): 0, want > 0"},
		{name: "infinite bias", mutate: func(m *Model) { m.Bias = math.Inf(1) }, wantErr: "field bias"},
		{name: "threshold one", mutate: func(m *Model) { m.Threshold = 1 }, wantErr: "field threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validModel()
			tt.mutate(m)
			if err := m.Validate(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	m := validModel()
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data, "m.json")
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("re-encoded file differs:\n%s\nvs\n%s", again, data)
	}
}

func TestDecodeRejectsUnknownFieldsAndTrailingData(t *testing.T) {
	data, err := validModel().Encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{name: "misspelt field", data: strings.Replace(string(data), `"threshold"`, `"treshold"`, 1), wantErr: `unknown field "treshold"`},
		{name: "trailing object", data: string(data) + "{}", wantErr: "trailing data"},
		{name: "invalid model", data: strings.Replace(string(data), `"threshold": 0.5`, `"threshold": 2`, 1), wantErr: "field threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data), "m.json")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "m.json") {
				t.Errorf("Decode error %v, want one naming m.json and containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPredictorComputesTheDocumentedFormula(t *testing.T) {
	m := validModel()
	p, err := NewPredictor(m)
	if err != nil {
		t.Fatal(err)
	}
	features := make([]float64, wdbc.NumFeatures)
	radius, _ := wdbc.FeatureIndex("radius_mean")
	texture, _ := wdbc.FeatureIndex("texture_worst")
	tests := []struct {
		name        string
		radius, tex float64
		wantClass   wdbc.Class
	}{
		{name: "large radius", radius: 21, tex: 25, wantClass: wdbc.Malignant},
		{name: "small radius", radius: 9, tex: 19, wantClass: wdbc.Benign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			features[radius], features[texture] = tt.radius, tt.tex
			z := m.Bias + m.Weights[0]*(tt.radius-m.Mean[0])/m.Std[0] + m.Weights[1]*(tt.tex-m.Mean[1])/m.Std[1]
			want := 1 / (1 + math.Exp(-z))
			got := p.Predict(features)
			if math.Abs(got.Probability-want) > 1e-15 || got.Class != tt.wantClass {
				t.Errorf("Predict = %+v, want probability %v and %v", got, want, tt.wantClass)
			}
		})
	}
}

func TestSigmoidIsStableAtTheExtremes(t *testing.T) {
	tests := []struct {
		z, want float64
	}{{0, 0.5}, {-800, 0}, {800, 1}, {2, 0.8807970779778823}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("z=%v", tt.z), func(t *testing.T) {
			got := Sigmoid(tt.z)
			if math.IsNaN(got) || math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("Sigmoid(%v) = %v, want %v", tt.z, got, tt.want)
			}
		})
	}
}

func TestLoadCommittedModels(t *testing.T) {
	for _, version := range []string{"1.0.0-PRODUCTION", "1.1.0-CLINICALVALID", "1.2.0-CLINICALVALID"} {
		t.Run(version, func(t *testing.T) {
			m, err := Load("../../models/" + version + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if m.Version != version || m.Service != "breast-cancer-dx" {
				t.Errorf("loaded %s/%s, want breast-cancer-dx/%s", m.Service, m.Version, version)
			}
		})
	}
}
