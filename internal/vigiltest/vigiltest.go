// Package vigiltest starts real Vigil components for integration tests: xds-server nodes
// in-process on loopback ports, gRPC backends standing in for model versions, and
// proxyless gRPC clients that resolve through xDS. It is test scaffolding: only tests
// import it.
package vigiltest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/xds"

	"github.com/seed70a3350f/vigil/api"
	"github.com/seed70a3350f/vigil/internal/agent"
	"github.com/seed70a3350f/vigil/internal/freeport"
)

// NodeOptions tune StartNode.
type NodeOptions struct {
	ID        string
	DataDir   string // default t.TempDir()
	Bootstrap bool
	Peers     []string
	Join      []string
	NonVoter  bool
	RaftAddr  string // default 127.0.0.1:<free port>
	// WarmTimeout for make-before-break waits; default 10s.
	WarmTimeout string
	LogLevel    string // default warn (VIGIL_TEST_LOG=debug shows more)
	// PrometheusAddress is the Prometheus the controller measures with; empty: none.
	PrometheusAddress string
	// ControllerTick is the controller's round period; default the agent's.
	ControllerTick string
}

// StartNode starts an xds-server agent in-process on loopback and stops it at cleanup.
func StartNode(t testing.TB, opts NodeOptions) *agent.Agent {
	t.Helper()
	if opts.ID == "" {
		opts.ID = "node-1"
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.RaftAddr == "" {
		opts.RaftAddr = FreeAddr(t)
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: opts.ID, Level: hclog.LevelFromString(opts.LogLevel), Output: testWriter{t}})
	a, err := agent.New(agent.Config{
		NodeID: opts.ID, DataDir: opts.DataDir, RaftAddr: opts.RaftAddr,
		AdminAddr: "127.0.0.1:0", XDSAddr: "127.0.0.1:0",
		Bootstrap: opts.Bootstrap, Peers: opts.Peers, Join: opts.Join, NonVoter: opts.NonVoter,
		WarmTimeout: opts.WarmTimeout, DrainTimeout: "1s",
		PrometheusAddress: opts.PrometheusAddress, ControllerTick: opts.ControllerTick,
	}, logger)
	if err != nil {
		t.Fatalf("start node %s: %v", opts.ID, err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("start node %s: %v", opts.ID, err)
	}
	stopped := false
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			stopped = true
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Shutdown(ctx)
		}
	})
	return a
}

// StartDev starts a single bootstrapped node and waits until it leads.
func StartDev(t testing.TB) *agent.Agent {
	t.Helper()
	a := StartNode(t, NodeOptions{ID: "dev", Bootstrap: true})
	WaitLeader(t, a, 15*time.Second)
	return a
}

// WaitLeader waits until a is the leader with its member record registered.
func WaitLeader(t testing.TB, a *agent.Agent, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if a.Node().IsLeader() && a.Node().State().Member(a.Self().ID) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("node %s did not become leader within %s", a.Self().ID, timeout)
}

// Client returns an admin API client for a.
func Client(a *agent.Agent) *api.Client {
	c := api.NewClient(a.AdminAddr(), nil)
	c.Actor = "test"
	return c
}

// FreeAddr returns a loopback address that is free now, outside the ephemeral port range,
// and not handed out before in this test process (see package freeport).
func FreeAddr(t testing.TB) string {
	t.Helper()
	return freeport.Addr(t)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Backend is a gRPC server standing in for one model version: its UnaryCall answers with
// Hostname set to its name, so clients can tell which version served them.
type Backend struct {
	Name string
	Addr string
	srv  *grpc.Server
}

type echoServer struct {
	testgrpc.UnimplementedTestServiceServer
	name string
}

func (s echoServer) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Hostname: s.name}, nil
}

func (s echoServer) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

// StartBackend starts a Backend on loopback, stopped at cleanup.
func StartBackend(t testing.TB, name string) *Backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(srv, echoServer{name: name})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return &Backend{Name: name, Addr: lis.Addr().String(), srv: srv}
}

// XDSBootstrap returns a gRPC xDS bootstrap document for a client with the given node id
// that talks to the xDS server at addr.
func XDSBootstrap(addr, nodeID string) []byte {
	return []byte(fmt.Sprintf(`{
  "xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
  "node": {"id": %q, "cluster": "vigil-test", "locality": {"zone": "test"}}
}`, addr, nodeID))
}

// XDSClient is a proxyless gRPC client that resolves its service through xDS.
type XDSClient struct {
	NodeID string
	Conn   *grpc.ClientConn
	test   testgrpc.TestServiceClient
}

// DialXDS creates a proxyless client of service with its own xDS resolver (its own xDS
// stream and node id), closed at cleanup.
func DialXDS(t testing.TB, xdsAddr, nodeID, service string) *XDSClient {
	t.Helper()
	builder, err := xds.NewXDSResolverWithConfigForTesting(XDSBootstrap(xdsAddr, nodeID))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("xds:///"+service, grpc.WithResolvers(builder), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &XDSClient{NodeID: nodeID, Conn: conn, test: testgrpc.NewTestServiceClient(conn)}
}

// Call makes one RPC and returns the name of the backend that answered. md adds request
// headers (e.g. a version pin).
func (c *XDSClient) Call(ctx context.Context, md ...string) (string, error) {
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	resp, err := c.test.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return "", err
	}
	return resp.GetHostname(), nil
}
