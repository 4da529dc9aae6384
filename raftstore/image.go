package raftstore

import (
	"fmt"
	"maps"

	"github.com/seed70a3350f/vigil/api"
)

// imageFormat versions the snapshot encoding.
const imageFormat = 1

// image is the whole state as written to a snapshot, in a deterministic order.
type image struct {
	Format     int                  `json:"format"`
	Applied    uint64               `json:"applied"`
	TableIndex map[string]uint64    `json:"table_index"`
	Services   []*api.ServiceRecord `json:"services"`
	Versions   []*api.VersionRecord `json:"versions"`
	Routes     []*api.RouteRecord   `json:"routes"`
	Members    []*api.Member        `json:"members"`
	Policies   []*api.PolicyRecord  `json:"policies"`
	// PolicyHistory is every applied policy version, oldest first.
	PolicyHistory []*api.PolicyRecord     `json:"policy_history"`
	Rollouts      []*api.RolloutRecord    `json:"rollouts"`
	Validations   []*api.ValidationRecord `json:"validations"`
	Monitors      []*api.MonitorRecord    `json:"monitors"`
	Datasets      map[string][]byte       `json:"datasets"`
	Audit         []api.AuditEntry        `json:"audit"`
}

func (s *State) imageLocked() image {
	return image{
		Format:        imageFormat,
		Applied:       s.applied,
		TableIndex:    maps.Clone(s.tableIndex),
		Services:      View{s}.Services(),
		Versions:      s.versionsLocked(""),
		Routes:        sortedValues(s.routes, func(a, b *api.RouteRecord) int { return compareStrings(a.Service, b.Service) }),
		Members:       sortedValues(s.members, func(a, b *api.Member) int { return compareStrings(a.ID, b.ID) }),
		Policies:      sortedValues(s.policies, func(a, b *api.PolicyRecord) int { return compareStrings(a.Name, b.Name) }),
		PolicyHistory: s.policyHistory[:len(s.policyHistory):len(s.policyHistory)],
		Rollouts:      sortedValues(s.rollouts, func(a, b *api.RolloutRecord) int { return compareStrings(a.Spec.ID, b.Spec.ID) }),
		Validations:   sortedValues(s.validations, func(a, b *api.ValidationRecord) int { return compareStrings(a.ID, b.ID) }),
		Monitors:      sortedValues(s.monitors, func(a, b *api.MonitorRecord) int { return compareStrings(a.Service, b.Service) }),
		Datasets:      maps.Clone(s.datasets),
		Audit:         s.audit[:len(s.audit):len(s.audit)],
	}
}

func (s *State) restore(img image) error {
	fresh := NewState()
	for _, r := range img.Services {
		fresh.services[r.Name] = r
	}
	for _, r := range img.Versions {
		fresh.versions[versionKey{r.Service, r.Version}] = r
	}
	for _, r := range img.Routes {
		fresh.routes[r.Service] = r
	}
	for _, m := range img.Members {
		fresh.members[m.ID] = m
	}
	for _, p := range img.Policies {
		fresh.policies[p.Name] = p
	}
	for _, r := range img.Rollouts {
		fresh.rollouts[r.Spec.ID] = r
	}
	for _, v := range img.Validations {
		fresh.validations[v.ID] = v
	}
	for _, m := range img.Monitors {
		fresh.monitors[m.Service] = m
	}
	if img.Datasets != nil {
		fresh.datasets = img.Datasets
	}
	if err := VerifyAudit(img.Audit); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services, s.versions, s.routes, s.members = fresh.services, fresh.versions, fresh.routes, fresh.members
	s.policies, s.policyHistory = fresh.policies, img.PolicyHistory
	s.rollouts, s.validations, s.monitors, s.datasets = fresh.rollouts, fresh.validations, fresh.monitors, fresh.datasets
	s.audit = img.Audit
	s.tableIndex = img.TableIndex
	if s.tableIndex == nil {
		s.tableIndex = map[string]uint64{}
	}
	s.applied = img.Applied
	s.notifyLocked()
	return nil
}
