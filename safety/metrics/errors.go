package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind classifies why a query produced no value.
type Kind int

const (
	// KindTransport: the request did not complete (connection refused or reset, DNS, TLS
	// handshake). Retried.
	KindTransport Kind = iota + 1
	// KindTimeout: an attempt exceeded Config.Timeout, or Prometheus reported a query
	// timeout. Retried.
	KindTimeout
	// KindCanceled: the caller's context ended before an answer arrived. Not retried.
	KindCanceled
	// KindBadQuery: the query is invalid (syntax error, HTTP 400) or cannot be evaluated
	// (HTTP 422, e.g. many-to-many matching), or the request was malformed before sending.
	// Not retried: the same query fails again.
	KindBadQuery
	// KindRejected: the server refused the request with another 4xx status (401, 403, 404:
	// credentials, permissions or a wrong Address path). Not retried.
	KindRejected
	// KindServer: the server failed (HTTP 5xx, retried) or answered with something that is
	// not a Prometheus API response (not retried).
	KindServer
	// KindShape: the result is not one value (several series, a range vector, a string, a
	// native histogram). Aggregate the query. Not retried.
	KindShape
	// KindNoData: the query ran but returned no usable value (empty, NaN, +-Inf). The error
	// wraps ErrNoData. Not retried.
	KindNoData
)

// String returns the kind as it appears in error messages.
func (k Kind) String() string {
	switch k {
	case KindTransport:
		return "transport error"
	case KindTimeout:
		return "timeout"
	case KindCanceled:
		return "canceled"
	case KindBadQuery:
		return "bad query"
	case KindRejected:
		return "rejected by server"
	case KindServer:
		return "server error"
	case KindShape:
		return "unusable result shape"
	case KindNoData:
		return "no data"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// QueryError reports a query that produced no value. It always carries the exact query
// text. Use errors.As to read it, and errors.Is(err, ErrNoData) to detect missing data.
type QueryError struct {
	// Query is the exact PromQL text that ran (or was about to run).
	Query string
	// At is the evaluation time of an instant query; zero for range queries.
	At time.Time
	// Range is the range of a range query; nil for instant queries.
	Range *Range
	// Kind says what went wrong.
	Kind Kind
	// Attempts is how many HTTP requests were sent for the query (0 when the query was
	// rejected before sending; more than 1 after retries).
	Attempts int
	// Warnings are Prometheus's warnings, when it answered.
	Warnings []string
	// Err is the underlying cause. For KindNoData it wraps ErrNoData.
	Err error
}

// Error renders, for example:
//
//	query "sum(rate(x[1m]))" at 2026-11-25T10:00:00.000Z: no data: empty result
//	query "up" at 2026-11-25T10:00:00.000Z: transport error after 3 attempts: dial tcp ...
//	query `sum(x{model="sepsis"})` at 2026-11-25T10:00:00.000Z: no data: value is NaN ...
func (e *QueryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "query %s ", quoteQuery(e.Query))
	if e.Range != nil {
		fmt.Fprintf(&b, "over %s", e.Range)
	} else {
		fmt.Fprintf(&b, "at %s", formatTime(e.At))
	}
	b.WriteString(": ")
	if e.Kind != KindNoData { // the cause already starts with "no data"
		b.WriteString(e.Kind.String())
		if e.Attempts > 1 {
			fmt.Fprintf(&b, " after %d attempts", e.Attempts)
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if len(e.Warnings) > 0 {
		fmt.Fprintf(&b, " (prometheus warnings: %s)", strings.Join(e.Warnings, "; "))
	}
	return b.String()
}

// quoteQuery quotes PromQL for a message so that it can be copied back into Prometheus:
// in double quotes when it holds none, else in backquotes (label matchers keep their
// double quotes unescaped), else Go-escaped.
func quoteQuery(q string) string {
	if !strings.Contains(q, `"`) {
		return strconv.Quote(q)
	}
	if strconv.CanBackquote(q) {
		return "`" + q + "`"
	}
	return strconv.Quote(q)
}

// Unwrap returns the cause.
func (e *QueryError) Unwrap() error { return e.Err }
