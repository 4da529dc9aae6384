package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seed70a3350f/vigil/router"
)

// Header names of the admin API.
const (
	// HeaderActor names who makes a change; it is recorded in the audit log.
	HeaderActor = "X-Vigil-Actor"
	// HeaderReason is free text recorded with the change.
	HeaderReason = "X-Vigil-Reason"
	// HeaderIndex on responses is the node's applied index when it answered.
	HeaderIndex = "X-Vigil-Index"
	// HeaderForwarded marks a request a node forwarded to the leader (it is not forwarded
	// again).
	HeaderForwarded = "X-Vigil-Forwarded"
)

// Client talks to one xds-server node's admin API; any node will do (writes and consistent
// reads are forwarded to the leader).
type Client struct {
	base  string
	http  *http.Client
	Actor string
	// Stale allows reads to be answered from the contacted node's local state, which may lag
	// the leader by a few milliseconds.
	Stale bool
}

// NewClient returns a client for the node at addr ("host:port" or an http:// URL).
func NewClient(addr string, hc *http.Client) *Client {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(addr, "/"), http: hc}
}

// Address returns the node's base URL.
func (c *Client) Address() string { return c.base }

// WriteOptions qualify a write.
type WriteOptions struct {
	// CAS, when set, is the ModifyIndex the record must still have (0: must not exist).
	CAS *uint64
	// Force skips make-before-break and drain checks (proxies may see errors).
	Force bool
	// Reason is recorded in the audit log.
	Reason string
}

func (o WriteOptions) query() url.Values {
	q := url.Values{}
	if o.CAS != nil {
		q.Set("cas", strconv.FormatUint(*o.CAS, 10))
	}
	if o.Force {
		q.Set("force", "true")
	}
	return q
}

// Do sends a request and decodes a JSON answer into out (when non-nil). A non-2xx answer
// becomes an *Error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, reason string, in, out any) error {
	var body io.Reader
	if in != nil {
		if raw, ok := in.([]byte); ok {
			body = bytes.NewReader(raw)
		} else {
			b, err := json.Marshal(in)
			if err != nil {
				return fmt.Errorf("encode request: %w", err)
			}
			body = bytes.NewReader(b)
		}
	}
	if c.Stale && method == http.MethodGet {
		if query == nil {
			query = url.Values{}
		}
		query.Set("stale", "true")
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if _, raw := in.([]byte); raw {
		req.Header.Set("Content-Type", "application/octet-stream")
	} else if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Actor != "" {
		req.Header.Set(HeaderActor, c.Actor)
	}
	if reason != "" {
		req.Header.Set(HeaderReason, reason)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &TransportError{Method: method, URL: u, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		apiErr := &Error{}
		if json.Unmarshal(data, apiErr) != nil || apiErr.Code == "" {
			return &Error{Code: CodeInternal, Message: fmt.Sprintf("%s %s: HTTP %d: %s", method, u, resp.StatusCode, strings.TrimSpace(string(data)))}
		}
		return apiErr
	}
	if out != nil {
		if raw, ok := out.(*[]byte); ok {
			*raw = data
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, u, err)
		}
	}
	return nil
}

// ServiceDetail is a service with its versions and route table.
type ServiceDetail struct {
	Service  ServiceRecord   `json:"service"`
	Versions []VersionRecord `json:"versions"`
	Routes   *RouteRecord    `json:"routes,omitempty"`
}

// Services lists every service.
func (c *Client) Services(ctx context.Context) ([]ServiceRecord, error) {
	var out []ServiceRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/services", nil, "", nil, &out)
}

// Service returns one service with its versions and routes.
func (c *Client) Service(ctx context.Context, name string) (*ServiceDetail, error) {
	var out ServiceDetail
	return &out, c.Do(ctx, http.MethodGet, "/v1/services/"+url.PathEscape(name), nil, "", nil, &out)
}

// PutService creates or updates a service's settings.
func (c *Client) PutService(ctx context.Context, s router.Service, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPut, "/v1/services/"+url.PathEscape(s.Name), o.query(), o.Reason, s, &out)
}

