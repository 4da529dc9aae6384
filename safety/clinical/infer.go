package clinical

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seed70a3350f/vigil/internal/oip"
)

// infer makes one ModelInfer call for one case and turns whatever happened into an
// Answer. It waits for the connection to be ready within the per-case timeout, so a
// target the mesh cannot reach fails its cases by timeout rather than at once.
func infer(ctx context.Context, client oip.GRPCInferenceServiceClient, t *Target, req *oip.ModelInferRequest, timeout time.Duration, ds *Dataset) Answer {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	callCtx = metadata.AppendToOutgoingContext(callCtx, t.Metadata...)
	var header, trailer metadata.MD
	resp, err := client.ModelInfer(callCtx, req, grpc.Header(&header), grpc.Trailer(&trailer), grpc.WaitForReady(true))
	named := namedVersion(resp, header, trailer, t.Version)
	if err != nil {
		st := status.Convert(err)
		return Answer{Status: AnswerFailed, Version: named, Failure: st.Code().String(), Detail: st.Message()}
	}
	preds, err := oip.PredictionsFromGRPC(resp)
	if err == nil && len(preds) != 1 {
		err = fmt.Errorf("%d predictions for one case", len(preds))
	}
	if err != nil {
		return Answer{Status: AnswerFailed, Version: named, Failure: FailureInvalidResponse, Detail: err.Error()}
	}
	positive, err := parseLabel(preds[0].Label, ds.PositiveLabel, ds.NegativeLabel)
	if err != nil {
		return Answer{Status: AnswerFailed, Version: named, Failure: FailureInvalidResponse, Detail: "label output: " + err.Error()}
	}
	return Answer{Status: Answered, PredictedPositive: positive, Probability: preds[0].Probability, Version: named}
}

// namedVersion returns the version the server named: the response's model_version and
// the x-vigil-model-version header and trailer. When they disagree, a version other than
// want is returned, so the disagreement counts as a wrong version. "" when none was named.
func namedVersion(resp *oip.ModelInferResponse, header, trailer metadata.MD, want string) string {
	var names []string
	if v := resp.GetModelVersion(); v != "" {
		names = append(names, v)
	}
	names = append(names, header.Get(oip.ModelVersionHeader)...)
	names = append(names, trailer.Get(oip.ModelVersionHeader)...)
	named := ""
	for _, v := range names {
		if v == "" {
			continue
		}
		if v != want {
			return v
		}
		named = v
	}
	return named
}
