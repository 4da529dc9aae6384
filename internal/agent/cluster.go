package agent

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/raftstore"
	"github.com/seed70a3350f/vigil/router"
	"github.com/seed70a3350f/vigil/xds"
)

// clusterProxies gathers every member's connected proxies: this node's from its ledger,
// the others' from their admin APIs (in parallel, 2 s each). Members that do not answer are
// listed as unreachable; their proxies are unknown, not absent.
func (a *Agent) clusterProxies(ctx context.Context) api.ProxyList {
	out := api.ProxyList{Proxies: a.xds.Ledger().Proxies()}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range a.node.State().Members() {
		if m.ID == a.cfg.NodeID {
			continue
		}
		wg.Add(1)
		go func(m api.Member) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			list, err := api.NewClient(m.AdminAddr, a.client).Proxies(cctx, true)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if out.Unreachable == nil {
					out.Unreachable = map[string]string{}
				}
				out.Unreachable[m.ID] = err.Error()
				return
			}
			out.Proxies = append(out.Proxies, list.Proxies...)
		}(*m)
	}
	wg.Wait()
	slices.SortFunc(out.Proxies, func(x, y api.Proxy) int {
		return strings.Compare(x.NodeID+"\x00"+x.Server+"\x00"+x.Stream, y.NodeID+"\x00"+y.Server+"\x00"+y.Stream)
	})
	return out
}

func (a *Agent) listProxies(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("local") == "true" {
		writeJSON(w, http.StatusOK, api.ProxyList{Proxies: a.xds.Ledger().Proxies()})
		return
	}
	writeJSON(w, http.StatusOK, a.clusterProxies(r.Context()))
}

