package agent

import (
	"fmt"
	"net/http"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/policies"
	"github.com/seed70a3350f/vigil/raftstore"
)

func (a *Agent) listPolicies(*http.Request) (any, error) {
	out := []api.PolicyRecord{}
	for _, p := range a.node.State().Policies() {
		out = append(out, *p)
	}
	return out, nil
}

func (a *Agent) getPolicy(r *http.Request) (any, error) {
	name := r.PathValue("name")
	p := a.node.State().Policy(name)
	if p == nil {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("policy %q does not exist", name), Hint: "`meshctl policy get` lists the policies"}
	}
	return p, nil
}

func (a *Agent) policyHistory(r *http.Request) (any, error) {
	name := r.PathValue("name")
	out := []api.PolicyRecord{}
	for _, p := range a.node.State().PolicyHistory(name) {
		out = append(out, *p)
	}
	if len(out) == 0 {
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("policy %q has never been applied", name)}
	}
	return out, nil
}

// putPolicy validates a policy file (with every diagnostic and its position) before it is
// proposed; the FSM validates it again when it applies it.
func (a *Agent) putPolicy(w http.ResponseWriter, r *http.Request) {
	var body api.PolicyUpload
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	if err := raftstore.ValidatePolicyName(name); err != nil {
		writeError(w, &api.Error{Code: api.CodeInvalid, Message: err.Error()})
		return
	}
	if body.Filename == "" {
		body.Filename = name + ".hcl"
	}
	if _, diags := policies.Parse(body.Filename, []byte(body.Source), body.Vars); diags.HasErrors() {
		writeError(w, &api.Error{Code: api.CodeInvalid,
			Message: policies.FormatDiagnostics(map[string][]byte{body.Filename: []byte(body.Source)}, diags),
			Hint:    "fix the policy and run `meshctl policy validate` before applying"})
		return
	}
	cas, _, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	a.commit(w, r, a.command(r, raftstore.CmdApplyPolicy, cas, raftstore.ApplyPolicyBody{
		Name: name, Filename: body.Filename, Source: body.Source, Vars: body.Vars, Datasets: body.Datasets}))
}

func (a *Agent) deletePolicy(w http.ResponseWriter, r *http.Request) {
	cas, _, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	a.commit(w, r, a.command(r, raftstore.CmdDeletePolicy, cas, raftstore.DeletePolicyBody{Name: r.PathValue("name")}))
}
