package modelserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
	"github.com/seed70a3350f/vigil/internal/oip"
)

// grpcService implements the Open Inference Protocol gRPC service for one Server.
type grpcService struct {
	oip.UnimplementedGRPCInferenceServiceServer
	s *Server
}

var _ oip.GRPCInferenceServiceServer = (*grpcService)(nil)

func (g *grpcService) ServerLive(context.Context, *oip.ServerLiveRequest) (*oip.ServerLiveResponse, error) {
	return &oip.ServerLiveResponse{Live: true}, nil
}

func (g *grpcService) ServerReady(context.Context, *oip.ServerReadyRequest) (*oip.ServerReadyResponse, error) {
	return &oip.ServerReadyResponse{Ready: g.s.ready.Load()}, nil
}

func (g *grpcService) ModelReady(_ context.Context, req *oip.ModelReadyRequest) (*oip.ModelReadyResponse, error) {
	if err := g.s.checkModel(req.GetName(), req.GetVersion()); err != nil {
		return nil, grpcError(err)
	}
	return &oip.ModelReadyResponse{Ready: g.s.ready.Load()}, nil
}

func (g *grpcService) ServerMetadata(context.Context, *oip.ServerMetadataRequest) (*oip.ServerMetadataResponse, error) {
	return &oip.ServerMetadataResponse{Name: serverName, Version: serverVersion}, nil
}

func (g *grpcService) ModelMetadata(_ context.Context, req *oip.ModelMetadataRequest) (*oip.ModelMetadataResponse, error) {
	if err := g.s.checkModel(req.GetName(), req.GetVersion()); err != nil {
		return nil, grpcError(err)
	}
	md := g.s.metadata()
	resp := &oip.ModelMetadataResponse{Name: md.Name, Versions: md.Versions, Platform: md.Platform}
	for _, t := range md.Inputs {
		resp.Inputs = append(resp.Inputs, &oip.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: string(t.Datatype), Shape: t.Shape})
	}
	for _, t := range md.Outputs {
		resp.Outputs = append(resp.Outputs, &oip.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: string(t.Datatype), Shape: t.Shape})
	}
	return resp, nil
}

// ModelInfer runs inference. The response uses raw_output_contents when the request used
// raw_input_contents (as Triton clients expect) and typed contents otherwise. The header
// and trailer metadata x-vigil-model-version name the version, on errors too.
func (g *grpcService) ModelInfer(ctx context.Context, req *oip.ModelInferRequest) (*oip.ModelInferResponse, error) {
	start := time.Now()
	versionMD := metadata.Pairs(oip.ModelVersionHeader, g.s.version)
	// Header metadata is lost on an error that is sent before any header, so the version
	// also travels in the trailer; failing to attach it must not fail the request.
	_ = grpc.SetHeader(ctx, versionMD)
	_ = grpc.SetTrailer(ctx, versionMD)
	resp, err := g.infer(ctx, req)
	g.s.metrics.observeRequest(ProtocolGRPC, time.Since(start), err)
	if err != nil {
		g.s.log.Debug("grpc inference failed", "error", err)
		return nil, grpcError(err)
	}
	return resp, nil
}

