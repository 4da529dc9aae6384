package metrics

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed70a3350f/vigil/internal/promtest"
)

// Series the test exporter serves. Values are set by the tests.
const (
	errorRatio = `vigil_test_error_ratio`   // {model="sepsis", version="2.2.0-PRODUCTION"} 0.25
	zero       = `vigil_test_zero`          // 0, for 0/0 and x/0
	byVersion  = `vigil_test_requests_rate` // three series, version a, b, c = 1, 2, 3
)

// fastConfig is DefaultConfig with short retry waits, so failing cases stay quick, and a
// long per-attempt timeout, so that a slow answer on a loaded machine is not retried and
// the request counts the tests check stay exact. Tests of timeouts set their own.
func fastConfig(address string) Config {
	cfg := DefaultConfig(address)
	cfg.Timeout = time.Minute
	cfg.RetryBackoff = 10 * time.Millisecond
	cfg.RetryBackoffMax = 40 * time.Millisecond
	return cfg
}

func newSource(t *testing.T, cfg Config) *Prometheus {
	t.Helper()
	src, err := NewPrometheus(cfg)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	return src
}

// queryError asserts that err is a *QueryError of kind want that names query.
func queryError(t *testing.T, err error, want Kind, query string) *QueryError {
	t.Helper()
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("error = %v (%T), want a *QueryError", err, err)
	}
	if qe.Kind != want {
		t.Fatalf("kind = %v, want %v; error: %v", qe.Kind, want, err)
	}
	if qe.Query != query || !strings.Contains(err.Error(), query) {
		t.Fatalf("error %q does not carry the query %q", err, query)
	}
	return qe
}

