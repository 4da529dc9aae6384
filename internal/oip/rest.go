package oip

import "fmt"

// Datatype is a tensor element type as named by the protocol.
type Datatype string

// The element types Vigil's demo models use.
const (
	FP32  Datatype = "FP32"
	FP64  Datatype = "FP64"
	BYTES Datatype = "BYTES"
)

// Parameters are protocol parameters: names mapped to a string, a number (float64 after
// JSON decoding) or a bool.
type Parameters map[string]any

// String returns the named string parameter. present is false when it is absent; err is set
// when it is present but not a string.
func (p Parameters) String(name string) (value string, present bool, err error) {
	v, ok := p[name]
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", true, fmt.Errorf("parameter %q: %T value %v, want a string", name, v, v)
	}
	return s, true, nil
}

// The REST types are named after the protocol's JSON objects ($inference_request,
// $live_server_response, ...), which keeps them apart from the gRPC messages.

// InferenceRequest is the body of POST /v2/models/{name}[/versions/{version}]/infer.
type InferenceRequest struct {
	// ID is optional; a server echoes it in the response.
	ID         string          `json:"id,omitempty"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Inputs     []RequestInput  `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// RequestInput is one input tensor; for a batch, Shape and Data cover the whole batch.
type RequestInput struct {
	Name       string     `json:"name"`
	Shape      []int64    `json:"shape"`
	Datatype   Datatype   `json:"datatype"`
	Parameters Parameters `json:"parameters,omitempty"`
	Data       TensorData `json:"data"`
}

// RequestOutput names an output the client wants; no outputs means all of them.
type RequestOutput struct {
	Name       string     `json:"name"`
	Parameters Parameters `json:"parameters,omitempty"`
}

// InferenceResponse is the body of a successful (HTTP 200) inference.
type InferenceResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Parameters   Parameters       `json:"parameters,omitempty"`
	Outputs      []ResponseOutput `json:"outputs"`
}

// ResponseOutput is one output tensor.
type ResponseOutput struct {
	Name       string     `json:"name"`
	Shape      []int64    `json:"shape"`
	Datatype   Datatype   `json:"datatype"`
	Parameters Parameters `json:"parameters,omitempty"`
	Data       TensorData `json:"data"`
}

// ErrorResponse is the body of every failed REST call.
type ErrorResponse struct {
	Error string `json:"error"`
}

// LiveServerResponse is the body of GET /v2/health/live.
type LiveServerResponse struct {
	Live bool `json:"live"`
}

// ReadyServerResponse is the body of GET /v2/health/ready.
type ReadyServerResponse struct {
	Ready bool `json:"ready"`
}

// ReadyModelResponse is the body of GET /v2/models/{name}[/versions/{version}]/ready.
type ReadyModelResponse struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// MetadataServerResponse is the body of GET /v2.
type MetadataServerResponse struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// MetadataModelResponse is the body of GET /v2/models/{name}[/versions/{version}].
type MetadataModelResponse struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// TensorMetadata describes a tensor; -1 in Shape marks a variable dimension.
type TensorMetadata struct {
	Name     string   `json:"name"`
	Datatype Datatype `json:"datatype"`
	Shape    []int64  `json:"shape"`
}
