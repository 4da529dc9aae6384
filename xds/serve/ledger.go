package serve

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/peer"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/xds"
)

// streamServer names the server a stream belongs to; each numbers its streams separately.
type streamServer uint8

const (
	serverPerType streamServer = iota // go-control-plane's per-type SotW services
	serverADS                         // Vigil's SotW ADS server
	serverDelta                       // go-control-plane's delta server
)

// streamKey identifies a stream.
type streamKey struct {
	server streamServer
	id     int64
}

// delta reports whether the stream speaks the incremental protocol.
func (k streamKey) delta() bool { return k.server == serverDelta }

func (k streamKey) String() string {
	switch k.server {
	case serverADS:
		return fmt.Sprintf("ads-%d", k.id)
	case serverDelta:
		return fmt.Sprintf("delta-%d", k.id)
	}
	return fmt.Sprintf("sotw-%d", k.id)
}

// Ledger records, per connected stream and resource type, what was sent, what the client
// ACKed and what it NACKed. It implements go-control-plane's server callbacks. It is the
// source of `meshctl proxies`, of ACK-coverage checks (make-before-break, rollout steps)
// and of the ACK/NACK metrics.
type Ledger struct {
	server   string
	cache    *Cache
	classify func(*core.Node) xds.ClientKind
	metrics  *Metrics
	log      hclog.Logger
	now      func() time.Time

	mu      sync.Mutex
	streams map[streamKey]*proxyRecord
	changed chan struct{}
	watched bool // someone holds changed: the next change must close it
}

type proxyRecord struct {
	key         streamKey
	node        *core.Node
	kind        xds.ClientKind
	peer        string
	connectedAt time.Time
	types       [servedTypes]*typeRecord // by typeSlot
}

type typeRecord struct {
	wildcard   bool
	subscribed []string // as the client listed them; Proxies sorts a copy
	sent       sentResponse
	acked      uint64
	ackedAt    time.Time
	ackedNames []string
	nacks      uint64
	lastNack   *api.Nack

	// The type's metric series, looked up once per stream rather than once per message.
	pushCount  prometheus.Counter
	nackCount  prometheus.Counter
	ackLatency prometheus.Observer
}

// typeRecord returns the record of typeURL, creating it with its metric series, or nil for
// a type Vigil does not serve (nothing is recorded for those).
func (rec *proxyRecord) typeRecord(typeURL string, m *Metrics) *typeRecord {
	slot := typeSlot(typeURL)
	if slot < 0 {
		return nil
	}
	tr := rec.types[slot]
	if tr == nil {
		kind, short := rec.kind.String(), shortType(typeURL)
		tr = &typeRecord{
			pushCount:  m.pushes.WithLabelValues(kind, short),
			nackCount:  m.nacks.WithLabelValues(kind, short),
			ackLatency: m.ackLatency.WithLabelValues(kind, short),
		}
		rec.types[slot] = tr
	}
	return tr
}

type sentResponse struct {
	version  uint64
	nonce    string
	at       time.Time
	names    []string
	answered bool // a request has ACKed or NACKed this response
}

// NewLedger returns an empty ledger for the server with the given node id.
func NewLedger(server string, cache *Cache, classify func(*core.Node) xds.ClientKind, metrics *Metrics, log hclog.Logger) *Ledger {
	return &Ledger{
		server: server, cache: cache, classify: classify, metrics: metrics, log: log, now: time.Now,
		streams: map[streamKey]*proxyRecord{},
		changed: make(chan struct{}),
	}
}

// Changed returns a channel closed at the next change of the ledger (a connection, a
// disconnection, an ACK or a NACK).
func (l *Ledger) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watched = true
	return l.changed
}

// notifyLocked closes the channel Changed handed out, if it handed one out since the last
// change: an ACK from each of 10,000 proxies must not cost a channel each when nobody waits.
func (l *Ledger) notifyLocked() {
	if !l.watched {
		return
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.watched = false
}

func (l *Ledger) open(ctx context.Context, key streamKey) {
	rec := &proxyRecord{key: key, connectedAt: l.now()}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		rec.peer = p.Addr.String()
	}
	l.mu.Lock()
	l.streams[key] = rec
	l.notifyLocked()
	l.mu.Unlock()
}

func (l *Ledger) close(key streamKey) {
	l.mu.Lock()
	rec, ok := l.streams[key]
	delete(l.streams, key)
	l.notifyLocked()
	l.mu.Unlock()
	if ok && rec.node != nil {
		l.metrics.connected.WithLabelValues(rec.kind.String()).Dec()
	}
}

