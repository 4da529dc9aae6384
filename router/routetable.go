package router

import (
	"slices"
	"time"
)

// Defaults for the route policy of inference traffic. Envoy's own route timeout is 15 s,
// which silently cuts long inference; Vigil always sets one deliberately.
const (
	DefaultRouteTimeout = 120 * time.Second
	MaxRouteTimeout     = time.Hour
	DefaultNumRetries   = 1
	MaxNumRetries       = 10
)

// DefaultRetryOn are the conditions retried by default: failures to reach a backend, never
// a model's own error answers (retrying those would hide a failing canary from its triggers).
var DefaultRetryOn = []string{"connect-failure", "refused-stream", "unavailable"}

// RetryOnConditions lists the accepted retry_on values (Envoy's x-envoy-retry-on and
// x-envoy-retry-grpc-on names); gRPC clients use the gRPC status ones and ignore the rest.
var RetryOnConditions = []string{
	"5xx", "gateway-error", "reset", "connect-failure", "refused-stream", "retriable-4xx",
	"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

// Split is one version's share of the weighted route.
type Split struct {
	Version Version     `json:"version"`
	Weight  BasisPoints `json:"weight"`
}

// HeaderPin sends every request whose Header equals Value to Version, ahead of the weighted
// split (validation runs, testers). Header names are lower case.
type HeaderPin struct {
	Header  string  `json:"header"`
	Value   string  `json:"value"`
	Version Version `json:"version"`
}

// Mirror copies a share of the service's requests to Version and discards the answers
// (shadow traffic). Envoy honours it; proxyless gRPC clients cannot mirror.
type Mirror struct {
	Version Version     `json:"version"`
	Percent BasisPoints `json:"percent"`
}

// RetryPolicy is the per-route retry policy. Zero NumRetries disables retries.
type RetryPolicy struct {
	NumRetries    uint32   `json:"num_retries"`
	PerTryTimeout Duration `json:"per_try_timeout,omitempty"`
	RetryOn       []string `json:"retry_on,omitempty"`
}

// RouteTable is the routing of one service: header pins first, then the weighted split.
type RouteTable struct {
	Service string      `json:"service"`
	Split   []Split     `json:"split"`
	Pins    []HeaderPin `json:"pins,omitempty"`
	Mirror  *Mirror     `json:"mirror,omitempty"`
	// Timeout bounds a whole request including retries; zero means DefaultRouteTimeout.
	Timeout Duration `json:"timeout,omitempty"`
	// Retry nil means the default policy (DefaultNumRetries on DefaultRetryOn).
	Retry *RetryPolicy `json:"retry,omitempty"`
}

// EffectiveTimeout returns the timeout proxies enforce.
func (rt RouteTable) EffectiveTimeout() time.Duration {
	if rt.Timeout == 0 {
		return DefaultRouteTimeout
	}
	return rt.Timeout.Std()
}

// EffectiveRetry returns the retry policy proxies enforce.
func (rt RouteTable) EffectiveRetry() RetryPolicy {
	if rt.Retry == nil {
		return RetryPolicy{NumRetries: DefaultNumRetries, RetryOn: slices.Clone(DefaultRetryOn)}
	}
	r := *rt.Retry
	r.RetryOn = slices.Clone(r.RetryOn)
	if len(r.RetryOn) == 0 && r.NumRetries > 0 {
		r.RetryOn = slices.Clone(DefaultRetryOn)
	}
	return r
}

// WeightOf returns the weight of v in the split (0 when absent).
func (rt RouteTable) WeightOf(v Version) BasisPoints {
	for _, s := range rt.Split {
		if s.Version == v {
			return s.Weight
		}
	}
	return 0
}

// References reports whether the table sends any traffic to v: a non-zero weight, a pin or
// the mirror.
func (rt RouteTable) References(v Version) bool {
	if rt.WeightOf(v) > 0 {
		return true
	}
	for _, p := range rt.Pins {
		if p.Version == v {
			return true
		}
	}
	return rt.Mirror != nil && rt.Mirror.Version == v
}

// Clone returns a deep copy.
func (rt RouteTable) Clone() RouteTable {
	out := rt
	out.Split = slices.Clone(rt.Split)
	out.Pins = slices.Clone(rt.Pins)
	if rt.Mirror != nil {
		m := *rt.Mirror
		out.Mirror = &m
	}
	if rt.Retry != nil {
		r := *rt.Retry
		r.RetryOn = slices.Clone(rt.Retry.RetryOn)
		out.Retry = &r
	}
	return out
}

// Normalize sorts the split and pins into their canonical order (versions ascending, pins
// by header then value) and drops zero-weight split entries, so equal tables encode
// equally. It does not validate.
func (rt *RouteTable) Normalize() {
	rt.Split = slices.DeleteFunc(rt.Split, func(s Split) bool { return s.Weight == 0 })
	slices.SortFunc(rt.Split, func(a, b Split) int { return a.Version.Compare(b.Version) })
	slices.SortFunc(rt.Pins, func(a, b HeaderPin) int {
		if a.Header != b.Header {
			return cmpString(a.Header, b.Header)
		}
		return cmpString(a.Value, b.Value)
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Pin returns a copy of the table with a pin header=value -> v added or replaced.
func (rt RouteTable) Pin(header, value string, v Version) RouteTable {
	out := rt.Clone()
	out.Pins = slices.DeleteFunc(out.Pins, func(p HeaderPin) bool { return p.Header == header && p.Value == value })
	out.Pins = append(out.Pins, HeaderPin{Header: header, Value: value, Version: v})
	out.Normalize()
	return out
}

// Unpin returns a copy of the table without the pin header=value, and whether it existed.
func (rt RouteTable) Unpin(header, value string) (RouteTable, bool) {
	out := rt.Clone()
	n := len(out.Pins)
	out.Pins = slices.DeleteFunc(out.Pins, func(p HeaderPin) bool { return p.Header == header && p.Value == value })
	return out, len(out.Pins) != n
}
