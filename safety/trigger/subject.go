package trigger

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/seed70a3350f/vigil/policies"
)

// Subject is what a trigger is evaluated for: one version of a service in one role.
type Subject struct {
	// Service is the service name; ${service} renders to it.
	Service string
	// Version is the version evaluated (MAJOR.MINOR.PATCH-PHASE); ${version} renders to it.
	Version string
	// BaselineVersion is the version ${baseline_version} renders to and baseline
	// comparisons run the query for. Required when a trigger compares with the baseline or
	// its queries use ${baseline_version}.
	BaselineVersion string
	// Target is the role of Version in the rollout; the trigger must watch it.
	Target policies.Target
	// Interval is the service's evaluation interval; ${interval} renders to it. Positive.
	Interval time.Duration
}

// String renders the subject as "breast-cancer-dx 1.1.0-CLINICALVALID (canary)".
func (s Subject) String() string {
	return fmt.Sprintf("%s %s (%s)", s.Service, s.Version, s.Target)
}

// vars are the placeholder values of queries about the evaluated version.
func (s Subject) vars() policies.QueryVars {
	return policies.QueryVars{Service: s.Service, Version: s.Version,
		BaselineVersion: s.BaselineVersion, Interval: s.Interval}
}

// baselineVars are the placeholder values of a baseline comparison's query: the same
// query with ${version} set to the baseline version.
func (s Subject) baselineVars() policies.QueryVars {
	v := s.vars()
	v.Version = s.BaselineVersion
	return v
}

// check returns an error naming what is wrong with evaluating t for s.
func (s Subject) check(t *policies.Trigger) error {
	switch {
	case s.Service == "":
		return errors.New("subject has no service name")
	case s.Version == "":
		return fmt.Errorf("subject of service %q has no version", s.Service)
	case s.Interval <= 0:
		return fmt.Errorf("subject %s has evaluation interval %v; want a positive interval (the service's evaluation_interval)", s, s.Interval)
	case s.Target < policies.TargetCanary || s.Target > policies.TargetStable:
		return fmt.Errorf("subject %s has an unknown target %d; want canary, green or stable", s, uint8(s.Target))
	case !t.Watches(s.Target):
		return fmt.Errorf("trigger %q does not watch %s versions (applies_to = %v), but was asked to evaluate %s", t.Name, s.Target, t.AppliesTo, s)
	case s.BaselineVersion == "" && needsBaselineVersion(t):
		return fmt.Errorf("subject %s has no baseline version, which trigger %q needs (a baseline comparison or ${baseline_version} in a query)", s, t.Name)
	}
	return nil
}

// needsBaselineVersion reports whether evaluating t needs a baseline version.
func needsBaselineVersion(t *policies.Trigger) bool {
	if t.Baseline != nil || slices.Contains(t.Query.Placeholders(), policies.PlaceholderBaselineVersion) {
		return true
	}
	return t.MinSamples != nil && slices.Contains(t.MinSamples.Query.Placeholders(), policies.PlaceholderBaselineVersion)
}
