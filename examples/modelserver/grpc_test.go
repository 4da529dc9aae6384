package modelserver

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seed70a3350f/vigil/internal/oip"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGRPCHealthAndMetadata(t *testing.T) {
	s := startServer(t, versionDegraded, Faults{})
	client := grpcClient(t, s)
	ctx := testContext(t)
	live, err := client.ServerLive(ctx, &oip.ServerLiveRequest{})
	if err != nil || !live.GetLive() {
		t.Errorf("ServerLive = %v, %v", live, err)
	}
	ready, err := client.ServerReady(ctx, &oip.ServerReadyRequest{})
	if err != nil || !ready.GetReady() {
		t.Errorf("ServerReady = %v, %v", ready, err)
	}
	modelReady, err := client.ModelReady(ctx, &oip.ModelReadyRequest{Name: service, Version: versionDegraded})
	if err != nil || !modelReady.GetReady() {
		t.Errorf("ModelReady = %v, %v", modelReady, err)
	}
	md, err := client.ModelMetadata(ctx, &oip.ModelMetadataRequest{Name: service})
	if err != nil {
		t.Fatal(err)
	}
	if md.GetName() != service || len(md.GetVersions()) != 1 || md.GetVersions()[0] != versionDegraded ||
		len(md.GetInputs()) != 1 || md.GetInputs()[0].GetName() != "features" || len(md.GetOutputs()) != 2 {
		t.Errorf("ModelMetadata = %v", md)
	}
	_, err = client.ModelReady(ctx, &oip.ModelReadyRequest{Name: "other"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("ModelReady(other) error %v, want NotFound", err)
	}
}

