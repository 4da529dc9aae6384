package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seed70a3350f/vigil/xds"
)

// adsServer serves the Aggregated Discovery Service. State-of-the-world ADS streams, which
// every proxyless gRPC client and most Envoys use, are served here directly; incremental
// (delta) ADS streams are handed to go-control-plane's server.
//
// A SotW stream costs one goroutine while it is idle (the one reading its requests) and
// no per-message channel hops: a Publish appends the stream's response to its queue under
// the cache lock, and a sender goroutine started for that queue sends it and exits. The
// protocol is go-control-plane's (sotw.WithOrderedADS): one nonce sequence per stream; a
// request whose nonce is not the newest of its type is stale and ignored; a fresh request
// replaces the type's watch and drops a response of that type still queued; responses go
// out in the order the cache produced them (clusters and endpoints before listeners and
// routes within a Publish).
type adsServer struct {
	discovery.UnimplementedAggregatedDiscoveryServiceServer

	delta  serverv3.Server // DeltaAggregatedResources
	cache  *Cache
	ledger *Ledger
	log    hclog.Logger
	// legacyWildcard reports whether an empty resource list means "all" for a type (LDS
	// and CDS; routes and endpoints are always named, as for go-control-plane's
	// DeactivateLegacyWildcardForTypes).
	legacyWildcard func(typeURL string) bool

	streams atomic.Int64 // numbers streams for the ledger
}

// DeltaAggregatedResources implements the ADS service: delta streams are go-control-plane's.
func (a *adsServer) DeltaAggregatedResources(s discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesServer) error {
	return a.delta.DeltaAggregatedResources(s)
}

// StreamAggregatedResources implements the ADS service for a state-of-the-world stream. It
// returns when the client ends the stream, the server stops, or a send fails.
func (a *adsServer) StreamAggregatedResources(grpcStream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	st := &adsStream{
		srv:    a,
		key:    streamKey{server: serverADS, id: a.streams.Add(1)},
		grpc:   grpcStream,
		failed: make(chan struct{}),
	}
	st.idle = sync.NewCond(&st.mu)
	ctx := grpcStream.Context()
	a.ledger.open(ctx, st.key)
	defer a.ledger.close(st.key)

	received := make(chan error, 1)
	go func() { received <- st.receive() }()
	var err error
	select {
	case err = <-received:
	case <-st.failed:
		st.mu.Lock()
		err = st.err
		st.mu.Unlock()
	}
	// The stream ends when this handler returns: stop sending first (gRPC forbids a send
	// after the handler returns), then the receiver sees the stream's end and closes the
	// watches it opened.
	st.stopSending()
	if errors.Is(err, io.EOF) {
		return nil // the client closed its side: a normal end
	}
	if err != nil && !errors.Is(err, context.Canceled) && status.Code(err) != codes.Canceled {
		st.mu.Lock()
		node := st.node
		st.mu.Unlock()
		a.log.Debug("ads stream ended", "stream", st.key, "node", nodeID(node), "error", err)
	}
	return err
}

// adsStream is one SotW ADS stream.
type adsStream struct {
	srv  *adsServer
	key  streamKey
	grpc discovery.AggregatedDiscoveryService_StreamAggregatedResourcesServer

	mu      sync.Mutex
	node    *core.Node             // from the first request that carries one
	kind    xds.ClientKind         // of node; read by the receiver only
	watches [servedTypes]*adsWatch // by typeSlot
	queue   []*sotwResponse        // responses not yet sent, in cache order
	sending bool                   // a sender goroutine owns the queue
	stopped bool                   // the handler is returning: nothing more is sent
	idle    *sync.Cond             // on mu; signalled when sending ends
	nonce   int64
	err     error         // the first send error
	failed  chan struct{} // closed on the first send error
}

// adsWatch is the stream's state for one resource type.
type adsWatch struct {
	sub    streamv3.Subscription
	names  []string // the resource names of the request sub reflects
	nonce  string   // of the newest response sent for the type
	cancel func()   // closes the open cache watch (a no-op once it was answered)
}

// receive reads and handles requests until the stream ends, then closes its cache watches.
func (st *adsStream) receive() error {
	defer func() {
		st.mu.Lock()
		var cancels []func()
		for _, w := range st.watches {
			if w != nil && w.cancel != nil {
				cancels = append(cancels, w.cancel)
			}
		}
		st.mu.Unlock()
		for _, cancel := range cancels {
			cancel()
		}
	}()
	for {
		req, err := st.grpc.Recv()
		if err != nil {
			return err
		}
		if err := st.handle(req); err != nil {
			return err
		}
	}
}

