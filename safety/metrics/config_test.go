package metrics

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	certFile, keyFile := writeSelfSigned(t, dir)

	tests := []struct {
		name      string
		edit      func(*Config)
		wantField string // "" means valid
		wantInErr string
	}{
		{name: "defaults are valid", edit: func(*Config) {}},
		{name: "no retries is valid", edit: func(c *Config) { c.Retries = 0; c.RetryBackoff = 0 }},
		{name: "bearer token file", edit: func(c *Config) { c.BearerTokenFile = file }},
		{name: "basic auth with password file", edit: func(c *Config) { c.BasicAuth = &BasicAuth{Username: "vigil", PasswordFile: file} }},
		{name: "https with CA and client certificate", edit: func(c *Config) {
			c.Address = "https://prom.example.org/prometheus"
			c.TLS = TLSConfig{CAFile: certFile, CertFile: certFile, KeyFile: keyFile, ServerName: "prom"}
		}},
		{name: "tenant header", edit: func(c *Config) { c.Headers = map[string]string{"X-Scope-OrgID": "radiology"} }},

		{name: "empty address", edit: func(c *Config) { c.Address = "" }, wantField: "Address", wantInErr: "is empty"},
		{name: "address without scheme", edit: func(c *Config) { c.Address = "prometheus:9090" }, wantField: "Address", wantInErr: "want http or https"},
		{name: "address without host", edit: func(c *Config) { c.Address = "http://" }, wantField: "Address", wantInErr: "no host"},
		{name: "address with query", edit: func(c *Config) { c.Address = "http://p:9090/?x=1" }, wantField: "Address", wantInErr: "query or fragment"},
		{name: "address with credentials", edit: func(c *Config) { c.Address = "http://u:pw@p:9090" }, wantField: "Address", wantInErr: "use BasicAuth"},
		{name: "zero timeout is not silently 5s", edit: func(c *Config) { c.Timeout = 0 }, wantField: "Timeout", wantInErr: "is 0s"},
		{name: "negative retries", edit: func(c *Config) { c.Retries = -1 }, wantField: "Retries", wantInErr: "is -1"},
		{name: "too many retries", edit: func(c *Config) { c.Retries = 11 }, wantField: "Retries", wantInErr: "want 0 to 10"},
		{name: "retries without backoff", edit: func(c *Config) { c.RetryBackoff = 0 }, wantField: "RetryBackoff"},
		{name: "cap below base", edit: func(c *Config) { c.RetryBackoffMax = 50 * time.Millisecond }, wantField: "RetryBackoffMax"},
		{name: "two auth methods", edit: func(c *Config) { c.BearerToken = "t"; c.BasicAuth = &BasicAuth{Username: "u"} }, wantField: "BearerToken", wantInErr: "at most one"},
		{name: "unreadable token file", edit: func(c *Config) { c.BearerTokenFile = missing }, wantField: "BearerTokenFile", wantInErr: missing},
		{name: "basic auth without user", edit: func(c *Config) { c.BasicAuth = &BasicAuth{Password: "p"} }, wantField: "BasicAuth.Username"},
		{name: "password twice", edit: func(c *Config) { c.BasicAuth = &BasicAuth{Username: "u", Password: "p", PasswordFile: file} }, wantField: "BasicAuth.PasswordFile"},
		{name: "missing password file", edit: func(c *Config) { c.BasicAuth = &BasicAuth{Username: "u", PasswordFile: missing} }, wantField: "BasicAuth.PasswordFile"},
		{name: "TLS on plain http", edit: func(c *Config) { c.TLS.InsecureSkipVerify = true }, wantField: "TLS", wantInErr: "not https"},
		{name: "certificate without key", edit: func(c *Config) {
			c.Address = "https://p:9090"
			c.TLS.CertFile = file
		}, wantField: "TLS.CertFile"},
		{name: "missing CA file", edit: func(c *Config) {
			c.Address = "https://p:9090"
			c.TLS.CAFile = missing
		}, wantField: "TLS.CAFile"},
		{name: "reserved header", edit: func(c *Config) { c.Headers = map[string]string{"authorization": "x"} }, wantField: `Headers["authorization"]`},
		{name: "header value with newline", edit: func(c *Config) { c.Headers = map[string]string{"X-A": "a\r\nB: b"} }, wantField: `Headers["X-A"]`},
		{name: "header name with colon", edit: func(c *Config) { c.Headers = map[string]string{"X-A:": "a"} }, wantField: `Headers["X-A:"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig("http://127.0.0.1:9090")
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := NewPrometheus(cfg); err != nil {
					t.Fatalf("NewPrometheus: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want a *ConfigError", err)
			}
			if ce.Field != tc.wantField || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("Validate = %q (field %q), want field %q and text %q", err, ce.Field, tc.wantField, tc.wantInErr)
			}
			if _, err := NewPrometheus(cfg); !errors.As(err, &ce) {
				t.Fatalf("NewPrometheus accepted an invalid config: %v", err)
			}
		})
	}
}

func TestNewPrometheusRejectsUnusableCAFile(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig("https://prom.example.org")
	cfg.TLS.CAFile = notPEM
	_, err := NewPrometheus(cfg)
	if err == nil || !strings.Contains(err.Error(), notPEM) {
		t.Fatalf("NewPrometheus = %v, want an error naming %s", err, notPEM)
	}
}

// writeSelfSigned writes a self-signed certificate and its key as PEM files in dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "prom"},
		DNSNames:              []string{"prom"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, "cert.pem")
	keyFile = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
