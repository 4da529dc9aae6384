package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/seed70a3350f/vigil/xds"
)

// ErrStale is returned by Publish when a resource type would go back to an older version.
// A replica must never serve a version older than one it already served: proxies that
// moved here from a replica further ahead would go back in time.
var ErrStale = errors.New("stale resources")

// Cache is Vigil's implementation of go-control-plane's cache.Cache. It differs from the
// stock snapshot cache in the ways a replicated control plane needs:
//
//   - one set of resources per client kind (Envoy, gRPC), shared by every stream: a change
//     is marshalled once, not once per proxy, and costs one Publish whatever the number of
//     connected proxies;
//   - per-type versions taken from the replicated state, compared as numbers: a stream
//     whose client already has a newer version (it came from a replica that is further
//     ahead) is held until this replica catches up, never sent older resources;
//   - a NACKed version is never sent again to the stream that rejected it: its watch is
//     parked until the type's version moves past the rejected one;
//   - responses to one Publish go out clusters and endpoints first, then listeners and
//     routes (make-before-break within a push).
type Cache struct {
	classify func(*Node) xds.ClientKind

	mu     sync.Mutex
	groups map[xds.ClientKind]*group

	// nacked maps a SotW request that NACKs a response to the version it rejects. The
	// ledger fills it in OnStreamRequest, which runs just before CreateWatch for the same
	// request; CreateWatch takes the entry out.
	nacked sync.Map

	// dropped counts responses that found their stream's buffer full (see send).
	dropped atomic.Uint64
}

// Node is the xDS node identity a client sends.
type Node = core.Node

// Short names of the served type URLs.
const (
	typeListener = resourcev3.ListenerType
	typeRoute    = resourcev3.RouteType
	typeCluster  = resourcev3.ClusterType
	typeEndpoint = resourcev3.EndpointType
)

// servedTypes is the number of resource types Vigil serves.
const servedTypes = 4

// typeSlot returns the index of a served type URL (0 to servedTypes-1), or -1 for a type
// Vigil does not serve. Per-stream state is kept in arrays indexed by it: at 10,000 streams
// map lookups keyed by 60-byte type URLs cost more than the rest of an ACK's bookkeeping.
func typeSlot(typeURL string) int {
	switch typeURL {
	case typeCluster:
		return 0
	case typeEndpoint:
		return 1
	case typeListener:
		return 2
	case typeRoute:
		return 3
	}
	return -1
}

// shortType returns "Cluster" for a cluster type URL, for messages.
func shortType(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}

type group struct {
	types map[string]*typeState
}

// typeState is the current resources of one type for one client kind, and the watches
// waiting for a change.
type typeState struct {
	typeURL     string
	published   bool
	version     uint64
	versionInfo string
	byName      map[string]*entry
	names       []string     // sorted
	all         *sotwPayload // every resource, for wildcard subscriptions
	// named holds the payloads built for named subscriptions since the last install, by
	// subscriptionKey: the 10,000 streams watching one route config share one.
	named   map[string]*sotwPayload
	sotw    map[*sotwWatch]struct{}
	delta   map[*deltaWatch]struct{}
	dropped *atomic.Uint64
}

// entry is one resource, marshalled once for every stream.
type entry struct {
	any   *anypb.Any
	delta *discovery.Resource // the same bytes with the delta version "<type version>.<hash>"
	hash  string
}

// NewCache returns an empty cache. classify decides which client kind a node is.
func NewCache(classify func(*Node) xds.ClientKind) *Cache {
	return &Cache{classify: classify, groups: map[xds.ClientKind]*group{}}
}

func (c *Cache) groupLocked(kind xds.ClientKind) *group {
	g, ok := c.groups[kind]
	if !ok {
		g = &group{types: map[string]*typeState{}}
		for _, typeURL := range xds.TypeURLs {
			g.types[typeURL] = &typeState{typeURL: typeURL, sotw: map[*sotwWatch]struct{}{}, delta: map[*deltaWatch]struct{}{}, dropped: &c.dropped}
		}
		c.groups[kind] = g
	}
	return g
}

