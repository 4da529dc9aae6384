package clinical

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/seed70a3350f/vigil/internal/oip"
	"github.com/seed70a3350f/vigil/policies"
)

// Target is how to reach one version through the mesh.
type Target struct {
	// Version is the version that must answer, MAJOR.MINOR.PATCH-PHASE. Answers naming
	// any other version make the run INCONCLUSIVE.
	Version string
	// Conn carries the calls: a proxyless gRPC client of xds:///SERVICE in production,
	// any connection in tests.
	Conn grpc.ClientConnInterface
	// Model is the Open Inference Protocol model name (the service name for Vigil's demo
	// model servers). The request leaves model_version empty: the mesh, not the request,
	// chooses the server, and the answer says which version it was.
	Model string
	// Metadata are request metadata pairs (key, value, key, value, ...) that pin the
	// version, e.g. "x-vigil-version", "1.1.0-CLINICALVALID". At least one pair: a
	// validation never relies on the weighted split.
	Metadata []string
}

// pinnedBy renders the pinning metadata as "key=value, key=value".
func (t *Target) pinnedBy() string {
	parts := make([]string, 0, len(t.Metadata)/2)
	for i := 0; i+1 < len(t.Metadata); i += 2 {
		parts = append(parts, t.Metadata[i]+"="+t.Metadata[i+1])
	}
	return strings.Join(parts, ", ")
}

// Progress reports how far one target's calls have come.
type Progress struct {
	// Role is "candidate" or "comparator"; Version the target's version.
	Role    string
	Version string
	// Done calls of Total have completed; Failed of them failed.
	Done, Total, Failed int
}

// Config is one validation run.
type Config struct {
	// Spec is the clinical_validation block: criteria, confidence, minimums, subgroups,
	// interval, concurrency (cases in flight over all targets) and per-case timeout.
	// Required.
	Spec *policies.ClinicalValidation
	// Dataset is the golden set; when the spec pins dataset_sha256, Dataset.SHA256 must
	// equal it. Required.
	Dataset *Dataset
	// Candidate is the version under validation. Required.
	Candidate Target
	// Comparator is the version the candidate is compared with, paired on the same cases;
	// required when the spec has paired criteria, and must be nil when the spec says
	// against = "none". When the spec names a version, Comparator.Version must be it.
	Comparator *Target
	// PolicyHash is the hash of the policy the spec came from, recorded in the evidence.
	PolicyHash string
	// MaxFailureFraction in [0, 1) is the share of failed calls per target above which
	// the run is INCONCLUSIVE; 0 tolerates none. Set DefaultMaxFailureFraction (5 %)
	// unless the validation protocol says otherwise.
	MaxFailureFraction float64
	// Progress, when set, is called after each completed call, from the goroutine that
	// called Run (never concurrently).
	Progress func(Progress)
	// Now is the clock for the evidence timestamps and the rate; nil means time.Now.
	Now func() time.Time
}

var versionPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})-(PRECLINICAL|CLINICALINV|CLINICALVALID|PRODUCTION|FDAAPPROVED|CEMARKED|POSTMARKET)$`)

func (c *Config) validate() error {
	spec := c.Spec
	switch {
	case spec == nil:
		return configErrorf("no spec: give the clinical_validation block to run")
	case c.Dataset == nil:
		return configErrorf("no data set: load the spec's dataset with LoadCSV or LoadJSONL")
	case spec.Concurrency < 1 || spec.Concurrency > policies.MaxConcurrency:
		return configErrorf("spec concurrency %d outside [1, %d]", spec.Concurrency, policies.MaxConcurrency)
	case spec.Timeout <= 0:
		return configErrorf("spec timeout %v: want a positive per-case timeout, e.g. 5s", spec.Timeout)
	}
	if err := checkTarget("candidate", &c.Candidate); err != nil {
		return err
	}
	if c.Comparator == nil {
		for i := range spec.Require {
			if spec.Require[i].Paired() {
				return configErrorf("spec require[%d] (%s) compares with another version: give a comparator target", i, spec.Require[i].Source)
			}
		}
	}
	if c.Comparator != nil {
		if spec.Against.Kind == policies.AgainstNone {
			return configErrorf("spec %q says against = \"none\" but a comparator target was given", spec.Name)
		}
		if err := checkTarget("comparator", c.Comparator); err != nil {
			return err
		}
		if spec.Against.Kind == policies.AgainstVersion && c.Comparator.Version != spec.Against.Version {
			return configErrorf("comparator version %s: spec %q compares against %s", c.Comparator.Version, spec.Name, spec.Against.Version)
		}
	}
	if spec.DatasetSHA256 != "" && !strings.EqualFold(spec.DatasetSHA256, c.Dataset.SHA256) {
		return fmt.Errorf("%w: data set %s has sha256 %s, spec %q pins %s: use the pinned file or update dataset_sha256",
			ErrDatasetMismatch, c.Dataset.Name, c.Dataset.SHA256, spec.Name, spec.DatasetSHA256)
	}
	return nil
}

func checkTarget(role string, t *Target) error {
	switch {
	case !versionPattern.MatchString(t.Version):
		return configErrorf("%s version %q: want MAJOR.MINOR.PATCH-PHASE, e.g. 1.1.0-CLINICALVALID", role, t.Version)
	case t.Conn == nil:
		return configErrorf("%s %s: no connection", role, t.Version)
	case t.Model == "":
		return configErrorf("%s %s: no model name: give the Open Inference Protocol model (the service name)", role, t.Version)
	case len(t.Metadata) == 0 || len(t.Metadata)%2 != 0:
		return configErrorf("%s %s: metadata %q: want key, value pairs that pin the version (at least one)", role, t.Version, t.Metadata)
	}
	return nil
}

// Run replays the data set through the mesh to the candidate (and the comparator), one
// ModelInfer call per case and target with the pinning metadata, a per-case timeout of
// Spec.Timeout and at most Spec.Concurrency calls in flight, interleaving the targets so
// both see the same conditions. Then it evaluates the answers (see Evaluate) and fills
// in the policy hash and timing.
//
// Failed calls are not errors: they are evidence, counted in the Result. Run returns an
// error only when it cannot produce evidence: an invalid Config (ErrInvalidConfig), a
// data set that is not the pinned one (ErrDatasetMismatch), a request that cannot be
// built from a case, or ctx ending before every call completed (the error wraps
// ctx.Err()).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	targets := []*Target{&cfg.Candidate}
	if cfg.Comparator != nil {
		targets = append(targets, cfg.Comparator)
	}
	requests := make([]*oip.ModelInferRequest, len(cfg.Dataset.Cases))
	for i, c := range cfg.Dataset.Cases {
		req, err := oip.NewModelInferRequest(cfg.Candidate.Model, "", c.ID, [][]float64{c.Features})
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", c.ID, err)
		}
		requests[i] = req
	}
	started := now()
	answers, err := collect(ctx, &cfg, targets, requests)
	finished := now()
	if err != nil {
		return nil, err
	}
	obs := Observations{Spec: cfg.Spec, Dataset: cfg.Dataset, Candidate: answers[0], MaxFailureFraction: cfg.MaxFailureFraction}
	if cfg.Comparator != nil {
		obs.Comparator = &answers[1]
	}
	res, err := Evaluate(obs)
	if err != nil {
		return nil, err
	}
	res.PolicyHash = cfg.PolicyHash
	res.Timing = timing(started.UTC(), finished.UTC(), len(cfg.Dataset.Cases), len(targets))
	return res, nil
}

func timing(started, finished time.Time, cases, targets int) Timing {
	t := Timing{StartedAt: started, FinishedAt: finished, Calls: cases * targets,
		Seconds: undefined(), CallsPerSecond: undefined(), CasesPerSecond: undefined()}
	secs := finished.Sub(started).Seconds()
	t.Seconds = Float(secs)
	if secs > 0 {
		t.CallsPerSecond = Float(float64(t.Calls) / secs)
		t.CasesPerSecond = Float(float64(cases) / secs)
	}
	return t
}

// job is one call: case i to target t.
type job struct{ t, i int }

type done struct {
	job
	answer Answer
}

// collect makes every call and returns the answers per target. Workers are owned here:
// all have returned when collect returns.
func collect(ctx context.Context, cfg *Config, targets []*Target, requests []*oip.ModelInferRequest) ([]Answers, error) {
	n := len(requests)
	answers := make([]Answers, len(targets))
	clients := make([]oip.GRPCInferenceServiceClient, len(targets))
	for t, tg := range targets {
		answers[t] = Answers{Version: tg.Version, PinnedBy: tg.pinnedBy(), Cases: make([]Answer, n)}
		clients[t] = oip.NewGRPCInferenceServiceClient(tg.Conn)
	}
	total := n * len(targets)
	jobs := make(chan job)
	results := make(chan done, total)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	workers := min(int(cfg.Spec.Concurrency), total)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				tg := targets[j.t]
				results <- done{j, infer(runCtx, clients[j.t], tg, requests[j.i], cfg.Spec.Timeout, cfg.Dataset)}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < n; i++ {
			for t := range targets {
				select {
				case jobs <- job{t: t, i: i}:
				case <-runCtx.Done():
					return
				}
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	progress := make([]Progress, len(targets))
	for t, tg := range targets {
		role := "candidate"
		if t > 0 {
			role = "comparator"
		}
		progress[t] = Progress{Role: role, Version: tg.Version, Total: n}
	}
	received := 0
	for d := range results {
		received++
		answers[d.t].Cases[d.i] = d.answer
		p := &progress[d.t]
		p.Done++
		if d.answer.Status == AnswerFailed {
			p.Failed++
		}
		if cfg.Progress != nil {
			cfg.Progress(*p)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("clinical validation %q stopped after %d of %d calls: %w", cfg.Spec.Name, received, total, err)
	}
	return answers, nil
}
