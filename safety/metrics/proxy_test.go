package metrics

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// interceptFunc sees each request a frontProxy receives, with its 1-based number, and
// returns true if it answered the request itself instead of forwarding it.
type interceptFunc func(n int32, w http.ResponseWriter, r *http.Request) bool

// frontProxy is a real HTTP server in front of Prometheus, as a hospital's authenticating
// gateway would be. It counts the requests it receives and records their headers; an
// interceptFunc lets a test answer requests itself (5xx, 401, slow answers).
type frontProxy struct {
	srv      *httptest.Server
	requests atomic.Int32

	mu      sync.Mutex
	headers []http.Header
}

// newFrontProxy starts a proxy to the Prometheus at target; tls selects an https listener
// with httptest's self-signed certificate; intercept may be nil.
func newFrontProxy(t *testing.T, target string, tls bool, intercept interceptFunc) *frontProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &frontProxy{}
	forward := httputil.NewSingleHostReverseProxy(u)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.requests.Add(1)
		p.mu.Lock()
		p.headers = append(p.headers, r.Header.Clone())
		p.mu.Unlock()
		if intercept != nil && intercept(n, w, r) {
			return
		}
		forward.ServeHTTP(w, r)
	})
	p.srv = httptest.NewUnstartedServer(handler)
	// Failed handshakes are what some tests provoke; keep them out of the test output.
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(p.srv.Close)
	return p
}

// lastHeader returns the headers of the most recent request.
func (p *frontProxy) lastHeader() http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.headers) == 0 {
		return nil
	}
	return p.headers[len(p.headers)-1]
}