// Dropped returns how many responses were dropped because a stream's buffer was full. It
// stays 0 unless an invariant is broken; it is exported as a metric.
func (c *Cache) Dropped() uint64 { return c.dropped.Load() }

// Versions returns the versions currently served to a client kind (zero before the first
// Publish).
func (c *Cache) Versions(kind xds.ClientKind) xds.TypeVersions {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groupLocked(kind)
	return xds.TypeVersions{
		Listeners: g.types[typeListener].version,
		Routes:    g.types[typeRoute].version,
		Clusters:  g.types[typeCluster].version,
		Endpoints: g.types[typeEndpoint].version,
	}
}

// Publish installs translated resources for their client kind and answers the watches of
// every type whose version moved. Types whose version did not move are left untouched (a
// weight change answers only route watches). A type whose version would go backwards
// fails the whole call with ErrStale and nothing changes.
func (c *Cache) Publish(res *xds.Resources) error {
	prepared := map[string][]*entry{}
	for _, typeURL := range xds.TypeURLs {
		items, version := res.ByType(typeURL)
		entries := make([]*entry, 0, len(items))
		for _, item := range items {
			e, err := newEntry(typeURL, item, version)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		prepared[typeURL] = entries
	}

	var after []func()
	c.mu.Lock()
	err := c.installLocked(res, prepared, &after)
	c.mu.Unlock()
	for _, f := range after {
		f()
	}
	return err
}

// installLocked is Publish's part under the cache lock. Work the deliveries ask to run
// after the lock (starting stream senders) is appended to after.
func (c *Cache) installLocked(res *xds.Resources, prepared map[string][]*entry, after *[]func()) error {
	g := c.groupLocked(res.Kind)
	for _, typeURL := range xds.TypeURLs {
		_, version := res.ByType(typeURL)
		if ts := g.types[typeURL]; ts.published && version < ts.version {
			return fmt.Errorf("%w: %s %s version %d is older than the served %d", ErrStale, res.Kind, shortType(typeURL), version, ts.version)
		}
	}
	for _, typeURL := range xds.TypeURLs {
		ts := g.types[typeURL]
		_, version := res.ByType(typeURL)
		if ts.published && version == ts.version {
			continue
		}
		ts.install(version, prepared[typeURL])
		for w := range ts.sotw {
			if ts.respondSotw(w, after) {
				delete(ts.sotw, w)
			}
		}
		for w := range ts.delta {
			if ts.respondDelta(w) {
				delete(ts.delta, w)
			}
		}
	}
	return nil
}

func newEntry(typeURL string, item types.Resource, version uint64) (*entry, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(item)
	if err != nil {
		return nil, fmt.Errorf("marshal %s %q: %w", shortType(typeURL), cachev3.GetResourceName(item), err)
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:8])
	a := &anypb.Any{TypeUrl: typeURL, Value: b}
	return &entry{
		any:  a,
		hash: hash,
		delta: &discovery.Resource{
			Name:     cachev3.GetResourceName(item),
			Version:  xds.FormatVersion(version) + "." + hash,
			Resource: a,
		},
	}, nil
}

func (ts *typeState) install(version uint64, entries []*entry) {
	ts.published = true
	ts.version = version
	ts.versionInfo = xds.FormatVersion(version)
	ts.byName = make(map[string]*entry, len(entries))
	for _, e := range entries {
		ts.byName[e.delta.Name] = e
	}
	ts.names = slices.Sorted(maps.Keys(ts.byName))
	ts.all = ts.payload(ts.names)
	ts.named = map[string]*sotwPayload{}
}

// payload builds the response payload for the given names (sorted), skipping names that do
// not exist.
func (ts *typeState) payload(names []string) *sotwPayload {
	p := &sotwPayload{returned: make(map[string]string, len(names))}
	for _, name := range names {
		if e, ok := ts.byName[name]; ok {
			p.resources = append(p.resources, e.any)
			p.names = append(p.names, name)
			p.returned[name] = ts.versionInfo
		}
	}
	return p
}

