package api

import (
	"fmt"
	"strings"

	"github.com/seed70a3350f/vigil/router"
)

// ErrorCode classifies an API error; it maps to an HTTP status and a meshctl exit code.
type ErrorCode string

const (
	CodeInvalid      ErrorCode = "invalid"      // 400: the request or record is invalid; Fields says where
	CodeNotFound     ErrorCode = "not_found"    // 404
	CodeConflict     ErrorCode = "conflict"     // 409: check-and-set index mismatch, or state forbids it
	CodeNotLeader    ErrorCode = "not_leader"   // 503: no leader could take the write in time
	CodeUnavailable  ErrorCode = "unavailable"  // 503: a dependency is down (Prometheus, peers)
	CodeTimeout      ErrorCode = "timeout"      // 504
	CodeInternal     ErrorCode = "internal"     // 500
	CodePrecondition ErrorCode = "precondition" // 412: proxies have not ACKed what this change needs
)

// Error is the body of every non-2xx admin API answer.
type Error struct {
	Code    ErrorCode           `json:"code"`
	Message string              `json:"message"`
	Fields  []router.FieldError `json:"fields,omitempty"`
	// Hint says what to do about it, when there is something to say.
	Hint string `json:"hint,omitempty"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Hint != "" && !strings.Contains(e.Message, e.Hint) {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, &api.Error{Code: c}) match on the code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == ""
}