// handle processes one request: it records it in the ledger (an ACK or NACK of the type's
// newest response), ignores it if its nonce is stale, and otherwise replaces the type's
// watch with one for the request's subscription and version.
func (st *adsStream) handle(req *discovery.DiscoveryRequest) error {
	typeURL := req.GetTypeUrl()
	if typeURL == "" {
		return status.Errorf(codes.InvalidArgument, "ads stream %s: a request without type_url; ADS needs the type of every request", st.key)
	}
	if st.node == nil {
		if node := req.GetNode(); node != nil {
			st.mu.Lock()
			st.node = node
			st.mu.Unlock()
			st.kind = st.srv.cache.classify(node)
		} else if st.kind == 0 {
			st.kind = st.srv.cache.classify(nil) // until the client names itself
		}
	}
	errDetail := req.GetErrorDetail()
	rejected := st.srv.ledger.request(st.key, req.GetNode(), typeURL, req.GetResourceNames(), req.GetResponseNonce(), errDetail.GetMessage(), errDetail != nil)
	slot := typeSlot(typeURL)
	if slot < 0 {
		// A type Vigil does not serve (secrets, runtime): it is never answered, as a
		// watch on it would stay silent.
		return nil
	}

	st.mu.Lock()
	w := st.watches[slot]
	ok := w != nil
	if ok && w.nonce != "" && req.GetResponseNonce() != w.nonce {
		// Stale: the client has not seen the newest response of this type yet; its answer
		// to that one follows (xDS protocol, "resource updates").
		st.mu.Unlock()
		return nil
	}
	var cancel func()
	var seen string
	if ok {
		cancel, seen = w.cancel, w.nonce
	}
	st.mu.Unlock()
	if cancel != nil {
		cancel() // no response of the old watch can be queued after this
	}

	st.mu.Lock()
	if ok && w.nonce != seen {
		// The old watch was answered and its response sent meanwhile: this request is now
		// stale too, and the client's answer to that response opens the next watch.
		st.mu.Unlock()
		return nil
	}
	if !ok {
		w = &adsWatch{sub: streamv3.NewSotwSubscription(req.GetResourceNames(), st.srv.legacyWildcard(typeURL)), names: req.GetResourceNames()}
		st.watches[slot] = w
	} else {
		// A response of this type still queued answers a request the client has replaced.
		st.dropQueuedLocked(typeURL)
		if !slices.Equal(w.names, req.GetResourceNames()) {
			// The subscription changed (an ACK repeats it, and costs nothing here). The
			// update may delete from the returned set, which came from a payload shared
			// with other streams: give this stream its own first.
			w.sub.SetReturnedResources(maps.Clone(w.sub.ReturnedResources()))
			w.sub.SetResourceSubscription(req.GetResourceNames())
			w.names = req.GetResourceNames()
		}
	}
	sub := w.sub // the cache reads its own copy; the sender updates the stream's
	st.mu.Unlock()

	cancel = st.srv.cache.watchSotw(st.kind, req, sub, rejected, true, st.enqueue)
	st.mu.Lock()
	w.cancel = cancel
	st.mu.Unlock()
	return nil
}

// dropQueuedLocked removes the queued responses of a type.
func (st *adsStream) dropQueuedLocked(typeURL string) {
	kept := st.queue[:0]
	for _, r := range st.queue {
		if r.req.GetTypeUrl() != typeURL {
			kept = append(kept, r)
		}
	}
	clear(st.queue[len(kept):])
	st.queue = kept
}

// enqueue queues a response. The cache calls it with its lock held, so it never blocks;
// if no sender runs, it returns the function that starts one, which the cache calls once
// its lock is released.
func (st *adsStream) enqueue(r *sotwResponse) (startSender func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.stopped {
		return nil
	}
	st.queue = append(st.queue, r)
	if st.sending {
		return nil
	}
	st.sending = true
	return st.startSender
}

func (st *adsStream) startSender() { go st.send() }

// send sends queued responses in order until the queue is empty, the stream stops, or a
// send fails. Only one send runs per stream at a time (gRPC allows one sender).
func (st *adsStream) send() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for len(st.queue) > 0 && !st.stopped {
		r := st.queue[0]
		st.queue[0] = nil
		st.queue = st.queue[1:]
		typeURL := r.req.GetTypeUrl()
		st.nonce++
		nonce := strconv.FormatInt(st.nonce, 10)
		if slot := typeSlot(typeURL); slot >= 0 && st.watches[slot] != nil {
			w := st.watches[slot]
			w.nonce = nonce
			w.sub.SetReturnedResources(r.returned)
		}
		st.mu.Unlock()

		st.srv.ledger.response(st.key, typeURL, r.version, nonce, r.names)
		body, err := r.encodedBody(r.version, typeURL)
		if err == nil {
			err = st.grpc.SendMsg(&encodedResponse{body: body, nonce: nonceField(nonce)})
		}

		st.mu.Lock()
		if err != nil {
			if st.err == nil {
				st.err = fmt.Errorf("ads stream %s: send %s version %s: %w", st.key, shortType(typeURL), r.version, err)
				close(st.failed)
			}
			break
		}
	}
	st.sending = false
	st.idle.Broadcast()
}

// stopSending stops the stream's sender and waits for a send in progress to return.
func (st *adsStream) stopSending() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stopped = true
	st.queue = nil
	for st.sending {
		st.idle.Wait()
	}
}