// subscriptionKey identifies a set of subscribed names: the name itself for one name (no
// allocation), the sorted names joined by NUL otherwise.
func subscriptionKey(subscribed map[string]struct{}) string {
	if len(subscribed) == 1 {
		for name := range subscribed {
			return name
		}
	}
	return strings.Join(slices.Sorted(maps.Keys(subscribed)), "\x00")
}

// sotwWatch is an open state-of-the-world watch: a stream waiting for a type to move past
// the version it has.
type sotwWatch struct {
	req *discovery.DiscoveryRequest
	sub cachev3.Subscription
	// deliver hands the watch's one response to its stream. It runs with the cache locked
	// and must not block or call back into the cache; what it returns (if not nil) runs
	// once the lock is released. Holding the lock only for queueing matters: at 10,000
	// streams, senders started under it kept the publisher from the CPU while every ACK
	// waited for the lock.
	deliver func(*sotwResponse) (after func())
	// floor is the newest version the client is known to have (or to have rejected).
	floor uint64
	// nack: the client rejected version floor; only a newer version may be sent.
	nack bool
	// shared: the stream treats the response's returned set as read-only, so the payload
	// may be shared with other streams (Vigil's ADS streams; go-control-plane's per-type
	// streams update the returned set in place and get their own).
	shared bool
}

// respondSotw answers w if the served version is newer than what the client has, or equal
// but with subscribed resources this stream has not been sent yet (a new subscription or a
// new stream). It never answers with a version below floor or with a rejected version.
func (ts *typeState) respondSotw(w *sotwWatch, after *[]func()) bool {
	if !ts.published || ts.version < w.floor {
		return false
	}
	if ts.version == w.floor && (w.nack || !ts.hasUnreturned(w.sub)) {
		return false
	}
	resp := &sotwResponse{req: w.req, version: ts.versionInfo}
	switch subscribed := w.sub.SubscribedResources(); {
	case w.sub.IsWildcard() && w.shared:
		resp.sotwPayload = ts.all
	case w.sub.IsWildcard():
		resp.sotwPayload = ts.payload(ts.names)
	case w.shared:
		key := subscriptionKey(subscribed)
		if resp.sotwPayload = ts.named[key]; resp.sotwPayload == nil {
			resp.sotwPayload = ts.payload(slices.Sorted(maps.Keys(subscribed)))
			ts.named[key] = resp.sotwPayload
		}
	default:
		resp.sotwPayload = ts.payload(slices.Sorted(maps.Keys(subscribed)))
	}
	if f := w.deliver(resp); f != nil {
		*after = append(*after, f)
	}
	return true
}

func (ts *typeState) hasUnreturned(sub cachev3.Subscription) bool {
	returned := sub.ReturnedResources()
	if sub.IsWildcard() {
		for _, name := range ts.names {
			if _, ok := returned[name]; !ok {
				return true
			}
		}
		return false
	}
	for name := range sub.SubscribedResources() {
		if _, ok := returned[name]; !ok {
			if _, exists := ts.byName[name]; exists {
				return true
			}
		}
	}
	return false
}

// send delivers a response without blocking and reports whether it could. The server gives
// every stream a buffer with room for one response per type and a watch is answered at most
// once, so a full buffer means a broken invariant; dropping (and counting) is then safer
// than blocking every Publish behind one stream.
func send[T any](ch chan T, v T) bool {
	select {
	case ch <- v:
		return true
	default:
		return false
	}
}

// CreateWatch implements cache.ConfigWatcher for the state-of-the-world streams
// go-control-plane serves (the per-type LDS, RDS, CDS and EDS services; ADS streams are
// Vigil's own, see adsStream).
func (c *Cache) CreateWatch(req *discovery.DiscoveryRequest, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	var rejected uint64
	if v, ok := c.nacked.LoadAndDelete(req); ok {
		rejected = v.(uint64)
	}
	deliver := func(r *sotwResponse) func() {
		if !send(out, cachev3.Response(r)) {
			c.dropped.Add(1)
		}
		return nil
	}
	return c.watchSotw(c.classify(req.GetNode()), req, sub, rejected, false, deliver), nil
}

