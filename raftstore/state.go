package raftstore

import (
	"maps"
	"slices"
	"sync"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

// Table names, used for per-table indexes and in audit entries.
const (
	TableServices    = "services"
	TableVersions    = "versions"
	TableRoutes      = "routes"
	TableMembers     = "members"
	TablePolicies    = "policies"
	TableRollouts    = "rollouts"
	TableValidations = "validations"
	TableMonitors    = "monitors"
	TableDatasets    = "datasets"
)

// State is the replicated state: every record the FSM holds, each carrying the log index
// that created and last modified it. It is changed only by the FSM's Apply and Restore;
// everyone else reads.
//
// Records are immutable once stored: a write replaces the record, never mutates it, so
// readers may keep the pointers they get. Callers must not modify returned records.
type State struct {
	mu       sync.RWMutex
	services map[string]*api.ServiceRecord
	versions map[versionKey]*api.VersionRecord
	routes   map[string]*api.RouteRecord
	members  map[string]*api.Member
	policies map[string]*api.PolicyRecord
	// policyHistory holds every applied version of every policy, oldest first.
	policyHistory []*api.PolicyRecord
	rollouts      map[string]*api.RolloutRecord
	validations   map[string]*api.ValidationRecord
	monitors      map[string]*api.MonitorRecord
	// datasets holds validation data sets by SHA-256 (hex).
	datasets map[string][]byte
	audit    []api.AuditEntry
	// tableIndex is the index of the last write to each table, deletes included.
	tableIndex map[string]uint64
	// applied is the index of the last log entry applied (or restored).
	applied uint64
	changed chan struct{}
}

type versionKey struct {
	service string
	version router.Version
}

// NewState returns an empty state.
func NewState() *State {
	return &State{
		services:    map[string]*api.ServiceRecord{},
		versions:    map[versionKey]*api.VersionRecord{},
		routes:      map[string]*api.RouteRecord{},
		members:     map[string]*api.Member{},
		policies:    map[string]*api.PolicyRecord{},
		rollouts:    map[string]*api.RolloutRecord{},
		validations: map[string]*api.ValidationRecord{},
		monitors:    map[string]*api.MonitorRecord{},
		datasets:    map[string][]byte{},
		tableIndex:  map[string]uint64{},
		changed:     make(chan struct{}),
	}
}

// Changed returns a channel closed at the next change of the state.
func (s *State) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// notifyLocked wakes the watchers; it must be called with the write lock held.
func (s *State) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// AppliedIndex returns the index of the last applied log entry.
func (s *State) AppliedIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// TableIndex returns the index of the last write to a table (0: never written).
func (s *State) TableIndex(table string) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tableIndex[table]
}

// Service returns a service, or nil.
func (s *State) Service(name string) *api.ServiceRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.services[name]
}

// Services returns every service sorted by name.
func (s *State) Services() []*api.ServiceRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.services, func(a, b *api.ServiceRecord) int { return compareStrings(a.Name, b.Name) })
}

// Version returns one version of a service, or nil.
func (s *State) Version(service string, v router.Version) *api.VersionRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.versions[versionKey{service, v}]
}

// Versions returns the versions of a service ("" for all services), sorted by service then
// version.
func (s *State) Versions(service string) []*api.VersionRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.versionsLocked(service)
}

func (s *State) versionsLocked(service string) []*api.VersionRecord {
	var out []*api.VersionRecord
	for k, v := range s.versions {
		if service == "" || k.service == service {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *api.VersionRecord) int {
		if c := compareStrings(a.Service, b.Service); c != 0 {
			return c
		}
		return a.Version.Compare(b.Version)
	})
	return out
}

// Routes returns the route table of a service, or nil.
func (s *State) Routes(service string) *api.RouteRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.routes[service]
}

// AllRoutes returns every route table sorted by service.
func (s *State) AllRoutes() []*api.RouteRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.routes, func(a, b *api.RouteRecord) int { return compareStrings(a.Service, b.Service) })
}

