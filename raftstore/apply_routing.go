package raftstore

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/router"
)

func decodeBody[T any](body json.RawMessage) *T {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		// The proposer encoded this body from the same type: a decode failure is a bug.
		panic(fmt.Sprintf("raftstore: decode %T: %v", v, err))
	}
	return &v
}

// checkCAS enforces a header's check-and-set index against the record's ModifyIndex (0 when
// the record does not exist).
func checkCAS(h Header, object string, current uint64) *api.Error {
	if h.CAS == nil || *h.CAS == current {
		return nil
	}
	if *h.CAS == 0 {
		return &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("%s already exists (modify index %d)", object, current),
			Hint: "read it again and retry with its modify index"}
	}
	if current == 0 {
		return &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("%s does not exist (expected modify index %d)", object, *h.CAS)}
	}
	return &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("%s was modified: modify index is %d, the write expected %d", object, current, *h.CAS),
		Hint: "someone changed it since you read it; read it again and retry"}
}

// invalid converts a validation failure into an API error, keeping the field list.
func invalid(err error) *api.Error {
	var ve *router.ValidationError
	if errors.As(err, &ve) {
		return &api.Error{Code: api.CodeInvalid, Message: err.Error(), Fields: ve.Fields}
	}
	return &api.Error{Code: api.CodeInvalid, Message: err.Error()}
}

func meta(old *api.Meta, index uint64) api.Meta {
	if old == nil {
		return api.Meta{CreateIndex: index, ModifyIndex: index}
	}
	return api.Meta{CreateIndex: old.CreateIndex, ModifyIndex: index}
}

func changeOf(h Header) api.Change {
	return api.Change{By: h.Actor, At: h.Time.UTC(), Reason: h.Reason}
}

func applyRegisterService(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[RegisterServiceBody](raw)
	svc := body.Service
	if err := svc.Validate(); err != nil {
		return nil, invalid(err)
	}
	old := s.services[svc.Name]
	object := "service " + svc.Name
	var oldMeta *api.Meta
	var current uint64
	if old != nil {
		oldMeta, current = &old.Meta, old.ModifyIndex
	}
	if err := checkCAS(h, object, current); err != nil {
		return nil, err
	}
	rec := &api.ServiceRecord{Service: svc, Meta: meta(oldMeta, index), Change: changeOf(h)}
	s.services[svc.Name] = rec
	return []change{{table: TableServices, object: "service/" + svc.Name, old: old, new: rec}}, nil
}

func applyDeregisterService(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[DeregisterServiceBody](raw)
	old := s.services[body.Name]
	if old == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q does not exist", body.Name)}
	}
	if err := checkCAS(h, "service "+body.Name, old.ModifyIndex); err != nil {
		return nil, err
	}
	if vs := s.versionsLocked(body.Name); len(vs) > 0 {
		return nil, &api.Error{Code: api.CodeConflict, Message: fmt.Sprintf("service %q still has %d versions", body.Name, len(vs)),
			Hint: "remove its versions first"}
	}
	changes := []change{{table: TableServices, object: "service/" + body.Name, old: old}}
	delete(s.services, body.Name)
	if rt := s.routes[body.Name]; rt != nil {
		delete(s.routes, body.Name)
		changes = append(changes, change{table: TableRoutes, object: "routes/" + body.Name, old: rt})
	}
	return changes, nil
}

func applyUpsertVersion(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[UpsertVersionBody](raw)
	mv := body.Version
	if err := router.ValidateModelVersion(mv); err != nil {
		return nil, invalid(err)
	}
	key := versionKey{mv.Service, mv.Version}
	old := s.versions[key]
	var oldMeta *api.Meta
	var current uint64
	if old != nil {
		oldMeta, current = &old.Meta, old.ModifyIndex
	}
	if err := checkCAS(h, fmt.Sprintf("version %s of %s", mv.Version, mv.Service), current); err != nil {
		return nil, err
	}
	var changes []change
	if s.services[mv.Service] == nil {
		svc := &api.ServiceRecord{Service: router.Service{Name: mv.Service}, Meta: meta(nil, index), Change: changeOf(h)}
		s.services[mv.Service] = svc
		changes = append(changes, change{table: TableServices, object: "service/" + mv.Service, new: svc})
	}
	rec := &api.VersionRecord{ModelVersion: mv, Meta: meta(oldMeta, index), Change: changeOf(h)}
	s.versions[key] = rec
	changes = append(changes, change{table: TableVersions, object: "version/" + mv.Service + "/" + mv.Version.String(), old: old, new: rec})
	return changes, nil
}

func applyRemoveVersion(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[RemoveVersionBody](raw)
	key := versionKey{body.Service, body.Version}
	old := s.versions[key]
	if old == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("version %s of service %q does not exist", body.Version, body.Service)}
	}
	if err := checkCAS(h, fmt.Sprintf("version %s of %s", body.Version, body.Service), old.ModifyIndex); err != nil {
		return nil, err
	}
	if rt := s.routes[body.Service]; rt != nil && rt.References(body.Version) {
		return nil, &api.Error{Code: api.CodeConflict,
			Message: fmt.Sprintf("version %s of %s still receives traffic (weight %s, or a pin or mirror)", body.Version, body.Service, rt.WeightOf(body.Version)),
			Hint:    "drain it first: set its weight to 0 and remove its pins and mirror, then remove it"}
	}
	delete(s.versions, key)
	return []change{{table: TableVersions, object: "version/" + body.Service + "/" + body.Version.String(), old: old}}, nil
}

func applySetRoutes(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[SetRoutesBody](raw)
	rt := body.Routes.Clone()
	rt.Normalize()
	var versions []router.ModelVersion
	for _, v := range s.versionsLocked(rt.Service) {
		versions = append(versions, v.ModelVersion)
	}
	if err := router.ValidateRouteTable(rt, versions); err != nil {
		return nil, invalid(err)
	}
	old := s.routes[rt.Service]
	var oldMeta *api.Meta
	var current uint64
	if old != nil {
		oldMeta, current = &old.Meta, old.ModifyIndex
	}
	if err := checkCAS(h, "route table "+rt.Service, current); err != nil {
		return nil, err
	}
	rec := &api.RouteRecord{RouteTable: rt, Meta: meta(oldMeta, index), Change: changeOf(h)}
	s.routes[rt.Service] = rec
	return []change{{table: TableRoutes, object: "routes/" + rt.Service, old: old, new: rec}}, nil
}

func applyRegisterMember(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[RegisterMemberBody](raw)
	m := body.Member
	if m.ID == "" || m.RaftAddr == "" || m.AdminAddr == "" {
		return nil, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("member %q: id, raft_addr and admin_addr are required", m.ID)}
	}
	m.Leader, m.Suffrage, m.Reachable = false, "", nil
	old := s.members[m.ID]
	if old != nil && *old == m {
		return nil, nil
	}
	s.members[m.ID] = &m
	return []change{{table: TableMembers, object: "member/" + m.ID, old: old, new: &m}}, nil
}

func applyRemoveMember(s *State, index uint64, h Header, raw json.RawMessage) ([]change, *api.Error) {
	body := decodeBody[RemoveMemberBody](raw)
	old := s.members[body.ID]
	if old == nil {
		return nil, nil
	}
	delete(s.members, body.ID)
	return []change{{table: TableMembers, object: "member/" + body.ID, old: old}}, nil
}