// watchSotw opens a state-of-the-world watch for a client of the given kind: deliver gets
// at most one response, at once if the client lacks the served version (or some of the
// subscribed resources), otherwise at the next Publish that moves the type. rejected is a
// version the stream NACKed and has not since moved past (0 for none): it is never sent.
// shared says the caller never modifies a response's returned set, so responses may share
// it with other streams. The returned function closes the watch; after it returns, deliver
// is not called.
func (c *Cache) watchSotw(kind xds.ClientKind, req *discovery.DiscoveryRequest, sub cachev3.Subscription, rejected uint64, shared bool, deliver func(*sotwResponse) func()) (cancel func()) {
	w := &sotwWatch{req: req, sub: sub, deliver: deliver, shared: shared}
	if v, ok := xds.ParseVersion(req.GetVersionInfo()); ok {
		w.floor = v
	}
	if rejected > 0 {
		w.floor = max(w.floor, rejected)
		w.nack = true
	}
	var after []func()
	defer func() {
		for _, f := range after {
			f()
		}
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	ts, ok := c.groupLocked(kind).types[req.GetTypeUrl()]
	if !ok {
		// A type Vigil does not serve (secrets, runtime): the watch stays open and silent.
		return func() {}
	}
	if ts.respondSotw(w, &after) {
		return func() {}
	}
	ts.sotw[w] = struct{}{}
	return func() {
		c.mu.Lock()
		delete(ts.sotw, w)
		c.mu.Unlock()
	}
}

// deltaWatch is an open incremental watch.
type deltaWatch struct {
	req *discovery.DeltaDiscoveryRequest
	sub cachev3.Subscription
	out chan cachev3.DeltaResponse
	// floor is the newest type version among the resources the client reports having.
	floor uint64
}

// respondDelta answers w with the resources whose content differs from what the stream
// has and the names that no longer exist. The first wildcard request of a stream is
// answered even when empty, as Envoy waits for it to finish initialising.
func (ts *typeState) respondDelta(w *deltaWatch) bool {
	if !ts.published || ts.version < w.floor {
		return false
	}
	returned := w.sub.ReturnedResources()
	wanted := ts.names
	if !w.sub.IsWildcard() {
		wanted = slices.Sorted(maps.Keys(w.sub.SubscribedResources()))
	}
	var changed []*discovery.Resource
	for _, name := range wanted {
		e, ok := ts.byName[name]
		if !ok {
			continue
		}
		if have, ok := returned[name]; !ok || deltaHash(have) != e.hash {
			changed = append(changed, e.delta)
		}
	}
	var removed []string
	for _, name := range slices.Sorted(maps.Keys(returned)) {
		if _, ok := ts.byName[name]; !ok {
			removed = append(removed, name)
		}
	}
	first := w.sub.IsWildcard() && w.req.GetResponseNonce() == ""
	if len(changed) == 0 && len(removed) == 0 && !first {
		return false
	}
	next := make(map[string]string, len(returned)+len(changed))
	for name, v := range returned {
		next[name] = v
	}
	for _, r := range changed {
		next[r.Name] = r.Version
	}
	for _, name := range removed {
		delete(next, name)
	}
	if !send(w.out, cachev3.DeltaResponse(&deltaResponse{req: w.req, version: ts.versionInfo, resources: changed, removed: removed, next: next})) {
		ts.dropped.Add(1)
	}
	return true
}

// deltaHash returns the content part of a delta resource version "<type version>.<hash>".
func deltaHash(v string) string {
	_, hash, _ := strings.Cut(v, ".")
	return hash
}

// deltaTypeVersion returns the type-version part of a delta resource version.
func deltaTypeVersion(v string) uint64 {
	head, _, _ := strings.Cut(v, ".")
	n, _ := strconv.ParseUint(head, 10, 64)
	return n
}

// CreateDeltaWatch implements cache.ConfigWatcher for incremental streams.
func (c *Cache) CreateDeltaWatch(req *discovery.DeltaDiscoveryRequest, sub cachev3.Subscription, out chan cachev3.DeltaResponse) (func(), error) {
	w := &deltaWatch{req: req, sub: sub, out: out}
	for _, v := range sub.ReturnedResources() {
		w.floor = max(w.floor, deltaTypeVersion(v))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts, ok := c.groupLocked(c.classify(req.GetNode())).types[req.GetTypeUrl()]
	if !ok {
		return func() {}, nil
	}
	if ts.respondDelta(w) {
		return func() {}, nil
	}
	ts.delta[w] = struct{}{}
	return func() {
		c.mu.Lock()
		delete(ts.delta, w)
		c.mu.Unlock()
	}, nil
}

// Fetch implements cache.ConfigFetcher. Vigil serves xDS over streams only.
func (c *Cache) Fetch(context.Context, *discovery.DiscoveryRequest) (cachev3.Response, error) {
	return nil, errors.New("xds: REST fetch is not supported; use ADS over gRPC")
}

var _ cachev3.Cache = (*Cache)(nil)

// sotwResponse answers one watch. Its payload (the marshalled resources) is shared with
// the other streams that get the same names. The server stamps a nonce on the message it
// gets, so each call returns a new message.
type sotwResponse struct {
	req     *discovery.DiscoveryRequest
	version string
	*sotwPayload
}

// sotwPayload is the part of a response that depends only on the served version and the
// subscribed names. It is never modified once built.
type sotwPayload struct {
	resources []*anypb.Any
	names     []string // of resources, for the ledger
	returned  map[string]string

	// The response body in wire form, built on first send (see encodedBody).
	encodeOnce sync.Once
	encoded    []byte
	encodeErr  error
}

// namesKey carries a response's resource names to the ledger through the response context.
type namesKey struct{}

// responseNames returns the resource names a response context carries.
func responseNames(ctx context.Context) []string {
	names, _ := ctx.Value(namesKey{}).([]string)
	return names
}

func (r *sotwResponse) GetDiscoveryResponse() (*discovery.DiscoveryResponse, error) {
	return &discovery.DiscoveryResponse{VersionInfo: r.version, Resources: r.resources, TypeUrl: r.req.GetTypeUrl()}, nil
}
func (r *sotwResponse) GetRequest() *discovery.DiscoveryRequest { return r.req }
func (r *sotwResponse) GetVersion() (string, error)             { return r.version, nil }
func (r *sotwResponse) GetResponseVersion() string              { return r.version }
func (r *sotwResponse) GetReturnedResources() map[string]string { return r.returned }
func (r *sotwResponse) GetContext() context.Context {
	return context.WithValue(context.Background(), namesKey{}, r.names)
}

type deltaResponse struct {
	req       *discovery.DeltaDiscoveryRequest
	version   string
	resources []*discovery.Resource
	removed   []string
	next      map[string]string
}

func (r *deltaResponse) GetDeltaDiscoveryResponse() (*discovery.DeltaDiscoveryResponse, error) {
	return &discovery.DeltaDiscoveryResponse{
		SystemVersionInfo: r.version,
		Resources:         r.resources,
		RemovedResources:  r.removed,
		TypeUrl:           r.req.GetTypeUrl(),
	}, nil
}
func (r *deltaResponse) GetDeltaRequest() *discovery.DeltaDiscoveryRequest { return r.req }
func (r *deltaResponse) GetSystemVersion() (string, error)                 { return r.version, nil }
func (r *deltaResponse) GetResponseVersion() string                        { return r.version }
func (r *deltaResponse) GetNextVersionMap() map[string]string              { return r.next }
func (r *deltaResponse) GetReturnedResources() map[string]string           { return r.next }
func (r *deltaResponse) GetContext() context.Context                       { return context.Background() }
