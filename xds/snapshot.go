// Package xds translates Vigil's routing state into xDS resources for Envoy proxies and
// proxyless gRPC clients. Translation is a pure function of an immutable Snapshot: the same
// snapshot always yields byte-identical resources, sorted by name, on every replica.
//
// Serving those resources over ADS lives in the subpackage xds/serve.
package xds

import (
	"slices"
	"strconv"

	"github.com/seed70a3350f/vigil/router"
)

// TypeVersions are the per-type resource versions of a snapshot. Each is the index of the
// last replicated change that affected that type, so a weight change moves only Routes, and
// every replica serving the same state announces the same versions.
type TypeVersions struct {
	Listeners uint64 `json:"listeners"`
	Routes    uint64 `json:"routes"`
	Clusters  uint64 `json:"clusters"`
	Endpoints uint64 `json:"endpoints"`
}

// Max returns the highest of the four versions.
func (v TypeVersions) Max() uint64 {
	return max(v.Listeners, v.Routes, v.Clusters, v.Endpoints)
}

// FormatVersion renders a type version as the xDS version_info string.
func FormatVersion(v uint64) string { return strconv.FormatUint(v, 10) }

// ParseVersion parses a version_info string written by FormatVersion. ok is false for the
// empty string and for strings Vigil did not write.
func ParseVersion(s string) (v uint64, ok bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// ServiceState is one service with its versions and route table.
type ServiceState struct {
	Service router.Service
	// Versions of the service, sorted by version.
	Versions []router.ModelVersion
	// Routes is nil until a route table has been set; the service then has no weighted route.
	Routes *router.RouteTable
}

// Snapshot is an immutable view of all routing state at one revision of the store. Callers
// must not modify a Snapshot after handing it to Translate or a publisher.
type Snapshot struct {
	// StateIndex is the index of the replicated state the snapshot was read at (0 when the
	// source has none). It orders snapshots for Server.WaitPublished only; resource versions
	// come from Versions.
	StateIndex uint64
	Versions   TypeVersions
	// Services sorted by name.
	Services []ServiceState
}

// Normalize sorts services and versions into the canonical order Translate expects.
func (s *Snapshot) Normalize() {
	slices.SortFunc(s.Services, func(a, b ServiceState) int {
		switch {
		case a.Service.Name < b.Service.Name:
			return -1
		case a.Service.Name > b.Service.Name:
			return 1
		}
		return 0
	})
	for i := range s.Services {
		slices.SortFunc(s.Services[i].Versions, func(a, b router.ModelVersion) int { return a.Version.Compare(b.Version) })
	}
}

// Service returns the named service, or nil.
func (s *Snapshot) Service(name string) *ServiceState {
	i, ok := slices.BinarySearchFunc(s.Services, name, func(st ServiceState, n string) int {
		switch {
		case st.Service.Name < n:
			return -1
		case st.Service.Name > n:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return &s.Services[i]
}

// Source is where a publisher reads the routing state from; the replicated store
// implements it.
type Source interface {
	// RoutingSnapshot returns the current, normalized state and a channel closed at the next
	// change.
	RoutingSnapshot() (*Snapshot, <-chan struct{})
}
