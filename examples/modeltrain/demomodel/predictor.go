package demomodel

import (
	"fmt"
	"math"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
)

// Prediction is a model's answer for one case.
type Prediction struct {
	// Probability of malignancy, in [0, 1].
	Probability float64
	// Class is Malignant when Probability >= the model's threshold, else Benign.
	Class wdbc.Class
}

// Predictor computes predictions for full wdbc feature vectors (wdbc.NumFeatures values in
// wdbc.FeatureNames order). It is immutable and safe for concurrent use.
type Predictor struct {
	index     []int // index[j] = position of Model.Features[j] in a full feature vector
	mean      []float64
	std       []float64
	weights   []float64
	bias      float64
	threshold float64
}

// NewPredictor validates m and binds its features to positions in a full feature vector.
func NewPredictor(m *Model) (*Predictor, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Version, err)
	}
	p := &Predictor{
		index:     make([]int, len(m.Features)),
		mean:      append([]float64(nil), m.Mean...),
		std:       append([]float64(nil), m.Std...),
		weights:   append([]float64(nil), m.Weights...),
		bias:      m.Bias,
		threshold: m.Threshold,
	}
	for j, name := range m.Features {
		i, err := wdbc.FeatureIndex(name)
		if err != nil {
			return nil, fmt.Errorf("model %s: feature %d: %w", m.Version, j, err)
		}
		p.index[j] = i
	}
	return p, nil
}

// Predict returns the prediction for one full feature vector. The caller guarantees
// len(features) == wdbc.NumFeatures and finite values (servers validate requests first);
// a shorter vector panics with an index error.
func (p *Predictor) Predict(features []float64) Prediction {
	z := p.bias
	for j, i := range p.index {
		z += p.weights[j] * ((features[i] - p.mean[j]) / p.std[j])
	}
	prob := Sigmoid(z)
	class := wdbc.Benign
	if prob >= p.threshold {
		class = wdbc.Malignant
	}
	return Prediction{Probability: prob, Class: class}
}

// Sigmoid is the logistic function 1/(1+e^-z), computed without overflow for large |z|.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
