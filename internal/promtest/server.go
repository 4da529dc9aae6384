package promtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// Options configures a Prometheus server started by Start. Zero values take the documented
// defaults; negative durations are rejected.
type Options struct {
	// ScrapeInterval is how often every target is scraped; the scrape timeout equals it.
	// Zero means 1s.
	ScrapeInterval time.Duration
	// EvaluationInterval is how often rules are evaluated. Zero means ScrapeInterval.
	EvaluationInterval time.Duration
	// LookbackDelta sets --query.lookback-delta: how far back an instant query looks for a
	// series' latest sample. Zero keeps Prometheus's default of 5m; a short value (e.g. 3s)
	// makes a series that stopped being scraped vanish from query results quickly.
	LookbackDelta time.Duration
	// Targets are the scrape targets present at start; change them later with SetTargets.
	Targets []TargetGroup
	// ExtraFlags are appended to the Prometheus command line as given.
	ExtraFlags []string
	// ReadyTimeout bounds the wait for /-/ready in Start. Zero means 60s.
	ReadyTimeout time.Duration
}

// withDefaults returns o with zero fields replaced by their documented defaults, or an
// error naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"ScrapeInterval", o.ScrapeInterval},
		{"EvaluationInterval", o.EvaluationInterval},
		{"LookbackDelta", o.LookbackDelta},
		{"ReadyTimeout", o.ReadyTimeout},
	} {
		if d.value < 0 {
			return o, fmt.Errorf("Options.%s is %v; want a positive duration, or zero for the default", d.name, d.value)
		}
	}
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = time.Second
	}
	if o.ScrapeInterval < time.Millisecond || o.ScrapeInterval%time.Millisecond != 0 {
		return o, fmt.Errorf("Options.ScrapeInterval is %v; want a whole number of milliseconds, at least 1ms", o.ScrapeInterval)
	}
	if o.EvaluationInterval == 0 {
		o.EvaluationInterval = o.ScrapeInterval
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	seen := map[string]bool{}
	for _, g := range o.Targets {
		if err := g.validate(); err != nil {
			return o, fmt.Errorf("Options.Targets: %w", err)
		}
		if seen[g.Job] {
			return o, fmt.Errorf("Options.Targets: job %q appears twice; list all its targets in one group", g.Job)
		}
		seen[g.Job] = true
	}
	return o, nil
}

// Server is a running (or stopped) Prometheus owned by one test. Its address and data
// directory stay the same across Kill and Restart. Methods are safe for concurrent use.
type Server struct {
	t            testing.TB
	binary       string
	targetsDir   string
	dataDir      string
	args         []string // command line without the listen address
	addr         string   // 127.0.0.1:port
	readyTimeout time.Duration
	scrape       time.Duration // scrape interval and timeout
	logs         *logBuffer
	api          v1.API

	mu   sync.Mutex
	proc *process // nil while stopped
}

// startAttempts is how many ports Start tries when another process takes the chosen port
// between picking it and Prometheus binding it.
const startAttempts = 3

// Start launches a real Prometheus server on a free loopback port for the test and stops it
// in t.Cleanup. It finds the binary in $VIGIL_PROMETHEUS, on PATH, or at
// <repo>/.bin/prometheus; when none exists it calls t.Fatalf with the exact command that
// installs one (scripts/install-prometheus.sh) - never t.Skip: a missing Prometheus is a
// failed test. Start returns once /-/ready answers 200. When the test fails, Prometheus's
// log is written to the test log.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := prepare(t, opts)
	if err != nil {
		t.Fatalf("promtest.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("promtest: stopping prometheus: %v", err)
		}
		if t.Failed() {
			t.Logf("promtest: prometheus (%s) log:\n%s", s.binary, s.logs.String())
		}
	})
	for attempt := 1; ; attempt++ {
		addr, err := freeLoopbackAddr()
		if err != nil {
			t.Fatalf("promtest.Start: %v", err)
		}
		s.setAddr(addr)
		err = s.launchAndWait(s.readyTimeout)
		if err == nil {
			return s
		}
		if !errors.Is(err, errAddrInUse) || attempt == startAttempts {
			t.Fatalf("promtest.Start: %v (attempt %d of %d)", err, attempt, startAttempts)
		}
	}
}

// prepare finds the binary and writes the configuration, the initial targets and the
// directories of a Server under t.TempDir(), without starting it. The TempDir's removal
// is registered before the caller's stop cleanup, so it runs after Prometheus has exited
// (cleanups run last-in first-out).
func prepare(t testing.TB, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	binary, err := findBinary(defaultBinaryLookup())
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	targetsDir := filepath.Join(dir, "targets")
	dataDir := filepath.Join(dir, "data")
	configFile := filepath.Join(dir, "prometheus.yml")
	for _, d := range []string{targetsDir, dataDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
	}
	for _, g := range opts.Targets {
		if err := writeTargets(targetsDir, g); err != nil {
			return nil, err
		}
	}
	if err := writeConfig(configFile, targetsDir, opts.ScrapeInterval, opts.EvaluationInterval); err != nil {
		return nil, err
	}
	args := []string{
		"--config.file=" + configFile,
		"--storage.tsdb.path=" + dataDir,
		"--web.enable-lifecycle",
		"--log.level=info",
	}
	if opts.LookbackDelta > 0 {
		args = append(args, "--query.lookback-delta="+opts.LookbackDelta.String())
	}
	args = append(args, opts.ExtraFlags...)
	return &Server{
		t:            t,
		binary:       binary,
		targetsDir:   targetsDir,
		dataDir:      dataDir,
		args:         args,
		readyTimeout: opts.ReadyTimeout,
		scrape:       opts.ScrapeInterval,
		logs:         &logBuffer{},
	}, nil
}

// setAddr records the listen address and builds the API client for it.
func (s *Server) setAddr(addr string) {
	client, err := api.NewClient(api.Config{Address: "http://" + addr})
	if err != nil {
		// The address is built from a loopback IP and a port: it always parses.
		panic(fmt.Sprintf("promtest: api client for %s: %v", addr, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = addr
	s.api = v1.NewAPI(client)
}

// URL returns the server's base URL, "http://127.0.0.1:PORT". It stays valid across Kill
// and Restart.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Addr returns the server's "127.0.0.1:PORT" listen address.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// API returns a client_golang v1 API client for the server.
func (s *Server) API() v1.API {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.api
}

// Binary returns the path of the Prometheus binary the server runs.
func (s *Server) Binary() string { return s.binary }

// Logs returns everything Prometheus has written to stdout and stderr so far (the most
// recent 1 MiB).
func (s *Server) Logs() string { return s.logs.String() }

// SetTargets makes job's scrape targets exactly targets, each labelled with labels (plus
// job=<job>); an empty targets removes the job's targets. Prometheus notices the change
// through file_sd at once but applies it at most every 5 s. Call it from the test
// goroutine: a bad job or label name fails the test.
func (s *Server) SetTargets(job string, targets []string, labels map[string]string) {
	s.t.Helper()
	g := TargetGroup{Job: job, Targets: targets, Labels: labels}
	if err := g.validate(); err != nil {
		s.t.Fatalf("promtest.SetTargets: %v", err)
	}
	if err := writeTargets(s.targetsDir, g); err != nil {
		s.t.Fatalf("promtest.SetTargets: %v", err)
	}
}
