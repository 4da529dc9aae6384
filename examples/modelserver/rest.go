package modelserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seed70a3350f/vigil/examples/modeltrain/demomodel"
	"github.com/seed70a3350f/vigil/examples/modeltrain/wdbc"
	"github.com/seed70a3350f/vigil/internal/oip"
)

// maxRequestBytes bounds a REST request body (a full batch of MaxBatchSize cases is about
// 0.6 MB of JSON).
const maxRequestBytes = 4 << 20

// ExpectedTimeoutHeader is the header in which Envoy tells an upstream how long the client
// will wait, in milliseconds; the REST API honours it as the request deadline.
const ExpectedTimeoutHeader = "x-envoy-expected-rq-timeout-ms"

// Server identity reported by the metadata endpoints.
const (
	serverName    = "vigil-modelserver"
	serverVersion = "1.0.0"
	platform      = "vigil-logistic-regression"
)

func (s *Server) restHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2", s.handleServerMetadata)
	mux.HandleFunc("GET /v2/health/live", s.handleLive)
	mux.HandleFunc("GET /v2/health/ready", s.handleReady)
	mux.HandleFunc("GET /v2/models/{name}", s.handleModelMetadata)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.handleModelMetadata)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.handleModelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.handleModelReady)
	mux.HandleFunc("POST /v2/models/{name}/infer", s.handleInfer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.handleInfer)
	mux.HandleFunc("GET /admin/faults", s.handleGetFaults)
	mux.HandleFunc("PUT /admin/faults", s.handlePutFaults)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) handleServerMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, oip.MetadataServerResponse{Name: serverName, Version: serverVersion, Extensions: []string{}})
}

func (s *Server) handleLive(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, oip.LiveServerResponse{Live: true})
}

func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	ready := s.ready.Load()
	writeJSON(w, readyStatus(ready), oip.ReadyServerResponse{Ready: ready})
}

func (s *Server) handleModelReady(w http.ResponseWriter, r *http.Request) {
	if err := s.checkModel(r.PathValue("name"), r.PathValue("version")); err != nil {
		writeError(w, err)
		return
	}
	ready := s.ready.Load()
	writeJSON(w, readyStatus(ready), oip.ReadyModelResponse{Name: s.service, Ready: ready})
}

func readyStatus(ready bool) int {
	if ready {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

func (s *Server) handleModelMetadata(w http.ResponseWriter, r *http.Request) {
	if err := s.checkModel(r.PathValue("name"), r.PathValue("version")); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.metadata())
}

// metadata describes the served model in the protocol's terms.
func (s *Server) metadata() oip.MetadataModelResponse {
	return oip.MetadataModelResponse{
		Name:     s.service,
		Versions: []string{s.version},
		Platform: platform,
		Inputs:   []oip.TensorMetadata{{Name: oip.InputFeatures, Datatype: oip.FP64, Shape: []int64{-1, wdbc.NumFeatures}}},
		Outputs: []oip.TensorMetadata{
			{Name: oip.OutputProbability, Datatype: oip.FP32, Shape: []int64{-1}},
			{Name: oip.OutputLabel, Datatype: oip.BYTES, Shape: []int64{-1}},
		},
	}
}

func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set(oip.ModelVersionHeader, s.version)
	resp, err := s.inferREST(w, r)
	s.metrics.observeRequest(ProtocolREST, time.Since(start), err)
	if err != nil {
		s.log.Debug("rest inference failed", "error", err)
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) inferREST(w http.ResponseWriter, r *http.Request) (*oip.InferenceResponse, error) {
	if err := s.checkModel(r.PathValue("name"), r.PathValue("version")); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if v := r.Header.Get(ExpectedTimeoutHeader); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			return nil, badRequest("header %s %q: want a positive whole number of milliseconds", ExpectedTimeoutHeader, v)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	var req oip.InferenceRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, badRequest("request body exceeds %d bytes: send at most %d cases per request", maxRequestBytes, MaxBatchSize)
		}
		return nil, badRequest("request body is not an inference request: %v", err)
	}
	if len(req.Inputs) != 1 {
		return nil, badRequest("inputs: %d tensors, want exactly one named %q", len(req.Inputs), oip.InputFeatures)
	}
	in := req.Inputs[0]
	b, err := parseFeatureTensor("inputs[0]", in.Name, in.Datatype, in.Shape, in.Data.Floats)
	if err != nil {
		return nil, err
	}
	paramLabel, hasParam, err := req.Parameters.String(oip.ParameterLabel)
	if err != nil {
		return nil, badRequest("parameters: %v", err)
	}
	sources := []labelSource{{name: "header " + oip.LabelHeader, values: r.Header.Values(oip.LabelHeader)}}
	if hasParam {
		sources = append(sources, labelSource{name: "parameter " + oip.ParameterLabel, values: []string{paramLabel}})
	}
	if b.labels, err = parseLabels(b.n, sources...); err != nil {
		return nil, err
	}
	names := make([]string, len(req.Outputs))
	for i, o := range req.Outputs {
		names[i] = o.Name
	}
	sel, err := selectOutputs(names)
	if err != nil {
		return nil, err
	}
	predictions, err := s.infer(ctx, b)
	if err != nil {
		return nil, err
	}
	return s.restResponse(req.ID, sel, predictions)
}

func (s *Server) restResponse(id string, sel outputSelection, predictions []demomodel.Prediction) (*oip.InferenceResponse, error) {
	resp := &oip.InferenceResponse{ModelName: s.service, ModelVersion: s.version, ID: id}
	shape := []int64{int64(len(predictions))}
	if sel.probability {
		probs := make([]float32, len(predictions))
		for i, p := range predictions {
			probs[i] = float32(p.Probability)
		}
		data, err := json.Marshal(probs)
		if err != nil {
			return nil, fmt.Errorf("encode probabilities: %w", err)
		}
		resp.Outputs = append(resp.Outputs, oip.ResponseOutput{Name: oip.OutputProbability, Shape: shape, Datatype: oip.FP32, Data: data})
	}
	if sel.label {
		labels := make([]string, len(predictions))
		for i, p := range predictions {
			labels[i] = p.Class.String()
		}
		data, err := oip.StringData(labels)
		if err != nil {
			return nil, err
		}
		resp.Outputs = append(resp.Outputs, oip.ResponseOutput{Name: oip.OutputLabel, Shape: shape, Datatype: oip.BYTES, Data: data})
	}
	return resp, nil
}

// httpStatus maps a request error to its HTTP status.
func httpStatus(err error) int {
	switch {
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, errTimeout):
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, httpStatus(err), oip.ErrorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		// A struct holding one string always encodes.
		body, _ = json.Marshal(oip.ErrorResponse{Error: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