func (g *grpcService) infer(ctx context.Context, req *oip.ModelInferRequest) (*oip.ModelInferResponse, error) {
	if err := g.s.checkModel(req.GetModelName(), req.GetModelVersion()); err != nil {
		return nil, err
	}
	if len(req.GetInputs()) != 1 {
		return nil, badRequest("inputs: %d tensors, want exactly one named %q", len(req.GetInputs()), oip.InputFeatures)
	}
	raw := req.GetRawInputContents()
	if len(raw) > 1 {
		return nil, badRequest("raw_input_contents: %d entries for 1 input", len(raw))
	}
	in := req.GetInputs()[0]
	datatype := oip.Datatype(in.GetDatatype())
	values := func() ([]float64, error) {
		if len(raw) == 1 {
			if in.GetContents() != nil {
				return nil, fmt.Errorf("both contents and raw_input_contents are set: send one")
			}
			return oip.DecodeRawFloats(datatype, raw[0])
		}
		contents := in.GetContents()
		fp32, fp64 := contents.GetFp32Contents(), contents.GetFp64Contents()
		switch {
		case datatype == oip.FP32 && len(fp32) == 0 && len(fp64) > 0:
			return nil, fmt.Errorf("datatype FP32 but values are in contents.fp64_contents: use fp32_contents or datatype FP64")
		case datatype == oip.FP64 && len(fp64) == 0 && len(fp32) > 0:
			return nil, fmt.Errorf("datatype FP64 but values are in contents.fp32_contents: use fp64_contents or datatype FP32")
		}
		if datatype == oip.FP32 {
			out := make([]float64, len(contents.GetFp32Contents()))
			for i, v := range contents.GetFp32Contents() {
				out[i] = float64(v)
			}
			return out, nil
		}
		return contents.GetFp64Contents(), nil
	}
	b, err := parseFeatureTensor("inputs[0]", in.GetName(), datatype, in.GetShape(), values)
	if err != nil {
		return nil, err
	}
	var sources []labelSource
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		sources = append(sources, labelSource{name: "metadata " + oip.LabelHeader, values: md.Get(oip.LabelHeader)})
	}
	if p, ok := req.GetParameters()[oip.ParameterLabel]; ok {
		sp, isString := p.GetParameterChoice().(*oip.InferParameter_StringParam)
		if !isString {
			return nil, badRequest("parameters.%s: want a string_param", oip.ParameterLabel)
		}
		sources = append(sources, labelSource{name: "parameter " + oip.ParameterLabel, values: []string{sp.StringParam}})
	}
	if b.labels, err = parseLabels(b.n, sources...); err != nil {
		return nil, err
	}
	names := make([]string, len(req.GetOutputs()))
	for i, o := range req.GetOutputs() {
		names[i] = o.GetName()
	}
	sel, err := selectOutputs(names)
	if err != nil {
		return nil, err
	}
	predictions, err := g.s.infer(ctx, b)
	if err != nil {
		return nil, err
	}
	return g.response(req.GetId(), sel, len(raw) == 1, predictions), nil
}

func (g *grpcService) response(id string, sel outputSelection, rawOutput bool, predictions []demomodel.Prediction) *oip.ModelInferResponse {
	resp := &oip.ModelInferResponse{ModelName: g.s.service, ModelVersion: g.s.version, Id: id}
	shape := []int64{int64(len(predictions))}
	if sel.probability {
		probs := make([]float32, len(predictions))
		for i, p := range predictions {
			probs[i] = float32(p.Probability)
		}
		out := &oip.ModelInferResponse_InferOutputTensor{Name: oip.OutputProbability, Datatype: string(oip.FP32), Shape: shape}
		if rawOutput {
			resp.RawOutputContents = append(resp.RawOutputContents, oip.EncodeRawFP32(probs))
		} else {
			out.Contents = &oip.InferTensorContents{Fp32Contents: probs}
		}
		resp.Outputs = append(resp.Outputs, out)
	}
	if sel.label {
		labels := make([][]byte, len(predictions))
		for i, p := range predictions {
			labels[i] = []byte(p.Class.String())
		}
		out := &oip.ModelInferResponse_InferOutputTensor{Name: oip.OutputLabel, Datatype: string(oip.BYTES), Shape: shape}
		if rawOutput {
			resp.RawOutputContents = append(resp.RawOutputContents, oip.EncodeRawBytes(labels))
		} else {
			out.Contents = &oip.InferTensorContents{BytesContents: labels}
		}
		resp.Outputs = append(resp.Outputs, out)
	}
	return resp
}

// grpcError maps a request error to a gRPC status. Injected faults are INTERNAL, never
// UNAVAILABLE, so retry policies do not mask them.
func grpcError(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, errBadRequest):
		code = codes.InvalidArgument
	case errors.Is(err, errNotFound):
		code = codes.NotFound
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, errTimeout):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}
