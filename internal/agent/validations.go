package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/xds"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/oip"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/controller"
	"github.com/seed70a3350f/vigil/router/rollout"
	"github.com/seed70a3350f/vigil/safety/clinical"
)

// Validation record states.
const (
	validationRunning  = "running"
	validationFinished = "finished"
)

// routeWaitTimeout bounds how long a run waits for its own proxyless client to route a
// pin to the pinned version before it starts; after that it runs anyway and every answer
// from another version makes the verdict INCONCLUSIVE.
const routeWaitTimeout = 30 * time.Second

// validationRequest is one clinical validation run to perform.
type validationRequest struct {
	Service string
	Spec    *policies.ClinicalValidation
	// Dataset is the data set's file name (it selects CSV or JSON Lines) and content.
	DatasetName string
	Dataset     []byte
	// Candidate and Comparator (nil for against = "none") are the versions, each reached
	// through the metadata pair that pins it.
	Candidate, Comparator *validationTarget
	Policy, PolicyHash    string
	Rollout               string
	By                    string
}

type validationTarget struct {
	Version     string
	Header, Pin string
}

// validations runs clinical validation runs on this node: each in a goroutine owned by the
// agent, through a proxyless gRPC client of the service that resolves through this node's
// own xDS server, so the run sees exactly the routes proxies see. Start and finish are
// committed through Raft; a run's evidence is the finished record.
type validations struct {
	a *Agent

	mu      sync.Mutex
	running map[string]context.CancelFunc // key (rollout id or run id) -> cancel
	conns   map[string]*grpc.ClientConn   // service -> client
}

var _ controller.Validations = (*validations)(nil)

func newValidations(a *Agent) *validations {
	return &validations{a: a, running: map[string]context.CancelFunc{}, conns: map[string]*grpc.ClientConn{}}
}

// close cancels the runs and closes the clients; the agent's wait group waits for the runs.
func (v *validations) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, cancel := range v.running {
		cancel()
	}
	for _, c := range v.conns {
		_ = c.Close()
	}
	v.conns = map[string]*grpc.ClientConn{}
}

// conn returns the proxyless client of a service, creating it on first use.
func (v *validations) conn(service string) (*grpc.ClientConn, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.conns[service]; ok {
		return c, nil
	}
	bootstrap := fmt.Sprintf(`{"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
"node": {"id": %q, "cluster": "vigil-validation", "metadata": {"vigil.kind": "grpc"}}}`, v.a.cfg.AdvertiseXDS, "vigil-validation-"+v.a.cfg.NodeID+"-"+service)
	// Each client gets its own resolver (and xDS stream) from an explicit bootstrap, so a
	// node needs no process-wide GRPC_XDS_BOOTSTRAP.
	builder, err := xds.NewXDSResolverWithConfigForTesting([]byte(bootstrap))
	if err != nil {
		return nil, fmt.Errorf("xDS resolver for validation client: %w", err)
	}
	c, err := grpc.NewClient("xds:///"+service, grpc.WithResolvers(builder), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("validation client of %s: %w", service, err)
	}
	v.conns[service] = c
	return c, nil
}

// Start implements controller.Validations: it begins the named validation of a rollout's
// candidate through the rollout's tester pin, compared (when the block says against =
// "current") with the rollout's stable version through its own pin. A run already going
// on for the rollout is left alone; a run left "running" by a former leader is closed as
// INCONCLUSIVE and started again.
func (v *validations) Start(ctx context.Context, r *api.RolloutRecord, name string) error {
	key := r.Spec.ID
	v.mu.Lock()
	_, busy := v.running[key]
	v.mu.Unlock()
	if busy {
		return nil
	}
	st := v.a.node.State()
	for _, old := range st.Validations(r.Spec.Service) {
		if old.Rollout == key && old.State == validationRunning {
			if err := v.finish(ctx, old.ID, clinical.Inconclusive.String(), "the node running this validation stopped leading; the run was started again", nil); err != nil {
				return err
			}
		}
	}
	req, err := v.rolloutRequest(st, r, name)
	if err == nil {
		_, err = loadDataset(req)
	}
	if err != nil {
		// A validation that cannot even start is a verdict, not a wait: the rollout gets
		// INCONCLUSIVE with the reason instead of waiting in Validating.
		return v.recordUnstartable(ctx, r, name, err)
	}
	_, err = v.start(key, req)
	return err
}