// waitCoverage polls the cluster's proxies until cover reports every watching proxy done,
// or the warm timeout passes. Rejections end the wait at once.
func (a *Agent) waitCoverage(ctx context.Context, what string, cover func([]api.Proxy) xds.Coverage) error {
	deadline := time.Now().Add(a.cfg.warmTimeout)
	for {
		list := a.clusterProxies(ctx)
		c := cover(list.Proxies)
		if len(c.Rejected) > 0 {
			var parts []string
			for i, n := range c.Rejected {
				parts = append(parts, fmt.Sprintf("%s rejected version %d: %s", c.RejectedBy[i], n.Version, n.Error))
			}
			return &api.Error{Code: api.CodePrecondition, Message: fmt.Sprintf("%s: %s", what, strings.Join(parts, "; ")),
				Hint: "fix the configuration the proxies reject (see `meshctl proxies`) before routing traffic"}
		}
		// A node that does not answer holds no streams we can wait for: its proxies lost
		// their connection and get the full configuration when they reconnect.
		if len(c.Pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("%s: %d of %d proxies have not ACKed it after %s: %s", what, len(c.Pending), c.Watching, a.cfg.warmTimeout, strings.Join(c.Pending, ", "))
			if len(list.Unreachable) > 0 {
				msg += fmt.Sprintf("; nodes not answering: %v", mapKeys(list.Unreachable))
			}
			return &api.Error{Code: api.CodePrecondition, Message: msg,
				Hint: "retry when the proxies have caught up (`meshctl proxies`), or pass --force to change routes anyway"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func mapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// waitWarm enforces make-before-break for a route table: every version the table starts
// sending traffic to (weight, pin or mirror it did not have) must have its cluster and
// endpoints ACKed by every proxy routing the service.
func (a *Agent) waitWarm(ctx context.Context, rt router.RouteTable) error {
	st := a.node.State()
	current := st.Routes(rt.Service)
	var versions []router.Version
	for _, s := range rt.Split {
		versions = append(versions, s.Version)
	}
	for _, p := range rt.Pins {
		versions = append(versions, p.Version)
	}
	if rt.Mirror != nil {
		versions = append(versions, rt.Mirror.Version)
	}
	slices.SortFunc(versions, router.Version.Compare)
	versions = slices.Compact(versions)
	for _, v := range versions {
		if current != nil && current.References(v) {
			continue
		}
		rec := st.Version(rt.Service, v)
		if rec == nil {
			continue // Apply refuses it with the list of registered versions
		}
		what := fmt.Sprintf("version %s of %s (registered at index %d) is not ready on every proxy", v, rt.Service, rec.ModifyIndex)
		if err := a.waitCoverage(ctx, what, func(ps []api.Proxy) xds.Coverage {
			return xds.ClusterCoverage(ps, rt.Service, v, rec.ModifyIndex)
		}); err != nil {
			return err
		}
	}
	return nil
}

// waitDrained enforces break-after-drain: before a version is removed, every proxy routing
// the service must have ACKed a route version in which it gets no traffic.
func (a *Agent) waitDrained(ctx context.Context, service string, v router.Version) error {
	rt := a.node.State().Routes(service)
	if rt == nil {
		return nil
	}
	if rt.References(v) {
		return &api.Error{Code: api.CodeConflict,
			Message: fmt.Sprintf("version %s of %s still receives traffic (weight %s, or a pin or mirror)", v, service, rt.WeightOf(v)),
			Hint:    "drain it first: set its weight to 0 and remove its pins and mirror, then remove it"}
	}
	what := fmt.Sprintf("the drain of version %s of %s (route table at index %d)", v, service, rt.ModifyIndex)
	return a.waitCoverage(ctx, what, func(ps []api.Proxy) xds.Coverage {
		return xds.RouteCoverage(ps, service, rt.ModifyIndex)
	})
}

// listMembers answers the Raft configuration joined with the member records.
func (a *Agent) listMembers(w http.ResponseWriter, r *http.Request) {
	servers, err := a.node.Configuration()
	if err != nil {
		writeError(w, err)
		return
	}
	leaderID, _ := a.node.Leader()
	out := []api.Member{}
	for _, s := range servers {
		m := api.Member{ID: string(s.ID), RaftAddr: string(s.Address)}
		if rec := a.node.State().Member(m.ID); rec != nil {
			m = *rec
		}
		m.Voter = s.Suffrage == raft.Voter
		m.Suffrage = s.Suffrage.String()
		m.Leader = m.ID == leaderID
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *Agent) getLeader(w http.ResponseWriter, r *http.Request) {
	id, addr := a.node.Leader()
	if id == "" {
		writeError(w, &api.Error{Code: api.CodeNotLeader, Message: "no leader is known (an election may be in progress, or the cluster lost its quorum)"})
		return
	}
	m := api.Member{ID: id, RaftAddr: addr, Leader: true, Voter: true}
	if rec := a.node.State().Member(id); rec != nil {
		m = *rec
		m.Leader = true
	}
	writeJSON(w, http.StatusOK, m)
}

// join adds a node (leader only): Raft membership first, then its member record.
func (a *Agent) join(w http.ResponseWriter, r *http.Request) {
	var m api.Member
	if err := decodeJSON(r, &m); err != nil {
		writeError(w, err)
		return
	}
	if m.ID == "" || m.RaftAddr == "" || m.AdminAddr == "" {
		writeError(w, &api.Error{Code: api.CodeInvalid, Message: fmt.Sprintf("join: id, raft_addr and admin_addr are required (got id %q, raft_addr %q, admin_addr %q)", m.ID, m.RaftAddr, m.AdminAddr)})
		return
	}
	var err error
	if m.Voter {
		err = a.node.AddVoter(m.ID, m.RaftAddr)
	} else {
		err = a.node.AddNonvoter(m.ID, m.RaftAddr)
	}
	if err != nil {
		writeError(w, fmt.Errorf("add %s to the raft configuration: %w", m.ID, err))
		return
	}
	a.log.Info("member added", "id", m.ID, "raft", m.RaftAddr, "voter", m.Voter, "by", actor(r))
	a.commit(w, r, a.command(r, raftstore.CmdRegisterMember, nil, raftstore.RegisterMemberBody{Member: m}))
}

// removeMember removes a node (leader only).
func (a *Agent) removeMember(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	servers, err := a.node.Configuration()
	if err != nil {
		writeError(w, err)
		return
	}
	if !slices.ContainsFunc(servers, func(s raft.Server) bool { return string(s.ID) == id }) {
		writeError(w, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("node %q is not a member", id), Hint: "`meshctl cluster members` lists them"})
		return
	}
	if err := a.node.RemoveServer(id); err != nil {
		writeError(w, fmt.Errorf("remove %s from the raft configuration: %w", id, err))
		return
	}
	a.log.Info("member removed", "id", id, "by", actor(r))
	a.commit(w, r, a.command(r, raftstore.CmdRemoveMember, nil, raftstore.RemoveMemberBody{ID: id}))
}
