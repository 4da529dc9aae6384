package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
)

// maxBody bounds request bodies of the admin API.
const maxBody = 4 << 20

func (a *Agent) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	mux.HandleFunc("GET /healthz", a.handleHealth)
	mux.HandleFunc("GET /readyz", a.handleReady)

	mux.HandleFunc("GET /v1/services", a.read(a.listServices))
	mux.HandleFunc("GET /v1/services/{service}", a.read(a.getService))
	mux.HandleFunc("PUT /v1/services/{service}", a.putService)
	mux.HandleFunc("DELETE /v1/services/{service}", a.deleteService)

	mux.HandleFunc("GET /v1/versions", a.read(a.listVersions))
	mux.HandleFunc("PUT /v1/versions/{service}/{version}", a.putVersion)
	mux.HandleFunc("DELETE /v1/versions/{service}/{version}", a.deleteVersion)

	mux.HandleFunc("GET /v1/routes", a.read(a.listRoutes))
	mux.HandleFunc("GET /v1/routes/{service}", a.read(a.getRoutes))
	mux.HandleFunc("PUT /v1/routes/{service}", a.putRoutes)
	mux.HandleFunc("POST /v1/routes/{service}/pins", a.addPin)
	mux.HandleFunc("DELETE /v1/routes/{service}/pins", a.removePin)

	mux.HandleFunc("GET /v1/proxies", a.listProxies)
	mux.HandleFunc("GET /v1/cluster/members", a.listMembers)
	mux.HandleFunc("GET /v1/cluster/leader", a.getLeader)
	mux.HandleFunc("POST /v1/cluster/join", a.leaderOnly(a.join))
	mux.HandleFunc("DELETE /v1/cluster/members/{id}", a.leaderOnly(a.removeMember))
	mux.HandleFunc("GET /v1/audit", a.read(a.listAudit))

	mux.HandleFunc("GET /v1/policies", a.read(a.listPolicies))
	mux.HandleFunc("GET /v1/policies/{name}", a.read(a.getPolicy))
	mux.HandleFunc("GET /v1/policies/{name}/history", a.read(a.policyHistory))
	mux.HandleFunc("PUT /v1/policies/{name}", a.putPolicy)
	mux.HandleFunc("DELETE /v1/policies/{name}", a.deletePolicy)

	mux.HandleFunc("GET /v1/rollouts", a.read(a.listRollouts))
	mux.HandleFunc("GET /v1/rollouts/{id}", a.read(a.getRollout))
	mux.HandleFunc("POST /v1/rollouts", a.leaderOnly(a.startRollout))
	mux.HandleFunc("POST /v1/rollouts/{id}/commands", a.leaderOnly(a.rolloutCommand))

	mux.HandleFunc("GET /v1/validations", a.read(a.listValidations))
	mux.HandleFunc("GET /v1/validations/{id}", a.read(a.getValidation))
	mux.HandleFunc("POST /v1/validations", a.startValidation)

	mux.HandleFunc("POST /v1/internal/apply", a.internalApply)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("request body: %v", err), Hint: "send a JSON object with the documented fields"}
	}
	return nil
}

func actor(r *http.Request) string {
	if a := r.Header.Get(api.HeaderActor); a != "" {
		return a
	}
	return "anonymous@" + r.RemoteAddr
}

// writeOptions parses ?cas= and ?force=.
func writeOptions(r *http.Request) (cas *uint64, force bool, err error) {
	q := r.URL.Query()
	if s := q.Get("cas"); s != "" {
		v, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil {
			return nil, false, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("cas = %q is not an index", s)}
		}
		cas = &v
	}
	force = q.Get("force") == "true"
	return cas, force, nil
}

func (a *Agent) command(r *http.Request, t raftstore.CommandType, cas *uint64, body any) raftstore.Command {
	h := a.header(r.Context(), actor(r))
	h.Reason = r.Header.Get(api.HeaderReason)
	h.CAS = cas
	return raftstore.Command{Type: t, Header: h, Body: body}
}

// commit applies a command and answers with its index.
func (a *Agent) commit(w http.ResponseWriter, r *http.Request, cmd raftstore.Command) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	index, err := a.apply(ctx, cmd)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.WriteResult{Index: index})
}

