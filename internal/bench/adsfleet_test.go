package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seed70a3350f/vigil/internal/adsclient"
	"github.com/seed70a3350f/vigil/router"
)

// adsFleet is a set of raw ADS streams (adsclient) that subscribe to the benchmark service
// as proxyless gRPC clients do and ACK every response: the same simulated proxies as
// BenchmarkConvergence's, placed over several xDS servers. Stream i connects to
// addrs[i%len(addrs)]; up to -streams-per-conn streams share one gRPC connection.
type adsFleet struct {
	clients []*adsclient.Client
	conns   []*grpc.ClientConn
	cancel  context.CancelFunc
}

// connectFleet opens n streams placed over addrs; onAck is called after every ACK a stream
// sends. The streams live until close. On error the streams opened so far are closed.
func connectFleet(ctx context.Context, addrs []string, n int, onAck func(typeURL, version string, at time.Time)) (*adsFleet, error) {
	if len(addrs) == 0 || n < 1 {
		return nil, fmt.Errorf("ads fleet: want at least one address and one stream, got %d addresses and %d streams", len(addrs), n)
	}
	streamCtx, cancel := context.WithCancel(context.Background())
	f := &adsFleet{clients: make([]*adsclient.Client, n), cancel: cancel}
	perAddr := make([]int, len(addrs))
	current := make([]*grpc.ClientConn, len(addrs))
	clusters := []string{router.ClusterName(benchService, benchV1), router.ClusterName(benchService, benchV2)}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		a := i % len(addrs)
		if perAddr[a]%*streamsPer == 0 {
			conn, err := grpc.NewClient(addrs[a], grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				wg.Wait()
				f.close()
				return nil, fmt.Errorf("ads fleet: connection to %s: %w", addrs[a], err)
			}
			f.conns = append(f.conns, conn)
			current[a] = conn
		}
		perAddr[a]++
		conn := current[a]
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := adsclient.Start(streamCtx, conn, adsclient.Options{
				NodeID: fmt.Sprintf("proxy-%05d", i), Kind: "grpc", Service: benchService,
				Routes: []string{benchService}, Clusters: clusters, OnAck: onAck,
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("ads fleet: stream %d to %s: %w", i, addrs[i%len(addrs)], err)
				}
				return
			}
			f.clients[i] = c
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		f.close()
		return nil, firstErr
	}
	return f, nil
}

// waitRoutes waits until every stream has ACKed routes version v.
func (f *adsFleet) waitRoutes(ctx context.Context, v string) error {
	for _, c := range f.clients {
		if err := c.WaitVersion(ctx, resourcev3.RouteType, v); err != nil {
			return fmt.Errorf("waiting for routes version %s (stream holds %q): %w", v, c.Version(resourcev3.RouteType), err)
		}
	}
	return nil
}

// lagging returns how many streams do not hold routes version v.
func (f *adsFleet) lagging(v string) int {
	n := 0
	for _, c := range f.clients {
		if c.Version(resourcev3.RouteType) != v {
			n++
		}
	}
	return n
}

// close ends every stream and connection and waits for the streams' receive loops to stop.
func (f *adsFleet) close() {
	f.cancel()
	for _, c := range f.conns {
		_ = c.Close()
	}
	for _, c := range f.clients {
		if c != nil {
			<-c.Done()
		}
	}
}
