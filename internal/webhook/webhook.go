// Package webhook delivers rollout events to the notification webhooks of a policy (a JSON
// event or a Slack-compatible message, with retries) and asks gate webhooks for approval
// (with timeouts; anything but an explicit approval is a refusal).
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
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router/rollout"
)

// Event is the JSON body of a notification.
type Event struct {
	Rollout   string    `json:"rollout"`
	Service   string    `json:"service"`
	Strategy  string    `json:"strategy"`
	Stable    string    `json:"stable"`
	Candidate string    `json:"candidate"`
	Phase     string    `json:"phase"`
	Step      int       `json:"step"`
	Kind      string    `json:"kind"`
	Message   string    `json:"message"`
	At        time.Time `json:"at"`
}

// PolicyLookup returns the parsed policy a rollout follows.
type PolicyLookup func(r *api.RolloutRecord) *policies.Service

// Notifier sends events in the background, in order per webhook, retrying failures with
// backoff (Attempts times). Sending never blocks the controller.
type Notifier struct {
	client   *http.Client
	lookup   PolicyLookup
	log      hclog.Logger
	attempts int
	backoff  time.Duration
	queue    chan delivery
	sent     *prometheus.CounterVec
	wg       sync.WaitGroup
	cancel   context.CancelFunc
}

type delivery struct {
	url     string
	body    []byte
	rollout string
}

// NewNotifier starts a notifier; Close stops it after the queued deliveries are tried.
func NewNotifier(lookup PolicyLookup, log hclog.Logger, reg prometheus.Registerer) *Notifier {
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{
		client: &http.Client{Timeout: 10 * time.Second}, lookup: lookup, log: log.Named("notify"),
		attempts: 4, backoff: 500 * time.Millisecond, queue: make(chan delivery, 1024), cancel: cancel,
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_notifications_total",
			Help: "Notification deliveries by outcome (sent, failed after retries, dropped)."}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(n.sent)
	}
	n.wg.Add(1)
	go n.run(ctx)
	return n
}

// Close stops the notifier.
func (n *Notifier) Close() {
	n.cancel()
	n.wg.Wait()
}

// kinds maps the state machine's events to the policy's notification event names.
var kinds = map[string]string{
	string(rollout.EventStarted): "started", string(rollout.EventStep): "advanced", string(rollout.EventPaused): "paused",
	string(rollout.EventGate): "awaiting_confirmation", string(rollout.EventWarning): "warning", string(rollout.EventPromoted): "promoted",
	string(rollout.EventRollingBack): "rolled_back", string(rollout.EventRolledBack): "rolled_back", string(rollout.EventAborted): "aborted",
	string(rollout.EventFailed): "rolled_back", string(rollout.EventAlert): "warning", string(rollout.EventValidation): "advanced",
	string(rollout.EventResumed): "advanced",
}

// Notify queues e for every notification webhook of the rollout's plan that wants it.
func (n *Notifier) Notify(r *api.RolloutRecord, e api.RolloutEvent) {
	svc := n.lookup(r)
	if svc == nil {
		return
	}
	plan := svc.Plan(r.Spec.Plan)
	if plan == nil {
		return
	}
	ev := Event{Rollout: r.Spec.ID, Service: r.Spec.Service, Strategy: r.Spec.Strategy.String(), Stable: r.Spec.Stable.String(),
		Candidate: r.Spec.Candidate.String(), Phase: e.Phase, Step: r.Status.Step + 1, Kind: e.Kind, Message: e.Message, At: e.At}
	for _, hook := range plan.PlanNotifications() {
		if !wants(hook, kinds[e.Kind]) {
			continue
		}
		body, err := encode(hook.Format, ev)
		if err != nil {
			n.log.Error("notification not encodable", "error", err)
			continue
		}
		select {
		case n.queue <- delivery{url: hook.URL, body: body, rollout: r.Spec.ID}:
		default:
			n.sent.WithLabelValues("dropped").Inc()
			n.log.Error("notification queue full; event dropped", "rollout", r.Spec.ID, "event", e.Kind)
		}
	}
}

func wants(hook policies.Notification, kind string) bool {
	if len(hook.Events) == 0 {
		return true
	}
	for _, e := range hook.Events {
		if e.String() == kind {
			return true
		}
	}
	return false
}

// encode renders an event as Vigil's JSON or as a Slack incoming-webhook message.
func encode(format policies.NotifyFormat, ev Event) ([]byte, error) {
	if format == policies.NotifySlack {
		icon := map[string]string{"rolling_back": ":rotating_light:", "rolled_back": ":leftwards_arrow_with_hook:", "promoted": ":white_check_mark:",
			"warning": ":warning:", "alert": ":warning:", "failed": ":x:", "aborted": ":octagonal_sign:"}[ev.Kind]
		if icon == "" {
			icon = ":information_source:"
		}
		return json.Marshal(map[string]any{
			"text": fmt.Sprintf("%s *%s* %s: %s", icon, ev.Service, ev.Kind, ev.Message),
			"blocks": []map[string]any{{
				"type": "section",
				"text": map[string]string{"type": "mrkdwn", "text": fmt.Sprintf("%s *%s* `%s` → `%s` (%s, %s)\n%s", icon, ev.Service, ev.Stable, ev.Candidate, ev.Strategy, ev.Phase, ev.Message)},
			}},
		})
	}
	return json.Marshal(ev)
}

func (n *Notifier) run(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-n.queue:
			n.deliver(ctx, d)
		}
	}
}

func (n *Notifier) deliver(ctx context.Context, d delivery) {
	wait := n.backoff
	var last error
	for attempt := 1; attempt <= n.attempts; attempt++ {
		if last = n.post(ctx, d); last == nil {
			n.sent.WithLabelValues("sent").Inc()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
	n.sent.WithLabelValues("failed").Inc()
	n.log.Warn("notification not delivered", "rollout", d.rollout, "url", d.url, "attempts", n.attempts, "error", last)
}

func (n *Notifier) post(ctx context.Context, d delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