// recordUnstartable commits a finished INCONCLUSIVE run of a rollout's validation that
// could not start, with the reason.
func (v *validations) recordUnstartable(ctx context.Context, r *api.RolloutRecord, name string, cause error) error {
	now := time.Now().UTC()
	rec := api.ValidationRecord{ID: fmt.Sprintf("val-%s-%s-%d", r.Spec.Service, r.Spec.Candidate, now.UnixNano()),
		Service: r.Spec.Service, Version: r.Spec.Candidate.String(), Validation: name, Policy: r.Spec.Policy, PolicyHash: r.Spec.PolicyHash,
		Rollout: r.Spec.ID, StartedBy: "controller", StartedAt: now}
	if _, err := v.a.apply(ctx, raftstore.Command{Type: raftstore.CmdStartValidation, Header: v.a.header(ctx, "controller"),
		Body: raftstore.StartValidationBody{Validation: rec}}); err != nil {
		return fmt.Errorf("record validation that could not start (%v): %w", cause, err)
	}
	return v.finish(ctx, rec.ID, clinical.Inconclusive.String(), "the validation could not start: "+cause.Error(), nil)
}

// rolloutRequest builds the run of a rollout's validation from its pinned policy version.
func (v *validations) rolloutRequest(st *raftstore.State, r *api.RolloutRecord, name string) (validationRequest, error) {
	pol := policyVersion(st, r.Spec.Policy, r.Spec.PolicyHash)
	if pol == nil {
		return validationRequest{}, fmt.Errorf("rollout %s: policy %s at %s is not stored", r.Spec.ID, r.Spec.Policy, r.Spec.PolicyHash)
	}
	svc := v.a.policies.service(st, r)
	if svc == nil {
		return validationRequest{}, fmt.Errorf("rollout %s: policy %s does not govern %s", r.Spec.ID, r.Spec.Policy, r.Spec.Service)
	}
	spec := svc.ClinicalValidation(name)
	if spec == nil {
		return validationRequest{}, fmt.Errorf("rollout %s: policy %s has no clinical_validation %q", r.Spec.ID, r.Spec.Policy, name)
	}
	data, err := storedDataset(st, pol, spec)
	if err != nil {
		return validationRequest{}, err
	}
	if r.Spec.TesterPin == nil {
		return validationRequest{}, fmt.Errorf("rollout %s has no header pin for its candidate: a validation never relies on the weighted split", r.Spec.ID)
	}
	req := validationRequest{Service: r.Spec.Service, Spec: spec, DatasetName: spec.Dataset, Dataset: data,
		Candidate: &validationTarget{Version: r.Spec.Candidate.String(), Header: r.Spec.TesterPin.Header, Pin: r.Spec.TesterPin.Value},
		Policy:    pol.Name, PolicyHash: pol.Hash, Rollout: r.Spec.ID, By: "controller"}
	switch spec.Against.Kind {
	case policies.AgainstCurrent:
		req.Comparator = &validationTarget{Version: r.Spec.Stable.String(), Header: policies.DefaultValidationHeader, Pin: r.Spec.Stable.String()}
	case policies.AgainstVersion:
		req.Comparator = &validationTarget{Version: spec.Against.Version, Header: policies.DefaultValidationHeader, Pin: spec.Against.Version}
	}
	return req, nil
}

// storedDataset returns the data set a policy version uploaded for a validation block.
func storedDataset(st *raftstore.State, pol *api.PolicyRecord, spec *policies.ClinicalValidation) ([]byte, error) {
	if spec.DatasetIsURL() {
		return nil, fmt.Errorf("clinical_validation %q: data set %s is a URL; Vigil runs only data sets uploaded with the policy (meshctl policy apply uploads local files)", spec.Name, spec.Dataset)
	}
	sha, ok := pol.Datasets[spec.Dataset]
	if !ok {
		return nil, fmt.Errorf("clinical_validation %q: policy %s at %s has no uploaded data set %q: apply the policy again with meshctl policy apply", spec.Name, pol.Name, pol.Hash, spec.Dataset)
	}
	data := st.Dataset(sha)
	if data == nil {
		return nil, fmt.Errorf("clinical_validation %q: data set %q (sha256 %s) is not in the replicated state", spec.Name, spec.Dataset, sha)
	}
	return data, nil
}

