package agent

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/seed70a3350f/vigil/api"
)

// startValidationTimeout bounds the writes that start a run (pins, start record); the run
// itself goes on in the background after the answer.
const startValidationTimeout = 30 * time.Second

// recordVisibleTimeout bounds the wait for a started run's record to be applied on this
// node before it is returned.
const recordVisibleTimeout = 5 * time.Second

// listValidations serves GET /v1/validations?service=S: the runs of S ("" or absent for
// every service), newest first.
func (a *Agent) listValidations(r *http.Request) (any, error) {
	recs := a.node.State().Validations(r.URL.Query().Get("service"))
	out := make([]api.ValidationRecord, 0, len(recs))
	for _, rec := range slices.Backward(recs) {
		out = append(out, *rec)
	}
	return out, nil
}

// getValidation serves GET /v1/validations/{id}.
func (a *Agent) getValidation(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if rec := a.node.State().Validation(id); rec != nil {
		return rec, nil
	}
	return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("no validation run %q", id),
		Hint: "`meshctl validate list [SERVICE]` lists the runs with their ids"}
}

// startValidation serves POST /v1/validations: it starts the run on this node (the run's
// writes are forwarded to the leader like any other) and answers 201 with the record in
// state running.
func (a *Agent) startValidation(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var req api.StartValidationRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := checkStartValidation(req); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), startValidationTimeout)
	defer cancel()
	id, err := a.validations.startStandalone(ctx, StandaloneRun{
		Service: req.Service, Version: req.Version, Against: req.Against, Validation: req.Validation,
		DatasetName: req.DatasetName, Dataset: req.Dataset, By: actor(r),
	})
	if err != nil {
		writeError(w, err)
		return
	}
	rec, err := a.visibleValidation(ctx, id)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

// checkStartValidation names the first missing or malformed field of a request.
func checkStartValidation(req api.StartValidationRequest) error {
	invalid := func(field, format string, args ...any) error {
		return &api.Error{Code: api.CodeInvalid, Message: "start validation: " + field + " " + fmt.Sprintf(format, args...)}
	}
	switch {
	case req.Service == "":
		return invalid("service", "is required")
	case req.Version == "":
		return invalid("version", "is required: the candidate version, MAJOR.MINOR.PATCH-PHASE")
	case len(req.Dataset) > 0 && req.DatasetName == "":
		return invalid("dataset_name", "is required with a data set: its extension (.csv, .jsonl) selects the format")
	case len(req.Dataset) == 0 && req.DatasetName != "":
		return invalid("dataset", "is empty although dataset_name is %q: send the file's bytes, or neither field to use the policy's data set", req.DatasetName)
	case len(req.Dataset) > api.MaxDatasetUpload:
		return invalid("dataset", "%q is %d bytes; at most %d can be uploaded", req.DatasetName, len(req.Dataset), api.MaxDatasetUpload)
	}
	if req.DatasetName != "" {
		switch strings.ToLower(path.Ext(req.DatasetName)) {
		case ".csv", ".jsonl", ".ndjson":
		default:
			return invalid("dataset_name", "%q ends in neither .csv, .jsonl nor .ndjson, so its format is unknown", req.DatasetName)
		}
	}
	return nil
}

// visibleValidation returns a run's record once this node has applied its start (at once,
// unless the start was committed through another node and is not applied here yet).
func (a *Agent) visibleValidation(ctx context.Context, id string) (*api.ValidationRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, recordVisibleTimeout)
	defer cancel()
	for {
		st := a.node.State()
		changed := st.Changed()
		if rec := st.Validation(id); rec != nil {
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return nil, &api.Error{Code: api.CodeUnavailable,
				Message: fmt.Sprintf("validation run %s started, but its record is not applied on node %s yet", id, a.cfg.NodeID),
				Hint:    fmt.Sprintf("read it with `meshctl validate get %s`", id)}
		case <-changed:
		}
	}
}
