package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/raftstore"
)

// header stamps a command with the proposer's clock and the actor.
func (a *Agent) header(_ context.Context, actor string) raftstore.Header {
	return raftstore.Header{Time: time.Now().UTC(), Actor: actor}
}

// apply proposes cmd through the leader and returns once it is committed and applied on
// this node too (so a read here right after sees it). On a follower the encoded command is
// forwarded to the leader's admin API. While no leader is known (an election), it retries
// until ctx ends. A write is retried only when it certainly was not appended; otherwise the
// caller gets raftstore.ErrOutcomeUnknown.
func (a *Agent) apply(ctx context.Context, cmd raftstore.Command) (uint64, error) {
	b, err := raftstore.Encode(cmd)
	if err != nil {
		return 0, err
	}
	index, err := a.applyEncoded(ctx, b)
	if err == nil {
		a.awaitPublished(ctx, index)
	}
	return index, err
}

// publishWait bounds how long a committed write waits for this node's xDS publisher.
const publishWait = 2 * time.Second

// awaitPublished waits (at most publishWait) until this node's xDS server has published the
// state at index, so a proxy that connects here after the write's answer gets the written
// routes, not the previous ones. The write is committed either way: a slow publisher delays
// the answer, never fails it.
func (a *Agent) awaitPublished(ctx context.Context, index uint64) {
	wctx, cancel := context.WithTimeout(ctx, publishWait)
	defer cancel()
	if err := a.xds.WaitPublished(wctx, index); err != nil && ctx.Err() == nil {
		a.log.Warn("write committed but not yet published over xDS on this node", "index", index, "waited", publishWait)
	}
}

func (a *Agent) applyEncoded(ctx context.Context, b []byte) (uint64, error) {
	backoff := 20 * time.Millisecond
	for {
		index, err := a.node.ApplyEncoded(ctx, b)
		var notLeader *raftstore.NotLeaderError
		var transport *api.TransportError
		if !errors.As(err, &notLeader) {
			return index, err
		}
		if notLeader.LeaderID != "" {
			if m := a.node.State().Member(notLeader.LeaderID); m != nil && m.AdminAddr != "" {
				res, ferr := api.NewClient(m.AdminAddr, a.client).ApplyEncoded(ctx, b)
				switch {
				case ferr == nil:
					wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					werr := a.node.WaitForIndex(wctx, res.Index)
					cancel()
					if werr != nil {
						a.log.Warn("write committed but not yet applied here", "index", res.Index, "error", werr)
					}
					return res.Index, nil
				case api.IsCode(ferr, api.CodeNotLeader):
					// The leader moved on before appending it; ask again.
				case errors.As(ferr, &transport) && transport.NotSent():
					// The leader could not be reached: nothing was sent.
				case errors.As(ferr, &transport):
					return 0, fmt.Errorf("%w: forwarded to the leader %s: %v", raftstore.ErrOutcomeUnknown, notLeader.LeaderID, ferr)
				default:
					return 0, ferr
				}
			}
		}
		select {
		case <-ctx.Done():
			return 0, &api.Error{Code: api.CodeNotLeader, Message: fmt.Sprintf("no leader accepted the write before the deadline: %v", notLeader),
				Hint: "the cluster may have lost its quorum; check `meshctl cluster members`"}
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

// writeError maps a write failure to an HTTP answer.
func writeError(w http.ResponseWriter, err error) {
	var apiErr *api.Error
	switch {
	case errors.As(err, &apiErr):
	case errors.Is(err, raftstore.ErrOutcomeUnknown):
		apiErr = &api.Error{Code: api.CodeUnavailable, Message: err.Error(),
			Hint: "the write may or may not have been applied; read the record before retrying"}
	case errors.Is(err, raftstore.ErrNotLeader):
		apiErr = &api.Error{Code: api.CodeNotLeader, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		apiErr = &api.Error{Code: api.CodeTimeout, Message: err.Error()}
	default:
		apiErr = &api.Error{Code: api.CodeInternal, Message: err.Error()}
	}
	writeJSON(w, statusOf(apiErr.Code), apiErr)
}

func statusOf(code api.ErrorCode) int {
	switch code {
	case api.CodeInvalid:
		return http.StatusBadRequest
	case api.CodeNotFound:
		return http.StatusNotFound
	case api.CodeConflict:
		return http.StatusConflict
	case api.CodePrecondition:
		return http.StatusPreconditionFailed
	case api.CodeNotLeader, api.CodeUnavailable:
		return http.StatusServiceUnavailable
	case api.CodeTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
