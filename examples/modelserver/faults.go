package modelserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults are the misbehaviours a model server simulates, settable at start (Options.Faults)
// and at run time (PUT /admin/faults). The zero value injects nothing.
type Faults struct {
	// ErrorRate is the probability in [0, 1] that an inference request fails with an
	// internal error (gRPC INTERNAL, HTTP 500), drawn independently per request. INTERNAL
	// is deliberately not UNAVAILABLE, so client retry policies do not hide the failure.
	ErrorRate float64
	// AddedLatency (in [0, MaxAddedLatency]) delays every inference request before it is answered.
	AddedLatency time.Duration
	// LatencyJitter (>= 0, <= AddedLatency) spreads the delay uniformly over
	// [AddedLatency-LatencyJitter, AddedLatency+LatencyJitter].
	LatencyJitter time.Duration
	// AdverseEventRate is the probability in [0, 1] that a successfully answered request
	// is followed by a simulated adverse-event report (clinical_adverse_events_total).
	AdverseEventRate float64
}

// Validate names the first field out of range.
func (f Faults) Validate() error {
	switch {
	case !(f.ErrorRate >= 0 && f.ErrorRate <= 1):
		return fmt.Errorf("error_rate %v: want a probability in [0, 1]", f.ErrorRate)
	case !(f.AdverseEventRate >= 0 && f.AdverseEventRate <= 1):
		return fmt.Errorf("adverse_event_rate %v: want a probability in [0, 1]", f.AdverseEventRate)
	case f.AddedLatency < 0 || f.AddedLatency > MaxAddedLatency:
		return fmt.Errorf("added_latency %v: want a duration in [0, %v]", f.AddedLatency, MaxAddedLatency)
	case f.LatencyJitter < 0:
		return fmt.Errorf("latency_jitter %v: want a duration >= 0", f.LatencyJitter)
	case f.LatencyJitter > f.AddedLatency:
		return fmt.Errorf("latency_jitter %v exceeds added_latency %v: the delay would go below zero; raise added_latency or lower latency_jitter", f.LatencyJitter, f.AddedLatency)
	}
	return nil
}

// MaxAddedLatency bounds Faults.AddedLatency.
const MaxAddedLatency = time.Hour

// faultsJSON is the wire form of Faults: durations as Go duration strings ("250ms").
type faultsJSON struct {
	ErrorRate        float64 `json:"error_rate"`
	AddedLatency     string  `json:"added_latency"`
	LatencyJitter    string  `json:"latency_jitter"`
	AdverseEventRate float64 `json:"adverse_event_rate"`
}

// MarshalJSON encodes {"error_rate":0,"added_latency":"0s","latency_jitter":"0s","adverse_event_rate":0}.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{
		ErrorRate:        f.ErrorRate,
		AddedLatency:     f.AddedLatency.String(),
		LatencyJitter:    f.LatencyJitter.String(),
		AdverseEventRate: f.AdverseEventRate,
	})
}

// UnmarshalJSON decodes the wire form strictly: unknown fields and malformed durations are
// errors naming the field. Omitted fields are zero (no such fault). The result is
// validated.
func (f *Faults) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w faultsJSON
	if err := dec.Decode(&w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf("faults: field %s: got a JSON %s, want a %s", typeErr.Field, typeErr.Value, faultFieldKind(typeErr.Field))
		}
		return fmt.Errorf("faults: %w (fields: error_rate, added_latency, latency_jitter, adverse_event_rate)", err)
	}
	parsed := Faults{ErrorRate: w.ErrorRate, AdverseEventRate: w.AdverseEventRate}
	for _, d := range []struct {
		field string
		text  string
		dst   *time.Duration
	}{{"added_latency", w.AddedLatency, &parsed.AddedLatency}, {"latency_jitter", w.LatencyJitter, &parsed.LatencyJitter}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return fmt.Errorf("faults: %s %q: want a duration such as 250ms: %w", d.field, d.text, err)
		}
		*d.dst = v
	}
	if err := parsed.Validate(); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	*f = parsed
	return nil
}

// faultFieldKind describes the JSON value a faults field takes.
func faultFieldKind(field string) string {
	if field == "added_latency" || field == "latency_jitter" {
		return `duration string such as "250ms"`
	}
	return "number between 0 and 1"
}

// faultPlan is what the injector decided for one request.
type faultPlan struct {
	delay   time.Duration
	fail    bool
	adverse bool
}

// faultInjector holds the current faults and the random source for the per-request draws.
type faultInjector struct {
	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
}

func newFaultInjector(f Faults, seed uint64) *faultInjector {
	return &faultInjector{faults: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.faults
}

// set replaces the faults; the caller has validated them.
func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults = f
}

// plan draws one request's faults. A rate of 0 never fires and 1 always does.
func (fi *faultInjector) plan() faultPlan {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.faults
	p := faultPlan{delay: f.AddedLatency}
	if f.LatencyJitter > 0 {
		span := 2*int64(f.LatencyJitter) + 1
		p.delay += time.Duration(fi.rng.Int64N(span)) - f.LatencyJitter
	}
	p.fail = f.ErrorRate > 0 && fi.rng.Float64() < f.ErrorRate
	p.adverse = f.AdverseEventRate > 0 && fi.rng.Float64() < f.AdverseEventRate
	return p
}
