package metrics

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
)

// Default values of Config, as set by DefaultConfig.
const (
	DefaultTimeout         = 5 * time.Second
	DefaultRetries         = 2
	DefaultRetryBackoff    = 100 * time.Millisecond
	DefaultRetryBackoffMax = time.Second
)

// maxRetries bounds Config.Retries: more retries only delay a verdict.
const maxRetries = 10

// Config describes how to reach one Prometheus server. Start from DefaultConfig; Validate
// (also run by NewPrometheus) rejects anything unusable and names the field. Nothing is
// defaulted silently: a zero Timeout is an error, not 5s.
type Config struct {
	// Address is the base URL of the Prometheus HTTP API, with scheme http or https and
	// optionally a path prefix ("https://monitoring.example.org/prometheus"). Required.
	Address string

	// Timeout bounds each attempt of a query, from sending the request to reading the whole
	// answer; the server's query is cancelled with it. Must be positive. Default 5s.
	Timeout time.Duration
	// Retries is how many times a query is sent again after a retryable failure (transport
	// error, timeout, HTTP 5xx). Bad queries, other 4xx answers, wrong result shapes and no
	// data are never retried. 0 sends each query once; at most 10. Default 2 (3 attempts).
	Retries int
	// RetryBackoff is the wait before the first retry; each further retry doubles it, up to
	// RetryBackoffMax. Every wait is drawn uniformly between half and all of that value
	// (jitter), so callers that failed together do not retry together. Must be positive
	// when Retries > 0. Default 100ms.
	RetryBackoff time.Duration
	// RetryBackoffMax caps the wait between two attempts; not below RetryBackoff.
	// Default 1s.
	RetryBackoffMax time.Duration

	// BearerToken is sent as "Authorization: Bearer <token>". At most one of BearerToken,
	// BearerTokenFile and BasicAuth may be set.
	BearerToken string
	// BearerTokenFile names a file holding the bearer token (surrounding whitespace is
	// trimmed). It is read on every request, so a rotated token takes effect at once; it
	// must be readable when the Config is validated.
	BearerTokenFile string
	// BasicAuth, when non-nil, sends HTTP basic authentication.
	BasicAuth *BasicAuth
	// TLS configures https connections; it may be set only for an https Address.
	TLS TLSConfig
	// Headers are added to every request, for example a tenant header
	// ("X-Scope-OrgID": "radiology") for a multi-tenant Prometheus front end. Headers that
	// the HTTP client or the authentication settings own (Authorization, Host, User-Agent,
	// Content-Type, ...) cannot be set here.
	Headers map[string]string
}

// BasicAuth holds HTTP basic authentication credentials.
type BasicAuth struct {
	// Username is required.
	Username string
	// Password is the password; leave empty when PasswordFile is set.
	Password string
	// PasswordFile names a file holding the password (surrounding whitespace is trimmed),
	// read on every request. At most one of Password and PasswordFile may be set.
	PasswordFile string
}

// TLSConfig configures TLS for an https Address. Zero value: the system's root CAs, the
// Address's host as server name, no client certificate.
type TLSConfig struct {
	// CAFile names a PEM file of CA certificates that replaces the system roots.
	CAFile string
	// CertFile and KeyFile name the PEM client certificate and key for mutual TLS; set
	// both or neither.
	CertFile string
	KeyFile  string
	// ServerName overrides the name the server certificate must carry.
	ServerName string
	// InsecureSkipVerify accepts any server certificate. For tests only: it removes all
	// protection against a forged Prometheus.
	InsecureSkipVerify bool
}

// isZero reports whether no TLS option is set.
func (c TLSConfig) isZero() bool { return c == TLSConfig{} }

// DefaultConfig returns a Config for address with the documented defaults.
func DefaultConfig(address string) Config {
	return Config{
		Address:         address,
		Timeout:         DefaultTimeout,
		Retries:         DefaultRetries,
		RetryBackoff:    DefaultRetryBackoff,
		RetryBackoffMax: DefaultRetryBackoffMax,
	}
}

// ConfigError names the Config field that is wrong and why.
type ConfigError struct {
	// Field is the field's path in Config, e.g. "BasicAuth.PasswordFile".
	Field string
	// Problem says what is wrong and what is expected.
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("metrics config: %s: %s", e.Field, e.Problem)
}

func fieldErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Validate returns a *ConfigError for the first unusable field, or nil. It also checks
// that every named file is readable.
func (c Config) Validate() error {
	if err := c.validateAddress(); err != nil {
		return err
	}
	if c.Timeout <= 0 {
		return fieldErr("Timeout", "is %v; want a positive duration (default %v)", c.Timeout, DefaultTimeout)
	}
	if c.Retries < 0 || c.Retries > maxRetries {
		return fieldErr("Retries", "is %d; want 0 to %d (default %d)", c.Retries, maxRetries, DefaultRetries)
	}
	if c.Retries > 0 {
		if c.RetryBackoff <= 0 {
			return fieldErr("RetryBackoff", "is %v; want a positive duration when Retries > 0 (default %v)", c.RetryBackoff, DefaultRetryBackoff)
		}
		if c.RetryBackoffMax < c.RetryBackoff {
			return fieldErr("RetryBackoffMax", "is %v, below RetryBackoff %v (default %v)", c.RetryBackoffMax, c.RetryBackoff, DefaultRetryBackoffMax)
		}
	}
	if err := c.validateAuth(); err != nil {
		return err
	}
	if err := c.validateTLS(); err != nil {
		return err
	}
	return c.validateHeaders()
}

