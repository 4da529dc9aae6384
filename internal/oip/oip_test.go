package oip

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestTensorDataFloats(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    []float64
		wantErr string
	}{
		{name: "flat", json: `[1, 2.5, -3e-2]`, want: []float64{1, 2.5, -0.03}},
		{name: "nested by dimension", json: `[[1, 2], [3, 4]]`, want: []float64{1, 2, 3, 4}},
		{name: "empty", json: `[]`, want: []float64{}},
		{name: "null element", json: `[1, null, 3]`, wantErr: "element 1: null, want a number"},
		{name: "string element", json: `[1, 2, "NaN"]`, wantErr: `element 2: string "NaN", want a number`},
		{name: "nested string", json: `[[1, 2], [3, "x"]]`, wantErr: `element 3: string "x"`},
		{name: "scalar", json: `5`, wantErr: "want a JSON array"},
		{name: "null", json: `null`, wantErr: "no data"},
		{name: "overflow", json: `[1e400]`, wantErr: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TensorData(tt.json).Floats()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Floats() = %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Floats() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestTensorDataStrings(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    []string
		wantErr string
	}{
		{name: "flat", json: `["malignant", "benign"]`, want: []string{"malignant", "benign"}},
		{name: "nested", json: `[["a"], ["b"]]`, want: []string{"a", "b"}},
		{name: "null element", json: `["a", null]`, wantErr: "element 1: null, want a string"},
		{name: "number element", json: `["a", 1]`, wantErr: "element 1: number 1, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TensorData(tt.json).Strings()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Strings() = %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Strings() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRawContentsRoundTrip(t *testing.T) {
	t.Run("FP32", func(t *testing.T) {
		got, err := DecodeRawFloats(FP32, EncodeRawFP32([]float32{0.25, -1.5, 3}))
		if err != nil || !slices.Equal(got, []float64{0.25, -1.5, 3}) {
			t.Errorf("got %v, %v", got, err)
		}
	})
	t.Run("FP64", func(t *testing.T) {
		want := []float64{0.1, math.Pi, -2}
		got, err := DecodeRawFloats(FP64, EncodeRawFP64(want))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("got %v, %v", got, err)
		}
	})
	t.Run("BYTES", func(t *testing.T) {
		got, err := DecodeRawBytes(EncodeRawBytes([][]byte{[]byte("malignant"), {}, []byte("benign")}))
		if err != nil || len(got) != 3 || string(got[0]) != "malignant" || len(got[1]) != 0 || string(got[2]) != "benign" {
			t.Errorf("got %q, %v", got, err)
		}
	})
}

func TestRawContentsRejectBadInput(t *testing.T) {
	tests := []struct {
		name    string
		decode  func() error
		wantErr string
	}{
		{name: "FP32 partial element", decode: func() error { _, err := DecodeRawFloats(FP32, make([]byte, 6)); return err }, wantErr: "multiple of 4"},
		{name: "FP64 partial element", decode: func() error { _, err := DecodeRawFloats(FP64, make([]byte, 12)); return err }, wantErr: "multiple of 8"},
		{name: "INT32 datatype", decode: func() error { _, err := DecodeRawFloats("INT32", make([]byte, 4)); return err }, wantErr: `datatype "INT32"`},
		{name: "BYTES truncated length", decode: func() error { _, err := DecodeRawBytes([]byte{1, 0}); return err }, wantErr: "want a 4-byte length"},
		{name: "BYTES truncated element", decode: func() error { _, err := DecodeRawBytes([]byte{9, 0, 0, 0, 'a'}); return err }, wantErr: "length 9 but only 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.decode(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewInferenceRequestEncodesTheProtocolJSON(t *testing.T) {
	req, err := NewInferenceRequest("case-7", [][]float64{{1, 2, 3}, {4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"case-7","inputs":[{"name":"features","shape":[2,3],"datatype":"FP64","data":[1,2,3,4,5,6]}]}`
	if string(body) != want {
		t.Errorf("body %s\nwant %s", body, want)
	}
}

func TestRequestBuildersRejectBadRows(t *testing.T) {
	tests := []struct {
		name    string
		rows    [][]float64
		wantErr string
	}{
		{name: "no rows", rows: nil, wantErr: "at least one row"},
		{name: "ragged", rows: [][]float64{{1, 2}, {3}}, wantErr: "feature row 1: 1 values, want 2"},
		{name: "NaN", rows: [][]float64{{1, math.NaN()}}, wantErr: "feature row 0 value 1: NaN"},
		{name: "Inf", rows: [][]float64{{math.Inf(-1)}}, wantErr: "-Inf is not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewInferenceRequest("", tt.rows); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("REST error %v, want one containing %q", err, tt.wantErr)
			}
			if _, err := NewModelInferRequest("m", "", "", tt.rows); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("gRPC error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPredictionsFromREST(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []Prediction
		wantErr string
	}{
		{
			name: "batch",
			body: `{"model_name":"m","outputs":[{"name":"probability","datatype":"FP32","shape":[2],"data":[0.9,0.1]},{"name":"label","datatype":"BYTES","shape":[2],"data":["malignant","benign"]}]}`,
			want: []Prediction{{Probability: 0.9, Label: "malignant"}, {Probability: 0.1, Label: "benign"}},
		},
		{
			name:    "missing label",
			body:    `{"model_name":"m","outputs":[{"name":"probability","datatype":"FP32","shape":[1],"data":[0.9]}]}`,
			wantErr: `no "label" output`,
		},
		{
			name:    "count mismatch",
			body:    `{"model_name":"m","outputs":[{"name":"probability","datatype":"FP32","shape":[1],"data":[0.9]},{"name":"label","datatype":"BYTES","shape":[2],"data":["a","b"]}]}`,
			wantErr: "1 probabilities but 2 labels",
		},
		{
			name:    "probability out of range",
			body:    `{"model_name":"m","outputs":[{"name":"probability","datatype":"FP32","shape":[1],"data":[1.5]},{"name":"label","datatype":"BYTES","shape":[1],"data":["a"]}]}`,
			wantErr: "probability[0] = 1.5",
		},
		{
			name:    "wrong datatype",
			body:    `{"model_name":"m","outputs":[{"name":"probability","datatype":"INT64","shape":[1],"data":[1]},{"name":"label","datatype":"BYTES","shape":[1],"data":["a"]}]}`,
			wantErr: `outputs[0] (probability): datatype "INT64"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp InferenceResponse
			if err := json.Unmarshal([]byte(tt.body), &resp); err != nil {
				t.Fatal(err)
			}
			got, err := PredictionsFromREST(&resp)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestPredictionsFromGRPCReadsTypedAndRawContents(t *testing.T) {
	want := []Prediction{{Probability: 0.75, Label: "malignant"}, {Probability: 0.125, Label: "benign"}}
	typed := &ModelInferResponse{Outputs: []*ModelInferResponse_InferOutputTensor{
		{Name: OutputProbability, Datatype: string(FP32), Shape: []int64{2}, Contents: &InferTensorContents{Fp32Contents: []float32{0.75, 0.125}}},
		{Name: OutputLabel, Datatype: string(BYTES), Shape: []int64{2}, Contents: &InferTensorContents{BytesContents: [][]byte{[]byte("malignant"), []byte("benign")}}},
	}}
	raw := &ModelInferResponse{
		Outputs: []*ModelInferResponse_InferOutputTensor{
			{Name: OutputLabel, Datatype: string(BYTES), Shape: []int64{2}},
			{Name: OutputProbability, Datatype: string(FP32), Shape: []int64{2}},
		},
		RawOutputContents: [][]byte{EncodeRawBytes([][]byte{[]byte("malignant"), []byte("benign")}), EncodeRawFP32([]float32{0.75, 0.125})},
	}
	for name, resp := range map[string]*ModelInferResponse{"typed": typed, "raw": raw} {
		t.Run(name, func(t *testing.T) {
			wire, err := proto.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			var decoded ModelInferResponse
			if err := proto.Unmarshal(wire, &decoded); err != nil {
				t.Fatal(err)
			}
			got, err := PredictionsFromGRPC(&decoded)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("got %v, %v; want %v", got, err, want)
			}
		})
	}
	t.Run("raw entry count mismatch", func(t *testing.T) {
		bad := proto.Clone(raw).(*ModelInferResponse)
		bad.RawOutputContents = bad.RawOutputContents[:1]
		if _, err := PredictionsFromGRPC(bad); err == nil || !strings.Contains(err.Error(), "1 entries for 2 outputs") {
			t.Errorf("error %v, want a raw entry count mismatch", err)
		}
	})
}

func TestParametersString(t *testing.T) {
	p := Parameters{"label": "malignant", "count": 3.0}
	if v, ok, err := p.String("label"); v != "malignant" || !ok || err != nil {
		t.Errorf("String(label) = %q, %v, %v", v, ok, err)
	}
	if _, ok, err := p.String("absent"); ok || err != nil {
		t.Errorf("String(absent) = %v, %v; want not present, no error", ok, err)
	}
	if _, ok, err := p.String("count"); !ok || err == nil || !strings.Contains(err.Error(), `parameter "count"`) {
		t.Errorf("String(count) = %v, %v; want present with an error naming it", ok, err)
	}
}
