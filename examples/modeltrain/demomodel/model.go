// Package demomodel defines the model file that Vigil's demo model servers serve: a logistic
// regression over standardised wdbc features, stored as JSON in examples/models/<version>.json.
// It loads and validates such files and computes predictions exactly as the training program
// evaluated them, so a served version behaves as its golden-set figures say.
package demomodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/router"
)

// Model is the content of a model file. The predicted probability of malignancy for a case x
// is sigmoid(Bias + sum_j Weights[j] * (x[Features[j]] - Mean[j]) / Std[j]); the case is called
// malignant when that probability is >= Threshold.
type Model struct {
	// Service is the service (and Open Inference Protocol model name) the version belongs
	// to, e.g. "breast-cancer-dx".
	Service string `json:"service"`
	// Version is MAJOR.MINOR.PATCH-PHASE, as router.ParseVersion accepts it.
	Version string `json:"version"`
	// Features names the wdbc features the model reads, a non-empty subset of
	// wdbc.FeatureNames without repeats, in the order of Mean, Std and Weights.
	Features []string `json:"features"`
	// Mean and Std are the training-set mean and sample standard deviation of each feature
	// (Std > 0), used to standardise inputs.
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
	// Weights are the coefficients on the standardised features; Bias is the intercept.
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
	// Threshold is the probability in (0, 1) at and above which a case is called malignant.
	Threshold float64 `json:"threshold"`
	// Description says in prose how the version was trained and what it is for.
	Description string `json:"description"`
}

// Validate checks every field; the error names the field and the value that is wrong.
func (m *Model) Validate() error {
	if m.Service == "" {
		return fmt.Errorf("field service: missing")
	}
	if _, err := router.ParseVersion(m.Version); err != nil {
		return fmt.Errorf("field version: %w", err)
	}
	n := len(m.Features)
	if n == 0 {
		return fmt.Errorf("field features: empty, want at least one wdbc feature name")
	}
	seen := map[string]bool{}
	for i, name := range m.Features {
		if _, err := wdbc.FeatureIndex(name); err != nil {
			return fmt.Errorf("field features[%d]: %w", i, err)
		}
		if seen[name] {
			return fmt.Errorf("field features[%d]: %q appears twice", i, name)
		}
		seen[name] = true
	}
	for _, vec := range []struct {
		field  string
		values []float64
	}{{"mean", m.Mean}, {"std", m.Std}, {"weights", m.Weights}} {
		if len(vec.values) != n {
			return fmt.Errorf("field %s: %d values, want %d (one per feature)", vec.field, len(vec.values), n)
		}
		for i, v := range vec.values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("field %s[%d] (%s): %v is not a finite number", vec.field, i, m.Features[i], v)
			}
		}
	}
	for i, s := range m.Std {
		if s <= 0 {
			return fmt.Errorf("field std[%d] (%s): %v, want > 0", i, m.Features[i], s)
		}
	}
	if math.IsNaN(m.Bias) || math.IsInf(m.Bias, 0) {
		return fmt.Errorf("field bias: %v is not a finite number", m.Bias)
	}
	if !(m.Threshold > 0 && m.Threshold < 1) {
		return fmt.Errorf("field threshold: %v, want a probability strictly between 0 and 1", m.Threshold)
	}
	return nil
}

// Encode returns the canonical file form: indented JSON with a trailing newline. The same
// Model always encodes to the same bytes.
func (m *Model) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("encode model %s: %w", m.Version, err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode model %s: %w", m.Version, err)
	}
	return append(b, '\n'), nil
}

// Decode parses and validates a model file; unknown fields are errors so a misspelt field
// is not silently ignored. name is used in error messages.
func Decode(data []byte, name string) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model file %s: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("model file %s: trailing data after the JSON object", name)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("model file %s: %w", name, err)
	}
	return &m, nil
}

// Load reads and validates the model file at path.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model file: %w", err)
	}
	return Decode(data, path)
}
