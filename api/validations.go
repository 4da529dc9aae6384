package api

import (
	"context"
	"net/http"
	"net/url"
)

// Values of ValidationRecord.State.
const (
	ValidationRunning  = "running"
	ValidationFinished = "finished"
)

// Values of ValidationRecord.Verdict once the run is finished.
const (
	VerdictPassed       = "PASSED"
	VerdictFailed       = "FAILED"
	VerdictInconclusive = "INCONCLUSIVE"
)

// MaxDatasetUpload is the largest data set, in bytes, a StartValidationRequest can carry:
// the admin API reads request bodies up to 4 MiB and JSON carries the bytes in base64
// (4 characters per 3 bytes).
const MaxDatasetUpload = 3 << 20

// StartValidationRequest is the body of POST /v1/validations: a clinical validation run of
// one version, outside any rollout, on the node that receives it.
type StartValidationRequest struct {
	Service string `json:"service"`
	// Version is the candidate, MAJOR.MINOR.PATCH-PHASE; it must be registered.
	Version string `json:"version"`
	// Against is the comparator: a registered version, "none" for no paired comparison
	// (the policy's paired criteria are then left out), or "" for what the policy's
	// clinical_validation block says.
	Against string `json:"against,omitempty"`
	// Validation names the policy's clinical_validation block; "" takes the first.
	Validation string `json:"validation,omitempty"`
	// DatasetName (a file name ending in .csv, .jsonl or .ndjson, which selects the
	// format) and Dataset (at most MaxDatasetUpload bytes) replace the block's uploaded
	// data set; both empty to use the block's.
	DatasetName string `json:"dataset_name,omitempty"`
	Dataset     []byte `json:"dataset,omitempty"`
}

// StartValidation starts a validation run and returns its record, in state running.
// Poll Validation with the record's ID until its State is ValidationFinished.
func (c *Client) StartValidation(ctx context.Context, req StartValidationRequest) (*ValidationRecord, error) {
	var out ValidationRecord
	return &out, c.Do(ctx, http.MethodPost, "/v1/validations", nil, "", req, &out)
}

// Validations lists the validation runs of a service ("" for all), newest first.
func (c *Client) Validations(ctx context.Context, service string) ([]ValidationRecord, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	var out []ValidationRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/validations", q, "", nil, &out)
}

// Validation returns one validation run; an unknown id is an *Error with CodeNotFound.
func (c *Client) Validation(ctx context.Context, id string) (*ValidationRecord, error) {
	var out ValidationRecord
	return &out, c.Do(ctx, http.MethodGet, "/v1/validations/"+url.PathEscape(id), nil, "", nil, &out)
}
