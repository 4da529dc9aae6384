package raftstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
)

// MaxDatasetBytes bounds a validation data set stored with a policy.
const MaxDatasetBytes = 16 << 20

// ValidatePolicyName accepts names usable in URLs and file names: letters, digits, '-',
// '_' and '.', 1-128 characters.
func ValidatePolicyName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("policy name %q: want 1-128 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("policy name %q: character %q is not allowed; use letters, digits, '-', '_' and '.'", name, r)
		}
	}
	return nil
}

func applyPolicy(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[ApplyPolicyBody](raw)
	if err := ValidatePolicyName(body.Name); err != nil {
		return nil, &api.Error{Code: api.CodeInvalid, Message: err.Error()}
	}
	parsed, diags := policies.Parse(body.Filename, []byte(body.Source), body.Vars)
	if diags.HasErrors() {
		return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("policy %s does not validate: %v", body.Name, policies.DiagnosticsError(diags)),
			Hint: "run `meshctl policy validate FILE` for every problem with its position"}
	}
	datasets := map[string]string{}
	for _, svc := range parsed.Services {
		for _, cv := range svc.ClinicalValidations {
			if cv.DatasetIsURL() {
				continue
			}
			content, ok := body.Datasets[cv.Dataset]
			if !ok {
				return nil, &api.Error{Code: api.CodeInvalid,
					Message: fmt.Sprintf("policy %s: clinical_validation %q names data set %q, which was not uploaded with the policy", body.Name, cv.Name, cv.Dataset),
					Hint:    "meshctl policy apply uploads the data sets a policy names, relative to the policy file"}
			}
			if len(content) > MaxDatasetBytes {
				return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("data set %q is %d bytes; at most %d are stored", cv.Dataset, len(content), MaxDatasetBytes)}
			}
			sum := sha256.Sum256(content)
			sha := hex.EncodeToString(sum[:])
			if cv.DatasetSHA256 != "" && cv.DatasetSHA256 != sha {
				return nil, &api.Error{Code: api.CodeInvalid,
					Message: fmt.Sprintf("data set %q has SHA-256 %s but clinical_validation %q pins %s", cv.Dataset, sha, cv.Name, cv.DatasetSHA256),
					Hint:    "the golden set changed: restore it, or update dataset_sha256 after review"}
			}
			datasets[cv.Dataset] = sha
		}
	}
	var services []string
	for _, svc := range parsed.Services {
		services = append(services, svc.Name)
		if other := s.policyForLocked(svc.Name); other != nil && other.Name != body.Name {
			return nil, &api.Error{Code: api.CodeConflict,
				Message: fmt.Sprintf("service %q is already governed by policy %q", svc.Name, other.Name),
				Hint:    "a service has one policy: edit that policy, or delete it first"}
		}
	}
	old := s.policies[body.Name]
	var oldMeta *api.Meta
	var current uint64
	if old != nil {
		oldMeta, current = &old.Meta, old.ModifyIndex
	}
	if err := checkCAS(h, "policy "+body.Name, current); err != nil {
		return nil, err
	}
	if old != nil && old.Hash == parsed.Hash && maps.Equal(old.Vars, body.Vars) && maps.Equal(old.Datasets, datasets) && !old.Deleted {
		return nil, nil // the same version again: nothing to record
	}
	for path, sha := range datasets {
		s.datasets[sha] = body.Datasets[path]
	}
	if len(datasets) == 0 {
		datasets = nil
	}
	rec := &api.PolicyRecord{
		Name: body.Name, Hash: parsed.Hash, Filename: body.Filename, Source: strings.ReplaceAll(body.Source, "\r\n", "\n"),
		Vars: body.Vars, Services: services, Datasets: datasets, Meta: meta(oldMeta, index), Change: changeOf(h),
	}
	s.policies[body.Name] = rec
	s.policyHistory = append(s.policyHistory, rec)
	var oldSummary any
	if old != nil {
		oldSummary = policySummary(old)
	}
	return []change{{table: TablePolicies, object: "policy/" + body.Name, old: oldSummary, new: policySummary(rec)}}, nil
}

// policySummary is what the audit log records of a policy version: its identity, not its
// whole text (the text stays in the policy history).
func policySummary(p *api.PolicyRecord) map[string]any {
	return map[string]any{"name": p.Name, "hash": p.Hash, "services": p.Services, "vars": p.Vars, "datasets": p.Datasets, "modify_index": p.ModifyIndex}
}

func applyDeletePolicy(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[DeletePolicyBody](raw)
	old := s.policies[body.Name]
	if old == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("policy %q does not exist", body.Name)}
	}
	if err := checkCAS(h, "policy "+body.Name, old.ModifyIndex); err != nil {
		return nil, err
	}
	delete(s.policies, body.Name)
	tomb := *old
	tomb.Deleted = true
	tomb.Meta = meta(&old.Meta, index)
	tomb.Change = changeOf(h)
	s.policyHistory = append(s.policyHistory, &tomb)
	return []change{{table: TablePolicies, object: "policy/" + body.Name, old: policySummary(old)}}, nil
}
