package oip

import (
	"fmt"
	"math"
)

// Tensor, parameter and header names of Vigil's demo models.
const (
	// InputFeatures is the input tensor: shape [N, F], one row of F features per case.
	InputFeatures = "features"
	// OutputProbability is the FP32 output of shape [N]: probability of the positive class.
	OutputProbability = "probability"
	// OutputLabel is the BYTES output of shape [N]: the predicted class name.
	OutputLabel = "label"
	// ParameterLabel is the request parameter carrying ground-truth labels, one per case,
	// comma-separated in case order.
	ParameterLabel = "label"
	// LabelHeader is the gRPC metadata key / HTTP header carrying ground-truth labels in the
	// same form as ParameterLabel.
	LabelHeader = "x-vigil-label"
	// ModelVersionHeader is the gRPC header metadata key / HTTP response header in which a
	// server names the model version that handled the request, on errors too.
	ModelVersionHeader = "x-vigil-model-version"
)

// Prediction is one case's answer read from a response.
type Prediction struct {
	// Probability of the positive class, in [0, 1].
	Probability float64
	// Label is the predicted class name.
	Label string
}

// flattenRows checks that rows is a non-empty rectangle of finite values and returns it in
// row-major order with its shape [len(rows), len(rows[0])].
func flattenRows(rows [][]float64) ([]float64, []int64, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, nil, fmt.Errorf("feature rows: want at least one row with at least one feature")
	}
	width := len(rows[0])
	flat := make([]float64, 0, len(rows)*width)
	for i, row := range rows {
		if len(row) != width {
			return nil, nil, fmt.Errorf("feature row %d: %d values, want %d like row 0", i, len(row), width)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("feature row %d value %d: %v is not a finite number", i, j, v)
			}
		}
		flat = append(flat, row...)
	}
	return flat, []int64{int64(len(rows)), int64(width)}, nil
}

// NewInferenceRequest builds a REST request with one FP64 input "features" of shape
// [len(rows), len(rows[0])]. id may be empty.
func NewInferenceRequest(id string, rows [][]float64) (*InferenceRequest, error) {
	flat, shape, err := flattenRows(rows)
	if err != nil {
		return nil, err
	}
	data, err := FloatData(flat)
	if err != nil {
		return nil, err
	}
	return &InferenceRequest{
		ID:     id,
		Inputs: []RequestInput{{Name: InputFeatures, Shape: shape, Datatype: FP64, Data: data}},
	}, nil
}

// NewModelInferRequest builds a gRPC request for model (and version, empty to let the
// server choose) with one FP64 input "features" of shape [len(rows), len(rows[0])] in
// typed contents. id may be empty.
func NewModelInferRequest(model, version, id string, rows [][]float64) (*ModelInferRequest, error) {
	flat, shape, err := flattenRows(rows)
	if err != nil {
		return nil, err
	}
	return &ModelInferRequest{
		ModelName:    model,
		ModelVersion: version,
		Id:           id,
		Inputs: []*ModelInferRequest_InferInputTensor{{
			Name:     InputFeatures,
			Datatype: string(FP64),
			Shape:    shape,
			Contents: &InferTensorContents{Fp64Contents: flat},
		}},
	}, nil
}

// PredictionsFromREST reads the "probability" and "label" outputs of a REST response.
func PredictionsFromREST(resp *InferenceResponse) ([]Prediction, error) {
	var probs []float64
	var labels []string
	var foundProb, foundLabel bool
	for i, out := range resp.Outputs {
		var err error
		switch out.Name {
		case OutputProbability:
			foundProb = true
			if out.Datatype != FP32 && out.Datatype != FP64 {
				return nil, fmt.Errorf("outputs[%d] (%s): datatype %q, want FP32 or FP64", i, out.Name, out.Datatype)
			}
			probs, err = out.Data.Floats()
		case OutputLabel:
			foundLabel = true
			if out.Datatype != BYTES {
				return nil, fmt.Errorf("outputs[%d] (%s): datatype %q, want BYTES", i, out.Name, out.Datatype)
			}
			labels, err = out.Data.Strings()
		}
		if err != nil {
			return nil, fmt.Errorf("outputs[%d] (%s) data: %w", i, out.Name, err)
		}
	}
	return zipPredictions(foundProb, foundLabel, probs, labels)
}

// PredictionsFromGRPC reads the "probability" and "label" outputs of a gRPC response,
// from typed contents or from raw_output_contents.
func PredictionsFromGRPC(resp *ModelInferResponse) ([]Prediction, error) {
	raw := resp.GetRawOutputContents()
	if len(raw) > 0 && len(raw) != len(resp.GetOutputs()) {
		return nil, fmt.Errorf("raw_output_contents has %d entries for %d outputs", len(raw), len(resp.GetOutputs()))
	}
	var probs []float64
	var labels []string
	var foundProb, foundLabel bool
	for i, out := range resp.GetOutputs() {
		dt := Datatype(out.GetDatatype())
		switch out.GetName() {
		case OutputProbability:
			foundProb = true
			switch {
			case len(raw) > 0:
				var err error
				if probs, err = DecodeRawFloats(dt, raw[i]); err != nil {
					return nil, fmt.Errorf("outputs[%d] (%s): %w", i, out.GetName(), err)
				}
			case dt == FP32:
				for _, v := range out.GetContents().GetFp32Contents() {
					probs = append(probs, float64(v))
				}
			case dt == FP64:
				probs = out.GetContents().GetFp64Contents()
			default:
				return nil, fmt.Errorf("outputs[%d] (%s): datatype %q, want FP32 or FP64", i, out.GetName(), dt)
			}
		case OutputLabel:
			foundLabel = true
			if dt != BYTES {
				return nil, fmt.Errorf("outputs[%d] (%s): datatype %q, want BYTES", i, out.GetName(), dt)
			}
			elements := out.GetContents().GetBytesContents()
			if len(raw) > 0 {
				var err error
				if elements, err = DecodeRawBytes(raw[i]); err != nil {
					return nil, fmt.Errorf("outputs[%d] (%s): %w", i, out.GetName(), err)
				}
			}
			for _, e := range elements {
				labels = append(labels, string(e))
			}
		}
	}
	return zipPredictions(foundProb, foundLabel, probs, labels)
}

func zipPredictions(foundProb, foundLabel bool, probs []float64, labels []string) ([]Prediction, error) {
	if !foundProb {
		return nil, fmt.Errorf("response has no %q output", OutputProbability)
	}
	if !foundLabel {
		return nil, fmt.Errorf("response has no %q output", OutputLabel)
	}
	if len(probs) != len(labels) {
		return nil, fmt.Errorf("response has %d probabilities but %d labels", len(probs), len(labels))
	}
	if len(probs) == 0 {
		return nil, fmt.Errorf("response has no predictions")
	}
	out := make([]Prediction, len(probs))
	for i, p := range probs {
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("%s[%d] = %v, want a probability in [0, 1]", OutputProbability, i, p)
		}
		out[i] = Prediction{Probability: p, Label: labels[i]}
	}
	return out, nil
}