// start commits the run's start and runs it in the background; it returns the run's id.
func (v *validations) start(key string, req validationRequest) (string, error) {
	ds, err := loadDataset(req)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	rec := api.ValidationRecord{
		ID:      fmt.Sprintf("val-%s-%s-%d", req.Service, req.Candidate.Version, now.UnixNano()),
		Service: req.Service, Version: req.Candidate.Version, Validation: req.Spec.Name,
		Policy: req.Policy, PolicyHash: req.PolicyHash, Dataset: ds.Name, DatasetSHA256: ds.SHA256,
		Rollout: req.Rollout, StartedBy: req.By, StartedAt: now,
	}
	if req.Comparator != nil {
		rec.Against = req.Comparator.Version
	}
	if key == "" {
		key = rec.ID
	}
	runCtx, cancel := context.WithCancel(v.a.ctx)
	v.mu.Lock()
	if _, busy := v.running[key]; busy {
		v.mu.Unlock()
		cancel()
		return "", &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("a validation run for %s is already going on", key)}
	}
	v.running[key] = cancel
	v.mu.Unlock()
	release := func() {
		v.mu.Lock()
		delete(v.running, key)
		v.mu.Unlock()
		cancel()
	}
	ctx, stop := context.WithTimeout(runCtx, 30*time.Second)
	_, err = v.a.apply(ctx, raftstore.Command{Type: raftstore.CmdStartValidation, Header: v.a.header(ctx, req.By),
		Body: raftstore.StartValidationBody{Validation: rec}})
	stop()
	if err != nil {
		release()
		return "", fmt.Errorf("record validation start: %w", err)
	}
	v.a.wg.Add(1)
	go func() {
		defer v.a.wg.Done()
		defer release()
		verdict, reason, evidence := v.run(runCtx, req, ds)
		ctx, stop := context.WithTimeout(context.WithoutCancel(runCtx), 30*time.Second)
		defer stop()
		if runCtx.Err() != nil {
			return // the node is stopping: the next leader closes and restarts the run
		}
		if err := v.finish(ctx, rec.ID, verdict, reason, evidence); err != nil {
			v.a.log.Error("validation result not recorded", "validation", rec.ID, "error", err)
		}
	}()
	v.a.kickController()
	return rec.ID, nil
}

// finish commits a run's verdict.
func (v *validations) finish(ctx context.Context, id, verdict, reason string, evidence json.RawMessage) error {
	_, err := v.a.apply(ctx, raftstore.Command{Type: raftstore.CmdFinishValidation, Header: v.a.header(ctx, "controller"),
		Body: raftstore.FinishValidationBody{ID: id, Verdict: verdict, Reason: reason, Evidence: evidence, At: time.Now().UTC()}})
	if err == nil {
		v.a.kickController()
	}
	return err
}

// run performs the calls and evaluates them; a run that cannot produce evidence is
// INCONCLUSIVE with the reason.
func (v *validations) run(ctx context.Context, req validationRequest, ds *clinical.Dataset) (verdict, reason string, evidence json.RawMessage) {
	inconclusive := func(err error) (string, string, json.RawMessage) {
		return clinical.Inconclusive.String(), err.Error(), nil
	}
	conn, err := v.conn(req.Service)
	if err != nil {
		return inconclusive(err)
	}
	probe, err := oip.NewModelInferRequest(req.Service, "", "route-probe", [][]float64{ds.Cases[0].Features})
	if err != nil {
		return inconclusive(fmt.Errorf("probe request: %w", err))
	}
	cfg := clinical.Config{Spec: req.Spec, Dataset: ds, PolicyHash: req.PolicyHash, MaxFailureFraction: clinical.DefaultMaxFailureFraction}
	cfg.Candidate = clinical.Target{Version: req.Candidate.Version, Conn: conn, Model: req.Service, Metadata: []string{req.Candidate.Header, req.Candidate.Pin}}
	waitRouted(ctx, conn, probe, req.Candidate)
	if req.Comparator != nil {
		cfg.Comparator = &clinical.Target{Version: req.Comparator.Version, Conn: conn, Model: req.Service, Metadata: []string{req.Comparator.Header, req.Comparator.Pin}}
		waitRouted(ctx, conn, probe, req.Comparator)
	}
	res, err := clinical.Run(ctx, cfg)
	if err != nil {
		return inconclusive(err)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return inconclusive(fmt.Errorf("encode evidence: %w", err))
	}
	return res.Verdict.String(), strings.Join(res.Reasons, "; "), raw
}