// request records a client request: the first one carries the node; a request whose nonce
// matches the last response of its type ACKs that response, or NACKs it when it carries an
// error. It returns the newest version this stream rejected for the type if the client has
// not ACKed anything newer since (0 otherwise): that version must not be sent again.
func (l *Ledger) request(key streamKey, node *core.Node, typeURL string, names []string, nonce string, errDetail string, hasErr bool) uint64 {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	rec, ok := l.streams[key]
	if !ok {
		return 0
	}
	if rec.node == nil && node != nil {
		rec.node = node
		rec.kind = l.classify(node)
		l.metrics.connected.WithLabelValues(rec.kind.String()).Inc()
	}
	tr := rec.typeRecord(typeURL, l.metrics)
	if tr == nil {
		return 0
	}
	if !key.delta() {
		tr.subscribed = names
		tr.wildcard = len(names) == 0 || slices.Contains(names, "*")
	}
	if nonce != "" && nonce == tr.sent.nonce && !tr.sent.answered {
		tr.sent.answered = true // clients repeat a nonce on later requests; count it once
		if hasErr {
			tr.nacks++
			tr.lastNack = &api.Nack{Version: tr.sent.version, Error: errDetail, At: now}
			tr.nackCount.Inc()
			l.log.Warn("proxy rejected configuration", "node", nodeID(rec.node), "stream", key, "type", shortType(typeURL), "version", tr.sent.version, "error", errDetail)
		} else {
			tr.acked = tr.sent.version
			tr.ackedAt = now
			tr.ackedNames = tr.sent.names
			tr.ackLatency.Observe(now.Sub(tr.sent.at).Seconds())
		}
		l.notifyLocked()
	}
	if tr.lastNack != nil && tr.lastNack.Version > tr.acked {
		return tr.lastNack.Version
	}
	return 0
}

// response records a response about to be sent on a stream.
func (l *Ledger) response(key streamKey, typeURL, versionInfo, nonce string, names []string) {
	version, _ := xds.ParseVersion(versionInfo)
	l.mu.Lock()
	defer l.mu.Unlock()
	rec, ok := l.streams[key]
	if !ok {
		return
	}
	tr := rec.typeRecord(typeURL, l.metrics)
	if tr == nil {
		return
	}
	if key.delta() {
		// A delta response carries only what changed; the client holds the union.
		set := map[string]bool{}
		for _, n := range tr.sent.names {
			set[n] = true
		}
		for _, n := range names {
			set[n] = true
		}
		names = slices.Sorted(maps.Keys(set))
	}
	tr.sent = sentResponse{version: version, nonce: nonce, at: l.now(), names: names}
	tr.pushCount.Inc()
}

// OnStreamOpen implements the SotW callbacks.
func (l *Ledger) OnStreamOpen(ctx context.Context, id int64, _ string) error {
	l.open(ctx, streamKey{server: serverPerType, id: id})
	return nil
}

// OnStreamClosed implements the SotW callbacks.
func (l *Ledger) OnStreamClosed(id int64, _ *core.Node) {
	l.close(streamKey{server: serverPerType, id: id})
}

// OnStreamRequest implements the SotW callbacks. A NACK is recorded, and the cache is told
// which version the request rejects so that version is never sent to this stream again.
func (l *Ledger) OnStreamRequest(id int64, req *discovery.DiscoveryRequest) error {
	errDetail := req.GetErrorDetail()
	rejected := l.request(streamKey{server: serverPerType, id: id}, req.GetNode(), req.GetTypeUrl(), req.GetResourceNames(), req.GetResponseNonce(), errDetail.GetMessage(), errDetail != nil)
	if rejected > 0 {
		l.cache.nacked.Store(req, rejected)
	}
	return nil
}

// OnStreamResponse implements the SotW callbacks.
func (l *Ledger) OnStreamResponse(ctx context.Context, id int64, _ *discovery.DiscoveryRequest, resp *discovery.DiscoveryResponse) {
	l.response(streamKey{server: serverPerType, id: id}, resp.GetTypeUrl(), resp.GetVersionInfo(), resp.GetNonce(), responseNames(ctx))
}

// OnDeltaStreamOpen implements the delta callbacks.
func (l *Ledger) OnDeltaStreamOpen(ctx context.Context, id int64, _ string) error {
	l.open(ctx, streamKey{server: serverDelta, id: id})
	return nil
}

