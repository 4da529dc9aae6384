package modelserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// maxFaultsBytes bounds a PUT /admin/faults body.
const maxFaultsBytes = 64 << 10

// handleGetFaults answers GET /admin/faults with the current faults.
func (s *Server) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

// handlePutFaults replaces the faults with the JSON body
// {"error_rate":0.2,"added_latency":"250ms","latency_jitter":"50ms","adverse_event_rate":0.01};
// omitted fields are zero. It answers with the faults now in force, or 400 naming the bad
// field (the faults are then unchanged).
func (s *Server) handlePutFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultsBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, badRequest("faults body exceeds %d bytes", maxFaultsBytes))
			return
		}
		writeError(w, badRequest("read faults body: %v", err))
		return
	}
	var f Faults
	if err := json.Unmarshal(body, &f); err != nil {
		writeError(w, badRequest("%v", err))
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeError(w, badRequest("%v", err))
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}