// waitRouted polls until a request pinned to t is answered by t's version, or until
// routeWaitTimeout; it returns either way (the run itself checks every answer's version).
func waitRouted(ctx context.Context, conn *grpc.ClientConn, probe *oip.ModelInferRequest, t *validationTarget) {
	client := oip.NewGRPCInferenceServiceClient(conn)
	deadline := time.Now().Add(routeWaitTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, t.Header, t.Pin), 5*time.Second)
		resp, err := client.ModelInfer(cctx, probe, grpc.WaitForReady(true))
		cancel()
		if err == nil && resp.GetModelVersion() == t.Version {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// loadDataset parses the request's data set: JSON Lines for .jsonl/.ndjson files, CSV
// otherwise.
func loadDataset(req validationRequest) (*clinical.Dataset, error) {
	name := path.Base(req.DatasetName)
	pos, neg := req.Spec.PositiveLabel, req.Spec.NegativeLabel
	switch strings.ToLower(path.Ext(name)) {
	case ".jsonl", ".ndjson":
		return clinical.LoadJSONL(name, req.Dataset, pos, neg, req.Spec.Subgroups)
	default:
		return clinical.LoadCSV(name, req.Dataset, pos, neg, req.Spec.Subgroups)
	}
}

// Result implements controller.Validations: the verdict of the rollout's latest finished
// run, once committed.
func (v *validations) Result(rolloutID string) (*rollout.ValidationResult, bool) {
	r := v.a.node.State().Rollout(rolloutID)
	if r == nil {
		return nil, false
	}
	var latest *api.ValidationRecord
	for _, rec := range v.a.node.State().Validations(r.Spec.Service) {
		if rec.Rollout == rolloutID && (latest == nil || rec.CreateIndex > latest.CreateIndex) {
			latest = rec
		}
	}
	if latest == nil || latest.State != validationFinished {
		return nil, false
	}
	verdicts := map[string]rollout.ValidationVerdict{"PASSED": rollout.ValidationPassed, "FAILED": rollout.ValidationFailed}
	verdict, ok := verdicts[latest.Verdict]
	if !ok {
		verdict = rollout.ValidationInconclusive
	}
	return &rollout.ValidationResult{RunID: latest.ID, Verdict: verdict, Reason: latest.Reason}, true
}

// StandaloneRun is a validation asked for by an operator (meshctl validate run), outside
// any rollout.
type StandaloneRun struct {
	Service string
	Version string
	// Against overrides the block's comparator: a version, "none", or "" for the block's
	// own (against = "current" means the version with the most weighted traffic).
	Against string
	// Validation names the policy's clinical_validation block; "" takes the first.
	Validation string
	// DatasetName and Dataset replace the block's data set when Dataset is non-empty.
	DatasetName string
	Dataset     []byte
	By          string
}

// startStandalone starts an operator's validation run on this node and returns its id.
// The candidate and comparator are reached through x-vigil-version pins; pins that are
// missing are added to the service's route table (a committed, audited route change that
// weighted traffic does not see) and removed again when the run ends.
func (v *validations) startStandalone(ctx context.Context, run StandaloneRun) (string, error) {
	rec, pol, err := v.a.parsedPolicyFor(run.Service)
	if err != nil {
		return "", err
	}
	svc := pol.Service(run.Service)
	if svc == nil || len(svc.ClinicalValidations) == 0 {
		return "", &api.Error{Code: api.CodePrecondition, Message: fmt.Sprintf("policy %s has no clinical_validation block for %s", rec.Name, run.Service),
			Hint: "add a clinical_validation block with its acceptance criteria to the policy and apply it"}
	}
	spec := &svc.ClinicalValidations[0]
	if run.Validation != "" {
		if spec = svc.ClinicalValidation(run.Validation); spec == nil {
			return "", &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("policy %s has no clinical_validation %q for %s", rec.Name, run.Validation, run.Service)}
		}
	}
	st := v.a.node.State()
	candidate, err := router.ParseVersion(run.Version)
	if err != nil {
		return "", &api.Error{Code: api.CodeInvalid, Message: err.Error()}
	}
	if st.Version(run.Service, candidate) == nil {
		return "", &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("version %s of %s is not registered", run.Version, run.Service),
			Hint: fmt.Sprintf("register it with `meshctl versions add %s %s ADDRESS`", run.Service, run.Version)}
	}
	routes := st.Routes(run.Service)
	if routes == nil {
		return "", &api.Error{Code: api.CodePrecondition, Message: fmt.Sprintf("service %s has no route table", run.Service)}
	}
	req := validationRequest{Service: run.Service, Spec: spec, Policy: rec.Name, PolicyHash: rec.Hash, By: run.By,
		Candidate: &validationTarget{Version: run.Version, Header: policies.DefaultValidationHeader, Pin: run.Version}}
	against := run.Against
	if against == "" {
		switch spec.Against.Kind {
		case policies.AgainstNone:
			against = "none"
		case policies.AgainstVersion:
			against = spec.Against.Version
		default:
			against = heaviest(routes.Split).String()
		}
	}
	if against != "none" {
		av, err := router.ParseVersion(against)
		if err != nil {
			return "", &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("against %q: %v", against, err)}
		}
		if av == candidate {
			return "", &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("against %s is the candidate itself: give another version or none", against)}
		}
		req.Comparator = &validationTarget{Version: av.String(), Header: policies.DefaultValidationHeader, Pin: av.String()}
	} else {
		spec = withoutPaired(spec)
		req.Spec = spec
	}
	if len(run.Dataset) > 0 {
		req.DatasetName, req.Dataset = run.DatasetName, run.Dataset
	} else {
		data, err := storedDataset(st, v.a.node.State().Policy(rec.Name), spec)
		if err != nil {
			return "", &api.Error{Code: api.CodePrecondition, Message: err.Error()}
		}
		req.DatasetName, req.Dataset = spec.Dataset, data
	}
	added, err := v.ensurePins(ctx, run.Service, req.Candidate, req.Comparator)
	if err != nil {
		return "", err
	}
	id, err := v.start("", req)
	if err != nil {
		v.removePins(run.Service, added)
		return "", err
	}
	if len(added) > 0 {
		v.a.wg.Add(1)
		go func() {
			defer v.a.wg.Done()
			v.waitFinished(id)
			v.removePins(run.Service, added)
		}()
	}
	return id, nil
}