// TestPrometheusSource runs the Source against a real Prometheus that scrapes a test
// exporter. The subtests share the server and run in order; the last ones take it down
// and bring it back.
func TestPrometheusSource(t *testing.T) {
	// A generous bound: on a loaded shared machine every step can be slow.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	exp := promtest.NewExporter(t)
	ratio := exp.Gauge(errorRatio, map[string]string{"model": "sepsis", "version": "2.2.0-PRODUCTION"})
	ratio.Set(0.25)
	exp.Gauge(zero, nil).Set(0)
	for i, v := range []string{"a", "b", "c"} {
		exp.Gauge(byVersion, map[string]string{"version": v}).Set(float64(i + 1))
	}
	prom := promtest.Start(t, promtest.Options{
		Targets: []promtest.TargetGroup{{Job: "model-server", Targets: []string{exp.Target()}}},
	})
	// at is the evaluation time of the read-only subtests: a moment at which Prometheus is
	// known to hold every series. Pinning it keeps the subtests independent of later
	// scrapes (a scrape that fails on a loaded machine marks the series stale).
	at := waitForData(t, ctx, prom)
	src := newSource(t, fastConfig(prom.URL()))

	t.Run("value is read back with its query, time and labels", func(t *testing.T) {
		s, err := src.Query(ctx, errorRatio, at)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		if s.Value != 0.25 || s.Query != errorRatio {
			t.Fatalf("sample = %+v, want value 0.25 of %q", s, errorRatio)
		}
		if s.Labels["model"] != "sepsis" || s.Labels["version"] != "2.2.0-PRODUCTION" || s.Labels["job"] != "model-server" {
			t.Fatalf("labels = %v", s.Labels)
		}
		if !s.Timestamp.Equal(at) {
			t.Fatalf("timestamp = %v, want the evaluation time %v", s.Timestamp, at)
		}
	})

	t.Run("aggregated series are one value", func(t *testing.T) {
		s, err := src.Query(ctx, "sum by () ("+byVersion+")", at)
		if err != nil || s.Value != 6 {
			t.Fatalf("Query = %+v, %v; want 6", s, err)
		}
	})

	t.Run("scalar result is a value", func(t *testing.T) {
		s, err := src.Query(ctx, "scalar("+errorRatio+") * 4", at)
		if err != nil || s.Value != 1 || len(s.Labels) != 0 {
			t.Fatalf("Query = %+v, %v; want 1 without labels", s, err)
		}
	})

	noData := []struct {
		name   string
		query  string
		reason string
	}{
		{name: "empty result is no data naming the query", query: errorRatio + `{model="absent"}`, reason: "no data: empty result"},
		{name: "0/0 is NaN, which is no data", query: zero + " / " + zero, reason: "no data: value is NaN"},
		{name: "x/0 is +Inf, which is no data", query: errorRatio + " / ignoring(model, version) " + zero, reason: "no data: value is +Inf"},
	}
	for _, tc := range noData {
		t.Run(tc.name, func(t *testing.T) {
			s, err := src.Query(ctx, tc.query, at)
			if !errors.Is(err, ErrNoData) {
				t.Fatalf("Query = %+v, %v; want ErrNoData", s, err)
			}
			queryError(t, err, KindNoData, tc.query)
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %q does not say %q", err, tc.reason)
			}
		})
	}

	t.Run("several series are a shape error listing them", func(t *testing.T) {
		_, err := src.Query(ctx, byVersion, at)
		queryError(t, err, KindShape, byVersion)
		for _, want := range []string{"3 series", `version="a"`, `version="b"`, `version="c"`, "sum by () (...)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
		if errors.Is(err, ErrNoData) {
			t.Error("a shape error must not read as missing data")
		}
	})

	t.Run("range vector in an instant query is a shape error", func(t *testing.T) {
		_, err := src.Query(ctx, errorRatio+"[1m]", at)
		queryError(t, err, KindShape, errorRatio+"[1m]")
	})

	t.Run("range query returns the series' points", func(t *testing.T) {
		r := Range{Start: at.Add(-10 * time.Second), End: at, Step: 100 * time.Millisecond}
		points, err := src.QueryRange(ctx, errorRatio, r)
		if err != nil {
			t.Fatalf("QueryRange: %v", err)
		}
		// Steps before the first scrape have no sample and are absent; the last step has one.
		if len(points) < 2 || !points[len(points)-1].Timestamp.Equal(at) {
			t.Fatalf("points = %v, want several ending at %v", points, at)
		}
		for i, p := range points {
			if p.Value != 0.25 {
				t.Fatalf("point %d = %+v, want 0.25", i, p)
			}
			if p.Timestamp.Sub(r.Start)%r.Step != 0 || (i > 0 && !p.Timestamp.After(points[i-1].Timestamp)) {
				t.Fatalf("point %d at %v is not on the step grid in time order: %v", i, p.Timestamp, points)
			}
		}
	})

	t.Run("range query of several series is a shape error", func(t *testing.T) {
		_, err := src.QueryRange(ctx, byVersion, Range{Start: at.Add(-10 * time.Second), End: at, Step: time.Second})
		qe := queryError(t, err, KindShape, byVersion)
		if qe.Range == nil || !strings.Contains(err.Error(), " over ") {
			t.Fatalf("range error %q does not show the range", err)
		}
	})

	t.Run("range query of an absent series is no data", func(t *testing.T) {
		q := errorRatio + `{model="absent"}`
		_, err := src.QueryRange(ctx, q, Range{Start: at.Add(-10 * time.Second), End: at, Step: time.Second})
		if !errors.Is(err, ErrNoData) {
			t.Fatalf("QueryRange error = %v, want ErrNoData", err)
		}
		queryError(t, err, KindNoData, q)
	})

	t.Run("syntax error is a bad query and is not retried", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, nil)
		q := "sum(rate(" + errorRatio + "[1m]"
		_, err := newSource(t, fastConfig(proxy.srv.URL)).Query(ctx, q, at)
		qe := queryError(t, err, KindBadQuery, q)
		if qe.Attempts != 1 || proxy.requests.Load() != 1 {
			t.Fatalf("attempts = %d, requests seen by the server = %d; want 1 and 1", qe.Attempts, proxy.requests.Load())
		}
		if !strings.Contains(err.Error(), "parse error") {
			t.Fatalf("error %q does not carry Prometheus's parse error", err)
		}
	})

	t.Run("503 answers are retried until Prometheus answers", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, func(n int32, w http.ResponseWriter, _ *http.Request) bool {
			if n <= 2 {
				http.Error(w, "upstream restarting", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		s, err := newSource(t, fastConfig(proxy.srv.URL)).Query(ctx, errorRatio, at)
		if err != nil || s.Value != 0.25 {
			t.Fatalf("Query = %+v, %v; want 0.25 on the third attempt", s, err)
		}
		if n := proxy.requests.Load(); n != 3 {
			t.Fatalf("requests = %d, want 3", n)
		}
	})

	t.Run("persistent 5xx fails after the retries with the body quoted", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, func(_ int32, w http.ResponseWriter, _ *http.Request) bool {
			http.Error(w, "gateway down for maintenance", http.StatusBadGateway)
			return true
		})
		s, err := newSource(t, fastConfig(proxy.srv.URL)).Query(ctx, errorRatio, at)
		qe := queryError(t, err, KindServer, errorRatio)
		if !isZeroSample(s) {
			t.Fatalf("failed query returned a sample: %+v", s)
		}
		if qe.Attempts != 3 || proxy.requests.Load() != 3 {
			t.Fatalf("attempts = %d, requests = %d; want 3 and 3 (Retries 2)", qe.Attempts, proxy.requests.Load())
		}
		if !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "gateway down for maintenance") {
			t.Fatalf("error %q lacks the status or the body", err)
		}
	})

	t.Run("401 is rejected and not retried", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, func(_ int32, w http.ResponseWriter, _ *http.Request) bool {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return true
		})
		_, err := newSource(t, fastConfig(proxy.srv.URL)).Query(ctx, errorRatio, at)
		qe := queryError(t, err, KindRejected, errorRatio)
		if qe.Attempts != 1 || proxy.requests.Load() != 1 {
			t.Fatalf("attempts = %d, requests = %d; want 1 and 1", qe.Attempts, proxy.requests.Load())
		}
	})

	t.Run("slow answers time out per attempt and are retried", func(t *testing.T) {
		const slowAnswer = 20 * time.Second
		proxy := newFrontProxy(t, prom.URL(), false, func(_ int32, w http.ResponseWriter, r *http.Request) bool {
			// The server notices a client hanging up only once the request body is read.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(slowAnswer):
			}
			return true
		})
		cfg := fastConfig(proxy.srv.URL)
		cfg.Timeout = 100 * time.Millisecond
		start := time.Now()
		_, err := newSource(t, cfg).Query(ctx, errorRatio, at)
		qe := queryError(t, err, KindTimeout, errorRatio)
		if qe.Attempts != 3 {
			t.Fatalf("attempts = %d, want 3", qe.Attempts)
		}
		// Without the per-attempt timeout a single attempt would wait for the slow answer.
		if elapsed := time.Since(start); elapsed >= slowAnswer {
			t.Fatalf("three 100ms attempts took %v", elapsed)
		}
	})

	t.Run("no retry is started that would outlast the caller's deadline", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, func(_ int32, w http.ResponseWriter, _ *http.Request) bool {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return true
		})
		cfg := fastConfig(proxy.srv.URL)
		cfg.Retries = 10
		cfg.RetryBackoff, cfg.RetryBackoffMax = time.Minute, time.Minute
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		_, err := newSource(t, cfg).Query(cctx, errorRatio, at)
		qe := queryError(t, err, KindServer, errorRatio)
		if qe.Attempts != 1 || !strings.Contains(err.Error(), "not retried: the caller's deadline") {
			t.Fatalf("attempts = %d, error %q; want 1 attempt and the reason no retry was made", qe.Attempts, err)
		}
		if cctx.Err() != nil {
			t.Fatal("Query waited for the caller's deadline instead of returning at once")
		}
	})

	t.Run("caller's cancellation ends the wait for a retry", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		proxy := newFrontProxy(t, prom.URL(), false, func(_ int32, w http.ResponseWriter, _ *http.Request) bool {
			ccancel() // the caller gives up while the first answer is on its way
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return true
		})
		cfg := fastConfig(proxy.srv.URL)
		cfg.RetryBackoff, cfg.RetryBackoffMax = time.Minute, time.Minute
		_, err := newSource(t, cfg).Query(cctx, errorRatio, at)
		qe := queryError(t, err, KindCanceled, errorRatio)
		if qe.Attempts != 1 || !errors.Is(err, context.Canceled) {
			t.Fatalf("attempts = %d, error %v; want 1 attempt wrapping context.Canceled", qe.Attempts, err)
		}
	})

	t.Run("credentials and headers reach the server", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, nil)
		dir := t.TempDir()
		tokenFile := filepath.Join(dir, "token")
		passwordFile := filepath.Join(dir, "password")
		writeFile(t, tokenFile, "token-from-file\n")
		writeFile(t, passwordFile, "password-from-file\n")
		tests := []struct {
			name   string
			edit   func(*Config)
			header string
			want   string
		}{
			{"bearer token", func(c *Config) { c.BearerToken = "s3cret" }, "Authorization", "Bearer s3cret"},
			{"bearer token file", func(c *Config) { c.BearerTokenFile = tokenFile }, "Authorization", "Bearer token-from-file"},
			{"basic auth", func(c *Config) { c.BasicAuth = &BasicAuth{Username: "vigil", Password: "pw"} }, "Authorization", "Basic dmlnaWw6cHc="},
			{"basic auth password file", func(c *Config) { c.BasicAuth = &BasicAuth{Username: "vigil", PasswordFile: passwordFile} },
				"Authorization", "Basic dmlnaWw6cGFzc3dvcmQtZnJvbS1maWxl"},
			{"extra header", func(c *Config) { c.Headers = map[string]string{"X-Scope-OrgID": "radiology"} }, "X-Scope-OrgID", "radiology"},
			{"user agent", func(*Config) {}, "User-Agent", userAgent},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				cfg := fastConfig(proxy.srv.URL)
				tc.edit(&cfg)
				s, err := newSource(t, cfg).Query(ctx, errorRatio, at)
				if err != nil || s.Value != 0.25 {
					t.Fatalf("Query through the proxy = %+v, %v", s, err)
				}
				if got := proxy.lastHeader().Get(tc.header); got != tc.want {
					t.Fatalf("%s header = %q, want %q", tc.header, got, tc.want)
				}
			})
		}
	})

	t.Run("TLS with a CA file verifies the server", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), true, nil)
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		writeFile(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.srv.Certificate().Raw})))

		cfg := fastConfig(proxy.srv.URL)
		cfg.TLS = TLSConfig{CAFile: caFile}
		if s, err := newSource(t, cfg).Query(ctx, errorRatio, at); err != nil || s.Value != 0.25 {
			t.Fatalf("Query over TLS = %+v, %v", s, err)
		}

		untrusted := fastConfig(proxy.srv.URL)
		untrusted.Retries = 0
		untrustedSrc := newSource(t, untrusted)
		var err error
		// On a starved machine the handshake itself can exceed the transport's 10 s
		// handshake limit; only a completed handshake shows the verification failure.
		for range 3 {
			_, err = untrustedSrc.Query(ctx, errorRatio, at)
			if !strings.Contains(fmt.Sprint(err), "TLS handshake timeout") {
				break
			}
		}
		queryError(t, err, KindTransport, errorRatio)
		var unknownCA x509.UnknownAuthorityError
		if !errors.As(err, &unknownCA) {
			t.Fatalf("error %q is not a certificate verification failure", err)
		}
	})

	t.Run("dedup sends each distinct query once per round", func(t *testing.T) {
		proxy := newFrontProxy(t, prom.URL(), false, nil)
		d, err := NewDedup(newSource(t, fastConfig(proxy.srv.URL)), 4)
		if err != nil {
			t.Fatal(err)
		}
		absent := errorRatio + `{model="absent"}`
		sum := "sum by () (" + byVersion + ")"
		reqs := []Request{
			{Query: errorRatio, Time: at},
			{Query: sum, Time: at},
			{Query: errorRatio, Time: at},
			{Query: absent, Time: at},
			{Query: sum, Time: at},
			{Query: errorRatio, Time: at},
		}
		results, sent := d.Round(ctx, reqs)
		if sent != 3 || proxy.requests.Load() != 3 {
			t.Fatalf("sent = %d, requests seen = %d; want 3 and 3", sent, proxy.requests.Load())
		}
		want := map[string]float64{errorRatio: 0.25, sum: 6}
		for i, r := range results {
			if reqs[i].Query == absent {
				if !errors.Is(r.Err, ErrNoData) {
					t.Errorf("result %d: %v, want ErrNoData", i, r.Err)
				}
				continue
			}
			if r.Err != nil || r.Sample.Value != want[reqs[i].Query] || r.Sample.Query != reqs[i].Query {
				t.Errorf("result %d = %+v, want %v of %q", i, r, want[reqs[i].Query], reqs[i].Query)
			}
		}
	})

	t.Run("Prometheus killed is a transport error after the retries, never a value", func(t *testing.T) {
		if err := prom.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		s, err := src.Query(ctx, errorRatio, time.Now())
		qe := queryError(t, err, KindTransport, errorRatio)
		if !isZeroSample(s) {
			t.Fatalf("query against a dead Prometheus returned %+v", s)
		}
		if qe.Attempts != 3 {
			t.Fatalf("attempts = %d, want 3 (Retries 2)", qe.Attempts)
		}
		if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Fatalf("error %q does not say what failed", err)
		}
	})

	t.Run("Prometheus restarted gives values again", func(t *testing.T) {
		ratio.Set(0.5)
		if err := prom.Restart(ctx); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		for {
			s, err := src.Query(ctx, errorRatio, time.Now())
			if err == nil && s.Value == 0.5 {
				return
			}
			if err != nil && !errors.Is(err, ErrNoData) {
				var qe *QueryError
				if errors.As(err, &qe) && qe.Kind != KindTransport {
					t.Fatalf("unexpected error after restart: %v", err)
				}
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no fresh value after restart: last %+v, %v", s, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// waitForData polls until Prometheus holds every series the exporter serves and returns an
// evaluation time at which it does for good (see promtest.WaitForSettled).
func waitForData(t *testing.T, ctx context.Context, prom *promtest.Server) time.Time {
	t.Helper()
	at, err := prom.WaitForSettled(ctx, "count("+byVersion+") + count("+errorRatio+") + count("+zero+")", promtest.HasValue(5))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestQueryRejectsBadInputBeforeSending(t *testing.T) {
	// Nothing listens on this address: a request sent would fail as a transport error.
	src := newSource(t, fastConfig("http://127.0.0.1:1"))
	ctx := context.Background()
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"empty query", func() error { _, err := src.Query(ctx, "  ", time.Now()); return err }, "query is empty"},
		{"zero time", func() error { _, err := src.Query(ctx, "up", time.Time{}); return err }, "zero time"},
		{"range without step", func() error {
			_, err := src.QueryRange(ctx, "up", Range{Start: time.Now(), End: time.Now()})
			return err
		}, "Step"},
		{"range ending before it starts", func() error {
			_, err := src.QueryRange(ctx, "up", Range{Start: time.Now(), End: time.Now().Add(-time.Hour), Step: time.Second})
			return err
		}, "before Start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Kind != KindBadQuery || qe.Attempts != 0 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want an unsent bad-query error mentioning %q", err, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func isZeroSample(s Sample) bool {
	return s.Query == "" && s.Value == 0 && s.Timestamp.IsZero() && s.Labels == nil && s.Warnings == nil && s.Infos == nil
}