// read serves a GET. By default the answer is linearizable: the leader confirms its
// leadership through the log before reading, and a follower passes the request to the
// leader. With ?stale=true the node answers from its own state at once.
func (a *Agent) read(fn func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		stale := r.URL.Query().Get("stale") == "true"
		if !stale {
			if !a.node.IsLeader() {
				a.forwardToLeader(w, r)
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			err := a.node.ConsistentRead(ctx)
			cancel()
			if err != nil {
				writeError(w, err)
				return
			}
		}
		w.Header().Set(api.HeaderIndex, strconv.FormatUint(a.node.State().AppliedIndex(), 10))
		v, err := fn(r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// leaderOnly runs fn on the leader and passes the request to the leader elsewhere.
func (a *Agent) leaderOnly(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.node.IsLeader() {
			a.forwardToLeader(w, r)
			return
		}
		fn(w, r)
	}
}

// forwardToLeader passes a request to the leader's admin API once (a request that was
// already forwarded is refused instead, so a stale view cannot make a loop).
func (a *Agent) forwardToLeader(w http.ResponseWriter, r *http.Request) {
	leaderID, _ := a.node.Leader()
	m := a.node.State().Member(leaderID)
	if r.Header.Get(api.HeaderForwarded) != "" || leaderID == "" || m == nil || m.AdminAddr == "" {
		writeError(w, &api.Error{Code: api.CodeNotLeader,
			Message: fmt.Sprintf("node %s is not the leader and cannot reach one (leader %q)", a.cfg.NodeID, leaderID),
			Hint:    "retry shortly; for a possibly stale answer from this node add ?stale=true (meshctl -stale)"})
		return
	}
	target := &url.URL{Scheme: "http", Host: m.AdminAddr}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = a.client.Transport
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		writeError(w, &api.Error{Code: api.CodeUnavailable, Message: fmt.Sprintf("forward to leader %s at %s: %v", leaderID, m.AdminAddr, err)})
	}
	r.Header.Set(api.HeaderForwarded, a.cfg.NodeID)
	proxy.ServeHTTP(w, r)
}

func (a *Agent) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "node": a.cfg.NodeID})
}

// handleReady answers 200 when the node knows a leader and has applied state, else 503.
func (a *Agent) handleReady(w http.ResponseWriter, _ *http.Request) {
	leader, _ := a.node.Leader()
	applied := a.node.State().AppliedIndex()
	status := http.StatusOK
	if leader == "" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"node": a.cfg.NodeID, "leader": leader, "applied_index": applied, "is_leader": a.node.IsLeader()})
}

func (a *Agent) listServices(*http.Request) (any, error) {
	out := []api.ServiceRecord{}
	for _, s := range a.node.State().Services() {
		out = append(out, *s)
	}
	return out, nil
}

func (a *Agent) getService(r *http.Request) (any, error) {
	name := r.PathValue("service")
	st := a.node.State()
	svc := st.Service(name)
	if svc == nil {
		return nil, notFoundService(name)
	}
	d := api.ServiceDetail{Service: *svc, Versions: []api.VersionRecord{}}
	for _, v := range st.Versions(name) {
		d.Versions = append(d.Versions, *v)
	}
	if rt := st.Routes(name); rt != nil {
		d.Routes = rt
	}
	return d, nil
}

func notFoundService(name string) error {
	return &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q does not exist", name),
		Hint: "register a version with `meshctl versions add`; `meshctl routes get` lists services"}
}

func (a *Agent) putService(w http.ResponseWriter, r *http.Request) {
	var svc router.Service
	if err := decodeJSON(r, &svc); err != nil {
		writeError(w, err)
		return
	}
	if svc.Name == "" {
		svc.Name = r.PathValue("service")
	}
	if svc.Name != r.PathValue("service") {
		writeError(w, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("body names service %q but the path names %q", svc.Name, r.PathValue("service"))})
		return
	}
	cas, _, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	a.commit(w, r, a.command(r, raftstore.CmdRegisterService, cas, raftstore.RegisterServiceBody{Service: svc}))
}

func (a *Agent) deleteService(w http.ResponseWriter, r *http.Request) {
	cas, _, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	a.commit(w, r, a.command(r, raftstore.CmdDeregisterService, cas, raftstore.DeregisterServiceBody{Name: r.PathValue("service")}))
}

func (a *Agent) listVersions(r *http.Request) (any, error) {
	out := []api.VersionRecord{}
	for _, v := range a.node.State().Versions(r.URL.Query().Get("service")) {
		out = append(out, *v)
	}
	return out, nil
}

func pathVersion(r *http.Request) (router.Version, error) {
	v, err := router.ParseVersion(r.PathValue("version"))
	if err != nil {
		return v, &api.Error{Code: api.CodeInvalid, Message: err.Error()}
	}
	return v, nil
}

func (a *Agent) putVersion(w http.ResponseWriter, r *http.Request) {
	var mv router.ModelVersion
	if err := decodeJSON(r, &mv); err != nil {
		writeError(w, err)
		return
	}
	v, err := pathVersion(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if mv.Service == "" {
		mv.Service = r.PathValue("service")
	}
	if mv.Version.IsZero() {
		mv.Version = v
	}
	if mv.Service != r.PathValue("service") || mv.Version != v {
		writeError(w, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("body names %s %s but the path names %s %s", mv.Service, mv.Version, r.PathValue("service"), v)})
		return
	}
	cas, _, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	a.commit(w, r, a.command(r, raftstore.CmdUpsertVersion, cas, raftstore.UpsertVersionBody{Version: mv}))
}