// withoutPaired returns spec without its paired criteria (a run against "none").
func withoutPaired(spec *policies.ClinicalValidation) *policies.ClinicalValidation {
	out := *spec
	out.Require = nil
	for _, c := range spec.Require {
		if !c.Paired() {
			out.Require = append(out.Require, c)
		}
	}
	out.Against = policies.Comparator{Kind: policies.AgainstNone}
	return &out
}

// heaviest returns the version with the largest weight of a split.
func heaviest(split []router.Split) router.Version {
	var best router.Split
	for _, s := range split {
		if s.Weight > best.Weight {
			best = s
		}
	}
	return best.Version
}

// ensurePins adds the x-vigil-version pins of the targets that lack one and returns them.
func (v *validations) ensurePins(ctx context.Context, service string, targets ...*validationTarget) ([]*validationTarget, error) {
	cur := v.a.node.State().Routes(service)
	rt := cur.RouteTable.Clone()
	var added []*validationTarget
	for _, t := range targets {
		if t == nil || pinned(rt, t) {
			continue
		}
		rt = rt.Pin(t.Header, t.Pin, router.MustParseVersion(t.Version))
		added = append(added, t)
	}
	if len(added) == 0 {
		return nil, nil
	}
	cas := cur.ModifyIndex
	h := v.a.header(ctx, "validation")
	h.CAS = &cas
	h.Reason = "pin versions for a clinical validation run"
	if _, err := v.a.apply(ctx, raftstore.Command{Type: raftstore.CmdSetRoutes, Header: h, Body: raftstore.SetRoutesBody{Routes: rt}}); err != nil {
		return nil, fmt.Errorf("pin versions for the validation run: %w", err)
	}
	return added, nil
}

func pinned(rt router.RouteTable, t *validationTarget) bool {
	for _, p := range rt.Pins {
		if p.Header == t.Header && p.Value == t.Pin && p.Version.String() == t.Version {
			return true
		}
	}
	return false
}

// removePins removes pins a run added; a later change by someone else wins (check-and-set
// failures are logged, never retried over a newer table).
func (v *validations) removePins(service string, added []*validationTarget) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(v.a.ctx), 30*time.Second)
	defer cancel()
	cur := v.a.node.State().Routes(service)
	if cur == nil {
		return
	}
	rt := cur.RouteTable.Clone()
	for _, t := range added {
		rt, _ = rt.Unpin(t.Header, t.Pin)
	}
	cas := cur.ModifyIndex
	h := v.a.header(ctx, "validation")
	h.CAS = &cas
	h.Reason = "unpin versions after a clinical validation run"
	if _, err := v.a.apply(ctx, raftstore.Command{Type: raftstore.CmdSetRoutes, Header: h, Body: raftstore.SetRoutesBody{Routes: rt}}); err != nil {
		v.a.log.Warn("validation pins not removed", "service", service, "error", err)
	}
}

// waitFinished blocks until run id is finished or the node stops.
func (v *validations) waitFinished(id string) {
	for {
		st := v.a.node.State()
		ch := st.Changed()
		if rec := st.Validation(id); rec == nil || rec.State == validationFinished {
			return
		}
		select {
		case <-v.a.ctx.Done():
			return
		case <-ch:
		}
	}
}