// Members returns the registered cluster members sorted by id.
func (s *State) Members() []*api.Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.members, func(a, b *api.Member) int { return compareStrings(a.ID, b.ID) })
}

// Member returns a member by id, or nil.
func (s *State) Member(id string) *api.Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.members[id]
}

// Policy returns the current version of a policy, or nil.
func (s *State) Policy(name string) *api.PolicyRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.policies[name]
}

// Policies returns the current version of every policy, sorted by name.
func (s *State) Policies() []*api.PolicyRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.policies, func(a, b *api.PolicyRecord) int { return compareStrings(a.Name, b.Name) })
}

// PolicyFor returns the policy governing a service, or nil.
func (s *State) PolicyFor(service string) *api.PolicyRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.policyForLocked(service)
}

func (s *State) policyForLocked(service string) *api.PolicyRecord {
	for _, p := range s.policies {
		if slices.Contains(p.Services, service) {
			return p
		}
	}
	return nil
}

// PolicyHistory returns every applied version of a policy (all policies for ""), oldest
// first.
func (s *State) PolicyHistory(name string) []*api.PolicyRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.PolicyRecord
	for _, p := range s.policyHistory {
		if name == "" || p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// Rollout returns a rollout by id, or nil.
func (s *State) Rollout(id string) *api.RolloutRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rollouts[id]
}

// Rollouts returns the rollouts of a service ("" for all), oldest first.
func (s *State) Rollouts(service string) []*api.RolloutRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.RolloutRecord
	for _, r := range s.rollouts {
		if service == "" || r.Spec.Service == service {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *api.RolloutRecord) int { return compareUint64(a.CreateIndex, b.CreateIndex) })
	return out
}

// ActiveRollout returns the service's rollout that has not ended, or nil.
func (s *State) ActiveRollout(service string) *api.RolloutRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.activeRolloutLocked(service)
}

func (s *State) activeRolloutLocked(service string) *api.RolloutRecord {
	for _, r := range s.rollouts {
		if r.Spec.Service == service && !r.Status.Phase.Terminal() {
			return r
		}
	}
	return nil
}

// Validation returns a validation run by id, or nil.
func (s *State) Validation(id string) *api.ValidationRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.validations[id]
}

// Validations returns the validation runs of a service ("" for all), oldest first.
func (s *State) Validations(service string) []*api.ValidationRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.ValidationRecord
	for _, v := range s.validations {
		if service == "" || v.Service == service {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *api.ValidationRecord) int { return compareUint64(a.CreateIndex, b.CreateIndex) })
	return out
}

// Monitor returns the stable-version monitor of a service, or nil.
func (s *State) Monitor(service string) *api.MonitorRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.monitors[service]
}

// Dataset returns a stored validation data set by SHA-256, or nil.
func (s *State) Dataset(sha string) []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.datasets[sha]
}

// Audit returns the audit entries with Seq > after, oldest first, at most limit (0: all).
func (s *State) Audit(after uint64, limit int) []api.AuditEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := s.audit[min(after, uint64(len(s.audit))):]
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return slices.Clone(out)
}

// Read runs fn with a consistent view of the whole state (no write interleaves).
func (s *State) Read(fn func(v View)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(View{s})
}

// View is a read-only view of the state inside Read.
type View struct{ s *State }

// Applied returns the index of the last applied entry.
func (v View) Applied() uint64 { return v.s.applied }

// TableIndex returns the index of the last write to a table.
func (v View) TableIndex(table string) uint64 { return v.s.tableIndex[table] }

// Services returns every service sorted by name.
func (v View) Services() []*api.ServiceRecord {
	return sortedValues(v.s.services, func(a, b *api.ServiceRecord) int { return compareStrings(a.Name, b.Name) })
}

// Versions returns a service's versions sorted by version ("" for all services).
func (v View) Versions(service string) []*api.VersionRecord { return v.s.versionsLocked(service) }

// Routes returns a service's route table, or nil.
func (v View) Routes(service string) *api.RouteRecord { return v.s.routes[service] }

func compareUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedValues[K comparable, V any](m map[K]V, cmp func(a, b V) int) []V {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, cmp)
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