// TestGRPCBatchAgreesWithTheTrainingCode sends the golden set as one typed-contents batch.
func TestGRPCBatchAgreesWithTheTrainingCode(t *testing.T) {
	s := startServer(t, versionCandidate, Faults{})
	client := grpcClient(t, s)
	cases := goldenCases(t)
	req, err := oip.NewModelInferRequest(service, "", "golden", rows(cases))
	if err != nil {
		t.Fatal(err)
	}
	var header, trailer metadata.MD
	resp, err := client.ModelInfer(testContext(t), req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetModelName() != service || resp.GetModelVersion() != versionCandidate || resp.GetId() != "golden" {
		t.Errorf("response names %s %s id %q", resp.GetModelName(), resp.GetModelVersion(), resp.GetId())
	}
	if got := header.Get(oip.ModelVersionHeader); len(got) != 1 || got[0] != versionCandidate {
		t.Errorf("header %s = %v, want [%s]", oip.ModelVersionHeader, got, versionCandidate)
	}
	if len(resp.GetRawOutputContents()) != 0 {
		t.Errorf("typed request got raw outputs")
	}
	predictions, err := oip.PredictionsFromGRPC(resp)
	if err != nil {
		t.Fatal(err)
	}
	assertAgreesWithTraining(t, versionCandidate, cases, predictions)
}

// TestGRPCRawContents speaks like a Triton client: FP32 features in raw_input_contents,
// answered in raw_output_contents.
func TestGRPCRawContents(t *testing.T) {
	s := startServer(t, versionProd, Faults{})
	client := grpcClient(t, s)
	cases := goldenCases(t)[:3]
	var features []float32
	for _, c := range cases {
		for _, v := range c.Features {
			features = append(features, float32(v))
		}
	}
	req := &oip.ModelInferRequest{
		ModelName:        service,
		ModelVersion:     versionProd,
		Inputs:           []*oip.ModelInferRequest_InferInputTensor{{Name: "features", Datatype: "FP32", Shape: []int64{3, 30}}},
		RawInputContents: [][]byte{oip.EncodeRawFP32(features)},
	}
	resp, err := client.ModelInfer(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetRawOutputContents()) != 2 {
		t.Fatalf("raw outputs %d, want 2", len(resp.GetRawOutputContents()))
	}
	predictions, err := oip.PredictionsFromGRPC(resp)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range predictions {
		if p.Label != cases[i].Label.String() {
			t.Errorf("case %s: %s, want %s", cases[i].ID, p.Label, cases[i].Label)
		}
	}
}

func TestGRPCRejectsBadRequests(t *testing.T) {
	s := startServer(t, versionProd, Faults{})
	client := grpcClient(t, s)
	features := goldenCases(t)[0].Features
	withNaN := append([]float64{math.NaN()}, features[1:]...)
	tensor := func(name, datatype string, shape []int64, values []float64) *oip.ModelInferRequest_InferInputTensor {
		return &oip.ModelInferRequest_InferInputTensor{Name: name, Datatype: datatype, Shape: shape, Contents: &oip.InferTensorContents{Fp64Contents: values}}
	}
	good := tensor("features", "FP64", []int64{1, 30}, features)
	stringParam := func(v string) map[string]*oip.InferParameter {
		return map[string]*oip.InferParameter{"label": {ParameterChoice: &oip.InferParameter_StringParam{StringParam: v}}}
	}
	tests := []struct {
		name     string
		req      *oip.ModelInferRequest
		md       metadata.MD
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "wrong shape", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{tensor("features", "FP64", []int64{30, 1}, features)}}, wantCode: codes.InvalidArgument, wantMsg: "inputs[0].shape [30 1]"},
		{name: "batch too large", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{tensor("features", "FP64", []int64{MaxBatchSize + 1, 30}, features)}}, wantCode: codes.InvalidArgument, wantMsg: "1 <= N <= 1024"},
		{name: "wrong datatype", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{tensor("features", "BYTES", []int64{1, 30}, features)}}, wantCode: codes.InvalidArgument, wantMsg: `inputs[0].datatype "BYTES"`},
		{name: "NaN", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{tensor("features", "FP64", []int64{1, 30}, withNaN)}}, wantCode: codes.InvalidArgument, wantMsg: "inputs[0].data[0] (case 0, feature radius_mean): NaN"},
		{name: "values in the wrong field", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{tensor("features", "FP32", []int64{1, 30}, features)}}, wantCode: codes.InvalidArgument, wantMsg: "datatype FP32 but values are in contents.fp64_contents"},
		{name: "raw and typed", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{good}, RawInputContents: [][]byte{oip.EncodeRawFP64(features)}}, wantCode: codes.InvalidArgument, wantMsg: "both contents and raw_input_contents"},
		{name: "raw of partial element", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{{Name: "features", Datatype: "FP64", Shape: []int64{1, 30}}}, RawInputContents: [][]byte{make([]byte, 239)}}, wantCode: codes.InvalidArgument, wantMsg: "multiple of 8"},
		{name: "no inputs", req: &oip.ModelInferRequest{ModelName: service}, wantCode: codes.InvalidArgument, wantMsg: "inputs: 0 tensors"},
		{name: "bad label metadata", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{good}}, md: metadata.Pairs(oip.LabelHeader, "maybe"), wantCode: codes.InvalidArgument, wantMsg: `metadata x-vigil-label, case 0: invalid diagnosis "maybe"`},
		{name: "label parameter not a string", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{good}, Parameters: map[string]*oip.InferParameter{"label": {ParameterChoice: &oip.InferParameter_BoolParam{BoolParam: true}}}}, wantCode: codes.InvalidArgument, wantMsg: "parameters.label: want a string_param"},
		{name: "metadata and parameter disagree", req: &oip.ModelInferRequest{ModelName: service, Inputs: []*oip.ModelInferRequest_InferInputTensor{good}, Parameters: stringParam("benign")}, md: metadata.Pairs(oip.LabelHeader, "malignant"), wantCode: codes.InvalidArgument, wantMsg: "disagree"},
		{name: "unknown model", req: &oip.ModelInferRequest{ModelName: "other", Inputs: []*oip.ModelInferRequest_InferInputTensor{good}}, wantCode: codes.NotFound, wantMsg: `model "other"`},
		{name: "unknown version", req: &oip.ModelInferRequest{ModelName: service, ModelVersion: versionCandidate, Inputs: []*oip.ModelInferRequest_InferInputTensor{good}}, wantCode: codes.NotFound, wantMsg: `version "1.1.0-CLINICALVALID"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			if tt.md != nil {
				ctx = metadata.NewOutgoingContext(ctx, tt.md)
			}
			_, err := client.ModelInfer(ctx, tt.req)
			st := status.Convert(err)
			if st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
				t.Errorf("error %v, want %v with %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestGRPCFeedbackFromMetadata(t *testing.T) {
	s := startServer(t, versionDegraded, Faults{})
	client := grpcClient(t, s)
	cases := goldenCases(t)
	for _, c := range cases[:10] {
		req, err := oip.NewModelInferRequest(service, "", "", [][]float64{c.Features})
		if err != nil {
			t.Fatal(err)
		}
		ctx := metadata.AppendToOutgoingContext(testContext(t), oip.LabelHeader, c.Label.String())
		if _, err := client.ModelInfer(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	families := scrape(t, s)
	labelled := 0.0
	for _, label := range []string{"malignant", "benign"} {
		for _, predicted := range []string{"malignant", "benign"} {
			labelled += sample(t, families, "inference_feedback_total", map[string]string{"label": label, "predicted": predicted})
		}
	}
	if labelled != 10 {
		t.Errorf("feedback total %v, want 10", labelled)
	}
	if got := sample(t, families, "inference_requests_total", map[string]string{"protocol": "grpc", "outcome": "ok"}); got != 10 {
		t.Errorf("grpc ok requests %v, want 10", got)
	}
}