// OnDeltaStreamClosed implements the delta callbacks.
func (l *Ledger) OnDeltaStreamClosed(id int64, _ *core.Node) {
	l.close(streamKey{server: serverDelta, id: id})
}

// OnStreamDeltaRequest implements the delta callbacks. The delta protocol already never
// re-sends a rejected resource (the server counts it as returned), so a NACK is only
// recorded.
func (l *Ledger) OnStreamDeltaRequest(id int64, req *discovery.DeltaDiscoveryRequest) error {
	errDetail := req.GetErrorDetail()
	key := streamKey{server: serverDelta, id: id}
	l.request(key, req.GetNode(), req.GetTypeUrl(), nil, req.GetResponseNonce(), errDetail.GetMessage(), errDetail != nil)
	l.mu.Lock()
	if rec, ok := l.streams[key]; ok {
		if slot := typeSlot(req.GetTypeUrl()); slot >= 0 && rec.types[slot] != nil {
			tr := rec.types[slot]
			set := map[string]bool{}
			for _, n := range tr.subscribed {
				set[n] = true
			}
			for _, n := range req.GetResourceNamesSubscribe() {
				if n == "*" {
					tr.wildcard = true
					continue
				}
				set[n] = true
			}
			for _, n := range req.GetResourceNamesUnsubscribe() {
				if n == "*" {
					tr.wildcard = false
				}
				delete(set, n)
			}
			if req.GetResponseNonce() == "" && len(req.GetResourceNamesSubscribe()) == 0 {
				tr.wildcard = true
			}
			tr.subscribed = slices.Sorted(maps.Keys(set))
		}
	}
	l.mu.Unlock()
	return nil
}

// OnStreamDeltaResponse implements the delta callbacks.
func (l *Ledger) OnStreamDeltaResponse(id int64, _ *discovery.DeltaDiscoveryRequest, resp *discovery.DeltaDiscoveryResponse) {
	names := make([]string, 0, len(resp.GetResources()))
	for _, r := range resp.GetResources() {
		names = append(names, r.GetName())
	}
	l.response(streamKey{server: serverDelta, id: id}, resp.GetTypeUrl(), resp.GetSystemVersionInfo(), resp.GetNonce(), names)
}

// OnFetchRequest implements the REST callbacks; Vigil serves no REST fetches.
func (l *Ledger) OnFetchRequest(context.Context, *discovery.DiscoveryRequest) error { return nil }

// OnFetchResponse implements the REST callbacks.
func (l *Ledger) OnFetchResponse(*discovery.DiscoveryRequest, *discovery.DiscoveryResponse) {}

func nodeID(n *core.Node) string {
	if n == nil {
		return ""
	}
	return n.GetId()
}

// Proxies returns every connected stream's state, sorted by node id then stream.
func (l *Ledger) Proxies() []api.Proxy {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]api.Proxy, 0, len(l.streams))
	for _, rec := range l.streams {
		if rec.node == nil {
			continue
		}
		p := api.Proxy{
			Server:      l.server,
			Stream:      rec.key.String(),
			NodeID:      rec.node.GetId(),
			Cluster:     rec.node.GetCluster(),
			UserAgent:   userAgent(rec.node),
			Kind:        rec.kind.String(),
			Delta:       rec.key.delta(),
			Peer:        rec.peer,
			ConnectedAt: rec.connectedAt,
		}
		for _, typeURL := range xds.TypeURLs {
			tr := rec.types[typeSlot(typeURL)]
			if tr == nil {
				continue
			}
			pt := api.ProxyType{
				Type: shortType(typeURL), Wildcard: tr.wildcard, Subscribed: slices.Sorted(slices.Values(tr.subscribed)),
				Sent: tr.sent.version, SentAt: tr.sent.at,
				Acked: tr.acked, AckedAt: tr.ackedAt, AckedNames: tr.ackedNames,
				Nacks: tr.nacks,
			}
			if tr.lastNack != nil {
				n := *tr.lastNack
				pt.LastNack = &n
			}
			p.Types = append(p.Types, pt)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b api.Proxy) int {
		if a.NodeID != b.NodeID {
			return cmpStrings(a.NodeID, b.NodeID)
		}
		return cmpStrings(a.Stream, b.Stream)
	})
	return out
}

func userAgent(n *core.Node) string {
	if n.GetUserAgentName() == "" {
		return ""
	}
	if v := n.GetUserAgentVersion(); v != "" {
		return n.GetUserAgentName() + "/" + v
	}
	return n.GetUserAgentName()
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
