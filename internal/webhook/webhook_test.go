package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

func policyWith(t *testing.T, hooks string) *policies.Service {
	t.Helper()
	src := fmt.Sprintf(`service "svc" {
  evaluation_interval = "1s"
  canary "c" {
    step {
      weight = 10
      bake   = "1s"
    }
    %s
  }
}
`, hooks)
	p, diags := policies.Parse("p.hcl", []byte(src), nil)
	if diags.HasErrors() {
		t.Fatal(policies.DiagnosticsError(diags))
	}
	return p.Service("svc")
}

func record() *api.RolloutRecord {
	return &api.RolloutRecord{Spec: rollout.Spec{ID: "svc-1", Service: "svc", Plan: "c", Strategy: rollout.Canary,
		Stable: router.MustParseVersion("1.0.0-PRODUCTION"), Candidate: router.MustParseVersion("1.1.0-CLINICALVALID")},
		Status: rollout.Status{Phase: rollout.RollingBack, Step: 0}}
}

func TestNotifierRetriesAndFormats(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
	}))
	defer srv.Close()
	svc := policyWith(t, fmt.Sprintf(`notify {
      url    = %q
      format = "slack"
    }`, srv.URL))
	n := NewNotifier(func(*api.RolloutRecord) *policies.Service { return svc }, hclog.NewNullLogger(), nil)
	n.backoff = 10 * time.Millisecond
	defer n.Close()
	n.Notify(record(), api.RolloutEvent{At: time.Now(), Phase: "RollingBack", Kind: string(rollout.EventRollingBack), Message: "trigger canary/accuracy breached: 0.61 < 0.80"})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || calls.Load() != 3 {
		t.Fatalf("delivered %d after %d calls; want 1 after 2 failures", len(bodies), calls.Load())
	}
	text, _ := bodies[0]["text"].(string)
	if !strings.Contains(text, "svc") || !strings.Contains(text, "0.61 < 0.80") || bodies[0]["blocks"] == nil {
		t.Fatalf("slack message = %v", bodies[0])
	}
}

func TestNotifierEventFilter(t *testing.T) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Rollout != "svc-1" {
			t.Errorf("bad JSON event: %v %+v", err, ev)
		}
		got.Add(1)
	}))
	defer srv.Close()
	svc := policyWith(t, fmt.Sprintf(`notify {
      url    = %q
      events = ["promoted"]
    }`, srv.URL))
	n := NewNotifier(func(*api.RolloutRecord) *policies.Service { return svc }, hclog.NewNullLogger(), nil)
	n.Notify(record(), api.RolloutEvent{Kind: string(rollout.EventStep), Message: "step"})
	n.Notify(record(), api.RolloutEvent{Kind: string(rollout.EventPromoted), Message: "done"})
	time.Sleep(300 * time.Millisecond)
	n.Close()
	if got.Load() != 1 {
		t.Fatalf("%d notifications, want only the promotion", got.Load())
	}
}

func TestGates(t *testing.T) {
	var approve atomic.Bool
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Second)
	}))
	defer slow.Close()
	board := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req GateRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Position != "before_promotion" || req.Candidate != "1.1.0-CLINICALVALID" {
			t.Errorf("gate request %+v", req)
		}
		if approve.Load() {
			fmt.Fprint(w, `{"approved": true, "by": "CAB"}`)
			return
		}
		fmt.Fprint(w, `{"approved": false, "reason": "change freeze"}`)
	}))
	defer board.Close()
	svc := policyWith(t, fmt.Sprintf(`gate "board" {
      url = %q
      at  = ["before_promotion"]
    }
    gate "slow" {
      url     = %q
      timeout = "200ms"
      at      = ["before_start"]
    }`, board.URL, slow.URL))
	g := NewGates(func(*api.RolloutRecord) *policies.Service { return svc }, hclog.NewNullLogger(), 50*time.Millisecond)
	ctx := context.Background()
	rec := record()
	wait := func(position string, want bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if a := g.Ask(ctx, rec, position); a != nil {
				if !want {
					t.Fatalf("%s approved: %+v", position, a)
				}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		if want {
			t.Fatalf("%s never approved", position)
		}
	}
	wait("before_promotion", false)
	wait("before_start", false) // the timeout refuses
	approve.Store(true)
	wait("before_promotion", true)
	if g.Ask(ctx, rec, "before_step") != nil {
		t.Fatal("a position without webhook gates was approved by nobody")
	}
}

// A blue-green plan's notify blocks receive its rollout's events like a canary's do: a
// switch back to blue must reach the people on call as surely as a canary rollback.
func TestNotifierBlueGreenPlan(t *testing.T) {
	events := make(chan Event, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("bad JSON event: %v", err)
		}
		events <- ev
	}))
	defer srv.Close()
	src := fmt.Sprintf(`service "svc" {
  evaluation_interval = "1s"
  blue_green "bg" {
    post_switch_window   = "1m"
    fast_rollback_window = "5m"
    notify {
      url    = %q
      events = ["rolled_back"]
    }
  }
}
`, srv.URL)
	p, diags := policies.Parse("p.hcl", []byte(src), nil)
	if diags.HasErrors() {
		t.Fatal(policies.DiagnosticsError(diags))
	}
	svc := p.Service("svc")
	rec := record()
	rec.Spec.Plan, rec.Spec.Strategy = "bg", rollout.BlueGreen
	n := NewNotifier(func(*api.RolloutRecord) *policies.Service { return svc }, hclog.NewNullLogger(), nil)
	defer n.Close()
	n.Notify(rec, api.RolloutEvent{Kind: string(rollout.EventStep), Message: "switched"})
	n.Notify(rec, api.RolloutEvent{Kind: string(rollout.EventRollingBack), Message: "trigger green/error_rate breached"})
	select {
	case ev := <-events:
		if ev.Strategy != rollout.BlueGreen.String() || !strings.Contains(ev.Message, "error_rate") {
			t.Fatalf("event = %+v, want the blue-green rollback", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the blue-green plan's notify block received nothing")
	}
	select {
	case ev := <-events:
		t.Fatalf("the filtered step event was delivered: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}