// deleteVersion removes a version once proxies no longer route to it: the route table must
// not reference it (checked again when applied) and every proxy routing the service must
// have ACKed the route version that stopped its traffic, unless ?force=true.
func (a *Agent) deleteVersion(w http.ResponseWriter, r *http.Request) {
	v, err := pathVersion(r)
	if err != nil {
		writeError(w, err)
		return
	}
	service := r.PathValue("service")
	cas, force, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if !force {
		if err := a.waitDrained(r.Context(), service, v); err != nil {
			writeError(w, err)
			return
		}
	}
	a.commit(w, r, a.command(r, raftstore.CmdRemoveVersion, cas, raftstore.RemoveVersionBody{Service: service, Version: v}))
}

func (a *Agent) listRoutes(*http.Request) (any, error) {
	out := []api.RouteRecord{}
	for _, rt := range a.node.State().AllRoutes() {
		out = append(out, *rt)
	}
	return out, nil
}

func (a *Agent) getRoutes(r *http.Request) (any, error) {
	service := r.PathValue("service")
	rt := a.node.State().Routes(service)
	if rt == nil {
		if a.node.State().Service(service) == nil {
			return nil, notFoundService(service)
		}
		return nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q has no route table yet", service),
			Hint: fmt.Sprintf("set one with `meshctl routes set %s VERSION=100`", service)}
	}
	return rt, nil
}

func (a *Agent) putRoutes(w http.ResponseWriter, r *http.Request) {
	var rt router.RouteTable
	if err := decodeJSON(r, &rt); err != nil {
		writeError(w, err)
		return
	}
	if rt.Service == "" {
		rt.Service = r.PathValue("service")
	}
	if rt.Service != r.PathValue("service") {
		writeError(w, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("body names service %q but the path names %q", rt.Service, r.PathValue("service"))})
		return
	}
	cas, force, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	a.setRoutes(w, r, rt, cas, force)
}

// setRoutes validates a table against this node's view (so a bad table is refused before
// anything is proposed), waits for proxies to hold the clusters of versions it starts
// sending traffic to (make-before-break), then commits it.
func (a *Agent) setRoutes(w http.ResponseWriter, r *http.Request, rt router.RouteTable, cas *uint64, force bool) {
	rt.Normalize()
	if err := router.ValidateRouteTable(rt, versionsOf(a.node.State(), rt.Service)); err != nil {
		var ve *router.ValidationError
		if errors.As(err, &ve) {
			writeError(w, &api.Error{Code: api.CodeInvalid, Message: err.Error(), Fields: ve.Fields})
		} else {
			writeError(w, &api.Error{Code: api.CodeInvalid, Message: err.Error()})
		}
		return
	}
	if !force {
		if err := a.waitWarm(r.Context(), rt); err != nil {
			writeError(w, err)
			return
		}
	}
	a.commit(w, r, a.command(r, raftstore.CmdSetRoutes, cas, raftstore.SetRoutesBody{Routes: rt}))
}

// pinRequest is the body of POST /v1/routes/{service}/pins.
type pinRequest = router.HeaderPin

func (a *Agent) addPin(w http.ResponseWriter, r *http.Request) {
	var pin pinRequest
	if err := decodeJSON(r, &pin); err != nil {
		writeError(w, err)
		return
	}
	_, force, err := writeOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	service := r.PathValue("service")
	a.editRoutes(w, r, service, force, func(rt router.RouteTable) (router.RouteTable, error) {
		return rt.Pin(pin.Header, pin.Value, pin.Version), nil
	})
}

func (a *Agent) removePin(w http.ResponseWriter, r *http.Request) {
	header, value := r.URL.Query().Get("header"), r.URL.Query().Get("value")
	service := r.PathValue("service")
	a.editRoutes(w, r, service, true, func(rt router.RouteTable) (router.RouteTable, error) {
		out, ok := rt.Unpin(header, value)
		if !ok {
			return out, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q has no pin %s=%s", service, header, value)}
		}
		return out, nil
	})
}

// editRoutes applies a read-modify-write to a route table under check-and-set on its
// modify index: a concurrent change makes the write fail, never get lost.
func (a *Agent) editRoutes(w http.ResponseWriter, r *http.Request, service string, force bool, edit func(router.RouteTable) (router.RouteTable, error)) {
	current := a.node.State().Routes(service)
	if current == nil {
		writeError(w, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("service %q has no route table to edit", service),
			Hint: fmt.Sprintf("set one first with `meshctl routes set %s VERSION=100`", service)})
		return
	}
	next, err := edit(current.RouteTable.Clone())
	if err != nil {
		writeError(w, err)
		return
	}
	cas := current.ModifyIndex
	a.setRoutes(w, r, next, &cas, force)
}

func (a *Agent) listAudit(r *http.Request) (any, error) {
	q := r.URL.Query()
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	out := a.node.State().Audit(after, limit)
	if out == nil {
		out = []api.AuditEntry{}
	}
	return out, nil
}

// internalApply proposes a command forwarded by another node. It never forwards again.
func (a *Agent) internalApply(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, &api.Error{Code: api.CodeInvalid, Message: err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	index, err := a.node.ApplyEncoded(ctx, b)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.WriteResult{Index: index})
}
