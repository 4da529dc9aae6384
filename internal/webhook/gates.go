package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// GateRequest is the JSON body sent to a gate webhook.
type GateRequest struct {
	Rollout   string    `json:"rollout"`
	Service   string    `json:"service"`
	Position  string    `json:"position"`
	Stable    string    `json:"stable"`
	Candidate string    `json:"candidate"`
	Phase     string    `json:"phase"`
	Step      int       `json:"step"`
	At        time.Time `json:"at"`
}

// GateResponse is what a gate may answer: HTTP 200 approves unless the body says
// {"approved": false}; any other status, a timeout or an error refuses.
type GateResponse struct {
	Approved *bool  `json:"approved,omitempty"`
	By       string `json:"by,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Gates asks a plan's gate webhooks in the background and remembers the answers. A
// position with no webhook gate waits for a person (meshctl rollout promote).
type Gates struct {
	client   *http.Client
	lookup   PolicyLookup
	log      hclog.Logger
	interval time.Duration

	mu      sync.Mutex
	pending map[string]*gateAsk // rollout/position
}

type gateAsk struct {
	asking  bool
	last    time.Time
	answer  *rollout.GateAnswer
	refused string
}

// NewGates returns a gate client that re-asks refusing gates every interval (default 5s).
func NewGates(lookup PolicyLookup, log hclog.Logger, interval time.Duration) *Gates {
	if interval == 0 {
		interval = 5 * time.Second
	}
	return &Gates{client: &http.Client{}, lookup: lookup, log: log.Named("gates"), interval: interval, pending: map[string]*gateAsk{}}
}

// gatesAt returns the webhook gates of the rollout's plan at a position.
func (g *Gates) gatesAt(r *api.RolloutRecord, position string) []policies.Gate {
	svc := g.lookup(r)
	if svc == nil {
		return nil
	}
	plan, ok := svc.Plan(r.Spec.Plan).(*policies.CanaryPlan)
	if !ok {
		return nil
	}
	var out []policies.Gate
	for _, gate := range plan.Gates {
		for _, at := range gate.At {
			if at.String() == position {
				out = append(out, gate)
			}
		}
	}
	return out
}

// Ask starts asking (or returns the answer of) the gates of a position. It returns nil
// while no approval has been given; the approval once every gate at the position said yes.
func (g *Gates) Ask(ctx context.Context, r *api.RolloutRecord, position string) *rollout.GateAnswer {
	gates := g.gatesAt(r, position)
	if len(gates) == 0 {
		return nil // a person approves with meshctl rollout promote
	}
	key := r.Spec.ID + "/" + position
	if r.Status.Gate != nil && r.Status.Gate.Position == "before_step" {
		key += fmt.Sprintf("/%d", r.Status.Gate.Step)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.pending[key]
	if a == nil {
		a = &gateAsk{}
		g.pending[key] = a
	}
	if a.answer != nil {
		return a.answer
	}
	if a.asking || time.Since(a.last) < g.interval && !a.last.IsZero() {
		return nil
	}
	a.asking = true
	req := GateRequest{Rollout: r.Spec.ID, Service: r.Spec.Service, Position: position, Stable: r.Spec.Stable.String(),
		Candidate: r.Spec.Candidate.String(), Phase: r.Status.Phase.String(), Step: r.Status.Step + 1, At: time.Now().UTC()}
	go g.askAll(key, gates, req)
	return nil
}

func (g *Gates) askAll(key string, gates []policies.Gate, req GateRequest) {
	var answer *rollout.GateAnswer
	refused := ""
	var by []string
	for _, gate := range gates {
		resp, err := g.ask(gate, req)
		if err != nil {
			refused = fmt.Sprintf("gate %s: %v", gate.Name, err)
			break
		}
		if resp.Approved != nil && !*resp.Approved {
			refused = fmt.Sprintf("gate %s refused: %s", gate.Name, resp.Reason)
			break
		}
		who := "gate " + gate.Name
		if resp.By != "" {
			who += " (" + resp.By + ")"
		}
		by = append(by, who)
	}
	if refused == "" {
		answer = &rollout.GateAnswer{Approved: true, By: fmt.Sprint(by), Reason: "approved by webhook"}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.pending[key]
	a.asking = false
	a.last = time.Now()
	a.answer = answer
	a.refused = refused
	if refused != "" {
		g.log.Info("gate not approved yet", "gate", key, "why", refused)
	}
}

func (g *Gates) ask(gate policies.Gate, req GateRequest) (GateResponse, error) {
	timeout := gate.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, gate.URL, bytes.NewReader(body))
	if err != nil {
		return GateResponse{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := g.client.Do(hr)
	if err != nil {
		return GateResponse{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return GateResponse{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	var out GateResponse
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			return GateResponse{}, fmt.Errorf("answer is not JSON: %w", err)
		}
	}
	return out, nil
}