func (c Config) validateAddress() error {
	if c.Address == "" {
		return fieldErr("Address", "is empty; want the Prometheus base URL, e.g. http://prometheus:9090")
	}
	u, err := url.Parse(c.Address)
	if err != nil {
		return fieldErr("Address", "%q is not a URL: %v", c.Address, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fieldErr("Address", "%q has scheme %q; want http or https", c.Address, u.Scheme)
	}
	if u.Host == "" {
		return fieldErr("Address", "%q has no host", c.Address)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fieldErr("Address", "%q has a query or fragment; want only scheme, host and optional path prefix", c.Address)
	}
	if u.User != nil {
		return fieldErr("Address", "%q carries credentials; use BasicAuth so they stay out of logs", u.Redacted())
	}
	return nil
}

func (c Config) validateAuth() error {
	set := 0
	for _, on := range []bool{c.BearerToken != "", c.BearerTokenFile != "", c.BasicAuth != nil} {
		if on {
			set++
		}
	}
	if set > 1 {
		return fieldErr("BearerToken", "at most one of BearerToken, BearerTokenFile and BasicAuth may be set")
	}
	if c.BearerTokenFile != "" {
		if err := readable(c.BearerTokenFile); err != nil {
			return fieldErr("BearerTokenFile", "%v", err)
		}
	}
	if b := c.BasicAuth; b != nil {
		if b.Username == "" {
			return fieldErr("BasicAuth.Username", "is empty; basic authentication needs a user name")
		}
		if b.Password != "" && b.PasswordFile != "" {
			return fieldErr("BasicAuth.PasswordFile", "set together with BasicAuth.Password; set only one")
		}
		if b.PasswordFile != "" {
			if err := readable(b.PasswordFile); err != nil {
				return fieldErr("BasicAuth.PasswordFile", "%v", err)
			}
		}
	}
	return nil
}

func (c Config) validateTLS() error {
	if c.TLS.isZero() {
		return nil
	}
	if u, err := url.Parse(c.Address); err != nil || u.Scheme != "https" {
		return fieldErr("TLS", "is set but Address %q is not https; TLS settings would be ignored", c.Address)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return fieldErr("TLS.CertFile", "and TLS.KeyFile must be set together for a client certificate")
	}
	for _, f := range []struct{ field, path string }{
		{"TLS.CAFile", c.TLS.CAFile},
		{"TLS.CertFile", c.TLS.CertFile},
		{"TLS.KeyFile", c.TLS.KeyFile},
	} {
		if f.path == "" {
			continue
		}
		if err := readable(f.path); err != nil {
			return fieldErr(f.field, "%v", err)
		}
	}
	return nil
}

func (c Config) validateHeaders() error {
	for name, value := range c.Headers {
		field := fmt.Sprintf("Headers[%q]", name)
		if name == "" || strings.ContainsAny(name, " \t\r\n:") {
			return fieldErr(field, "is not a valid HTTP header name")
		}
		if _, reserved := promconfig.ReservedHeaders[http.CanonicalHeaderKey(name)]; reserved {
			return fieldErr(field, "cannot be set: the HTTP client or the authentication settings own this header")
		}
		if strings.ContainsAny(value, "\r\n") {
			return fieldErr(field, "value contains a line break")
		}
	}
	return nil
}

// readable checks that path names a regular file this process can open.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %q: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%q is not a regular file", path)
	}
	return nil
}

// httpClientConfig translates the connection settings into prometheus/common's HTTP client
// configuration. Call it on a validated Config.
func (c Config) httpClientConfig() (promconfig.HTTPClientConfig, error) {
	hc := promconfig.DefaultHTTPClientConfig
	if c.BearerToken != "" || c.BearerTokenFile != "" {
		hc.Authorization = &promconfig.Authorization{
			Type:            "Bearer",
			Credentials:     promconfig.Secret(c.BearerToken),
			CredentialsFile: c.BearerTokenFile,
		}
	}
	if b := c.BasicAuth; b != nil {
		hc.BasicAuth = &promconfig.BasicAuth{
			Username:     b.Username,
			Password:     promconfig.Secret(b.Password),
			PasswordFile: b.PasswordFile,
		}
	}
	hc.TLSConfig = promconfig.TLSConfig{
		CAFile:             c.TLS.CAFile,
		CertFile:           c.TLS.CertFile,
		KeyFile:            c.TLS.KeyFile,
		ServerName:         c.TLS.ServerName,
		InsecureSkipVerify: c.TLS.InsecureSkipVerify,
	}
	if len(c.Headers) > 0 {
		headers := make(map[string]promconfig.Header, len(c.Headers))
		for name, value := range c.Headers {
			headers[name] = promconfig.Header{Secrets: []promconfig.Secret{promconfig.Secret(value)}}
		}
		hc.HTTPHeaders = &promconfig.Headers{Headers: headers}
	}
	if err := hc.Validate(); err != nil {
		return hc, fmt.Errorf("metrics config: http client: %w", err)
	}
	return hc, nil
}