// Versions lists the versions of a service ("" for all).
func (c *Client) Versions(ctx context.Context, service string) ([]VersionRecord, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	var out []VersionRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/versions", q, "", nil, &out)
}

// PutVersion registers a version or replaces its backends.
func (c *Client) PutVersion(ctx context.Context, mv router.ModelVersion, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPut, versionPath(mv.Service, mv.Version), o.query(), o.Reason, mv, &out)
}

// RemoveVersion removes a drained version.
func (c *Client) RemoveVersion(ctx context.Context, service string, v router.Version, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodDelete, versionPath(service, v), o.query(), o.Reason, nil, &out)
}

func versionPath(service string, v router.Version) string {
	return "/v1/versions/" + url.PathEscape(service) + "/" + url.PathEscape(v.String())
}

// Routes returns a service's route table.
func (c *Client) Routes(ctx context.Context, service string) (*RouteRecord, error) {
	var out RouteRecord
	return &out, c.Do(ctx, http.MethodGet, "/v1/routes/"+url.PathEscape(service), nil, "", nil, &out)
}

// AllRoutes returns every route table.
func (c *Client) AllRoutes(ctx context.Context) ([]RouteRecord, error) {
	var out []RouteRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/routes", nil, "", nil, &out)
}

// SetRoutes replaces a service's route table.
func (c *Client) SetRoutes(ctx context.Context, rt router.RouteTable, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPut, "/v1/routes/"+url.PathEscape(rt.Service), o.query(), o.Reason, rt, &out)
}

// Pin adds or replaces a header pin.
func (c *Client) Pin(ctx context.Context, service string, pin router.HeaderPin, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPost, "/v1/routes/"+url.PathEscape(service)+"/pins", o.query(), o.Reason, pin, &out)
}

// Unpin removes a header pin.
func (c *Client) Unpin(ctx context.Context, service, header, value string, o WriteOptions) (WriteResult, error) {
	q := o.query()
	q.Set("header", header)
	q.Set("value", value)
	var out WriteResult
	return out, c.Do(ctx, http.MethodDelete, "/v1/routes/"+url.PathEscape(service)+"/pins", q, o.Reason, nil, &out)
}

// Proxies lists the connected proxies of every node (local: only the contacted node's).
func (c *Client) Proxies(ctx context.Context, local bool) (*ProxyList, error) {
	q := url.Values{}
	if local {
		q.Set("local", "true")
	}
	var out ProxyList
	return &out, c.Do(ctx, http.MethodGet, "/v1/proxies", q, "", nil, &out)
}

// Members lists the cluster's members with their suffrage and the leader.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	var out []Member
	return out, c.Do(ctx, http.MethodGet, "/v1/cluster/members", nil, "", nil, &out)
}

// Leader returns the current leader.
func (c *Client) Leader(ctx context.Context) (Member, error) {
	var out Member
	return out, c.Do(ctx, http.MethodGet, "/v1/cluster/leader", nil, "", nil, &out)
}

// Join asks the cluster to add m (as a voter unless m.Voter is false).
func (c *Client) Join(ctx context.Context, m Member) error {
	return c.Do(ctx, http.MethodPost, "/v1/cluster/join", nil, "", m, nil)
}

// RemoveMember removes a member from the cluster.
func (c *Client) RemoveMember(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/v1/cluster/members/"+url.PathEscape(id), nil, "", nil, nil)
}

// Audit returns audit entries after sequence number after (limit 0: all).
func (c *Client) Audit(ctx context.Context, after uint64, limit int) ([]AuditEntry, error) {
	q := url.Values{}
	q.Set("after", strconv.FormatUint(after, 10))
	q.Set("limit", strconv.Itoa(limit))
	var out []AuditEntry
	return out, c.Do(ctx, http.MethodGet, "/v1/audit", q, "", nil, &out)
}

// ApplyEncoded sends an encoded command to the node for it to propose as leader; nodes use
// it to forward writes.
func (c *Client) ApplyEncoded(ctx context.Context, cmd []byte) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPost, "/v1/internal/apply", nil, "", cmd, &out)
}

