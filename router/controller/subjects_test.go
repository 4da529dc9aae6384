package controller

import (
	"testing"

	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/router/rollout"
)

func TestRolloutSubjectsCompareWithTheBaselineThePolicyNames(t *testing.T) {
	spec := &rollout.Spec{Strategy: rollout.Canary, Stable: router.MustParseVersion("2.2.0-PRODUCTION"),
		Candidate: router.MustParseVersion("2.3.0-CLINICALVALID")}
	for _, tc := range []struct {
		pinned, want string
	}{
		{"", "2.2.0-PRODUCTION"},                   // baseline = "stable"
		{"2.1.0-FDAAPPROVED", "2.1.0-FDAAPPROVED"}, // a pinned reference version
	} {
		svc := &policies.Service{Name: "dx", Baseline: policies.BaselineRef{Pinned: tc.pinned}}
		subs := rolloutSubjects(svc, spec)
		if len(subs) != 2 {
			t.Fatalf("pinned %q: %d subjects, want candidate and stable", tc.pinned, len(subs))
		}
		for _, s := range subs {
			if s.Baseline.String() != tc.want {
				t.Errorf("pinned %q: subject %s (%s) compares with %s, want %s", tc.pinned, s.Version, s.Target, s.Baseline, tc.want)
			}
		}
		if subs[0].Version != spec.Candidate || subs[1].Version != spec.Stable {
			t.Errorf("pinned %q: subjects %v, want the candidate then the stable version", tc.pinned, subs)
		}
	}
}