// IsCode reports whether err is an *Error with the given code. A *TransportError counts as
// CodeUnavailable.
func IsCode(err error, code ErrorCode) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Code == code
	}
	var te *TransportError
	return errors.As(err, &te) && code == CodeUnavailable
}

// TransportError is a request that got no HTTP answer.
type TransportError struct {
	Method, URL string
	Err         error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v (is xds-server running there?)", e.Method, e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// NotSent reports whether the request certainly never reached the server (the connection
// could not be made), so retrying it cannot apply it twice.
func (e *TransportError) NotSent() bool {
	var op *net.OpError
	return errors.As(e.Err, &op) && op.Op == "dial"
}

// PolicyUpload is the body of PUT /v1/policies/{name}.
type PolicyUpload struct {
	Filename string            `json:"filename"`
	Source   string            `json:"source"`
	Vars     map[string]string `json:"vars,omitempty"`
	// Datasets carries the clinical validation data sets the policy names, keyed by the
	// path as written in the policy.
	Datasets map[string][]byte `json:"datasets,omitempty"`
}

// Policies lists the current version of every policy.
func (c *Client) Policies(ctx context.Context) ([]PolicyRecord, error) {
	var out []PolicyRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/policies", nil, "", nil, &out)
}

// Policy returns the current version of a policy.
func (c *Client) Policy(ctx context.Context, name string) (*PolicyRecord, error) {
	var out PolicyRecord
	return &out, c.Do(ctx, http.MethodGet, "/v1/policies/"+url.PathEscape(name), nil, "", nil, &out)
}

// PolicyHistory returns every applied version of a policy, oldest first.
func (c *Client) PolicyHistory(ctx context.Context, name string) ([]PolicyRecord, error) {
	var out []PolicyRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/policies/"+url.PathEscape(name)+"/history", nil, "", nil, &out)
}

// ApplyPolicy stores a new version of a policy.
func (c *Client) ApplyPolicy(ctx context.Context, name string, up PolicyUpload, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPut, "/v1/policies/"+url.PathEscape(name), o.query(), o.Reason, up, &out)
}

// DeletePolicy removes a policy; its history stays.
func (c *Client) DeletePolicy(ctx context.Context, name string, o WriteOptions) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodDelete, "/v1/policies/"+url.PathEscape(name), o.query(), o.Reason, nil, &out)
}

// StartRolloutRequest is the body of POST /v1/rollouts.
type StartRolloutRequest struct {
	Service string `json:"service"`
	// To is the candidate version.
	To string `json:"to"`
	// Plan names a canary or blue_green plan of the service's policy; empty for a restore
	// (a rollback of production to To).
	Plan   string `json:"plan,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// StartRollout starts a rollout and returns its record.
func (c *Client) StartRollout(ctx context.Context, req StartRolloutRequest) (*RolloutRecord, error) {
	var out RolloutRecord
	return &out, c.Do(ctx, http.MethodPost, "/v1/rollouts", nil, req.Reason, req, &out)
}

// Rollouts lists rollouts, optionally of one service.
func (c *Client) Rollouts(ctx context.Context, service string) ([]RolloutRecord, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	var out []RolloutRecord
	return out, c.Do(ctx, http.MethodGet, "/v1/rollouts", q, "", nil, &out)
}

// Rollout returns one rollout.
func (c *Client) Rollout(ctx context.Context, id string) (*RolloutRecord, error) {
	var out RolloutRecord
	return &out, c.Do(ctx, http.MethodGet, "/v1/rollouts/"+url.PathEscape(id), nil, "", nil, &out)
}

// RolloutCommand queues promote, pause, resume, abort or rollback for a rollout.
func (c *Client) RolloutCommand(ctx context.Context, id string, cmd RolloutCommand) (WriteResult, error) {
	var out WriteResult
	return out, c.Do(ctx, http.MethodPost, "/v1/rollouts/"+url.PathEscape(id)+"/commands", nil, cmd.Reason, cmd, &out)
}
