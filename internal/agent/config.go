// Package agent assembles an xds-server node: the Raft node and its replicated state, the
// xDS server fed from that state, and the admin HTTP API with leader forwarding. The
// xds-server command only parses flags and runs an Agent; tests start Agents in-process.
package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsimple"

	"github.com/seed70a3350f/vigil/raftstore"
)

// Config is an xds-server node's configuration. It can be read from an HCL file
// (LoadConfigFile); command-line flags override the file. Zero values take the defaults
// given on each field.
type Config struct {
	// NodeID is this node's stable id in the cluster. Default: the host name ("dev" in dev
	// mode).
	NodeID string `hcl:"node_id,optional"`
	// DataDir holds the Raft log, stable store and snapshots. Required (dev default
	// ".vigil-dev").
	DataDir string `hcl:"data_dir,optional"`
	// RaftAddr is the Raft TCP address (bind and advertise). Default 127.0.0.1:8300.
	RaftAddr string `hcl:"raft_addr,optional"`
	// AdminAddr is the admin HTTP/JSON API address (also /metrics, /healthz). Default
	// 127.0.0.1:8500.
	AdminAddr string `hcl:"admin_addr,optional"`
	// XDSAddr is the xDS gRPC address proxies connect to. Default 127.0.0.1:18000.
	XDSAddr string `hcl:"xds_addr,optional"`
	// AdvertiseAdmin and AdvertiseXDS are the addresses other nodes and clients use when
	// the listen address is 0.0.0.0. Default: the listen addresses.
	AdvertiseAdmin string `hcl:"advertise_admin,optional"`
	AdvertiseXDS   string `hcl:"advertise_xds,optional"`

	// Bootstrap forms a new cluster when the node has no state: alone, or with Peers.
	Bootstrap bool `hcl:"bootstrap,optional"`
	// Peers are the initial voters "id=raft_addr" for a multi-node bootstrap (every
	// initial node is started with the same list, including itself).
	Peers []string `hcl:"peers,optional"`
	// Join lists admin addresses (host:port) of existing members to ask for membership
	// when the node has no state.
	Join []string `hcl:"join,optional"`
	// NonVoter joins as a non-voting member: it replicates and serves xDS, never votes.
	NonVoter bool `hcl:"non_voter,optional"`

	// LogLevel is trace, debug, info, warn or error. Default info.
	LogLevel string `hcl:"log_level,optional"`
	// LogJSON writes JSON log lines.
	LogJSON bool `hcl:"log_json,optional"`

	// EnvoyListenerPort is the port of the HTTP listener sent to Envoy proxies. Default
	// 10000. It must be the same on every node.
	EnvoyListenerPort int `hcl:"envoy_listener_port,optional"`
	// WarmTimeout bounds how long a route change waits for proxies to ACK the clusters of
	// versions it starts sending traffic to (make-before-break). Default 10s.
	WarmTimeout string `hcl:"warm_timeout,optional"`
	// DrainTimeout bounds graceful shutdown of xDS streams. Default 5s.
	DrainTimeout string `hcl:"drain_timeout,optional"`

	// Raft timing (durations); defaults in raftstore.DefaultTiming.
	HeartbeatTimeout   string `hcl:"raft_heartbeat_timeout,optional"`
	ElectionTimeout    string `hcl:"raft_election_timeout,optional"`
	LeaderLeaseTimeout string `hcl:"raft_leader_lease_timeout,optional"`
	// SnapshotThreshold: log entries between snapshots (and log compaction). Default 4096.
	SnapshotThreshold uint64 `hcl:"raft_snapshot_threshold,optional"`
	// TrailingLogs: entries kept after a snapshot for followers that lag a little.
	// Default 4096.
	TrailingLogs uint64 `hcl:"raft_trailing_logs,optional"`
	// SnapshotInterval: how often the snapshot threshold is checked (raft waits a random
	// time between one and two intervals). Default 30s.
	SnapshotInterval string `hcl:"raft_snapshot_interval,optional"`

	// PrometheusAddress is the base URL of the Prometheus HTTP API that triggers and
	// judges query, e.g. http://127.0.0.1:9090. Without it every measurement is an error
	// and rollouts hold; they never advance on missing data.
	PrometheusAddress string `hcl:"prometheus_address,optional"`
	// PrometheusTimeout bounds one query attempt. Default 5s.
	PrometheusTimeout string `hcl:"prometheus_timeout,optional"`
	// PrometheusBearerTokenFile names a file holding a bearer token for Prometheus.
	PrometheusBearerTokenFile string `hcl:"prometheus_bearer_token_file,optional"`
	// ControllerTick is the period of the rollout controller's rounds on the leader.
	// Default 250ms.
	ControllerTick string `hcl:"controller_tick,optional"`

	// Dev selects the single-node embedded defaults.
	Dev bool `hcl:"dev,optional"`
}

// LoadConfigFile reads an HCL config file. Unknown attributes are errors with their position.
func LoadConfigFile(path string) (Config, error) {
	var c Config
	if err := hclsimple.DecodeFile(path, nil, &c); err != nil {
		return Config{}, fmt.Errorf("config file: %w", err)
	}
	return c, nil
}

// resolved is a validated Config with defaults applied and durations parsed.
type resolved struct {
	Config
	timing raftstore.Timing
	// snapshotInterval is SnapshotInterval parsed.
	snapshotInterval time.Duration
	warmTimeout      time.Duration
	drainTimeout     time.Duration
	promTimeout      time.Duration
	tick             time.Duration
	peers            []peer
}

type peer struct{ id, raftAddr string }

// resolve applies defaults and validates; every error names the field and value.
func (c Config) resolve() (resolved, error) {
	r := resolved{Config: c}
	if c.Dev {
		r.Bootstrap = true
		if r.NodeID == "" {
			r.NodeID = "dev"
		}
		if r.DataDir == "" {
			r.DataDir = ".vigil-dev"
		}
	}
	if r.NodeID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return r, errors.New("node_id is not set and the host name is unknown; set -node-id")
		}
		r.NodeID = host
	}
	if r.DataDir == "" {
		return r, errors.New("data_dir is required; set -data-dir (or use -dev)")
	}
	r.DataDir = filepath.Clean(r.DataDir)
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&r.RaftAddr, "127.0.0.1:8300")
	def(&r.AdminAddr, "127.0.0.1:8500")
	def(&r.XDSAddr, "127.0.0.1:18000")
	def(&r.AdvertiseAdmin, r.AdminAddr)
	def(&r.AdvertiseXDS, r.XDSAddr)
	def(&r.LogLevel, "info")
	for name, addr := range map[string]string{"raft_addr": r.RaftAddr, "admin_addr": r.AdminAddr, "xds_addr": r.XDSAddr, "advertise_admin": r.AdvertiseAdmin, "advertise_xds": r.AdvertiseXDS} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return r, fmt.Errorf("%s = %q is not host:port: %w", name, addr, err)
		}
	}
	switch r.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		return r, fmt.Errorf("log_level = %q: want trace, debug, info, warn or error", r.LogLevel)
	}
	if r.EnvoyListenerPort == 0 {
		r.EnvoyListenerPort = 10000
	}
	if r.EnvoyListenerPort < 1 || r.EnvoyListenerPort > 65535 {
		return r, fmt.Errorf("envoy_listener_port = %d: want 1-65535", r.EnvoyListenerPort)
	}
	var err error
	parse := func(field, s string, def time.Duration) time.Duration {
		if err != nil || s == "" {
			return def
		}
		d, perr := time.ParseDuration(s)
		if perr != nil || d <= 0 {
			err = fmt.Errorf("%s = %q: want a positive duration such as 500ms", field, s)
		}
		return d
	}
	dt := raftstore.DefaultTiming()
	r.warmTimeout = parse("warm_timeout", c.WarmTimeout, 10*time.Second)
	r.drainTimeout = parse("drain_timeout", c.DrainTimeout, 5*time.Second)
	r.promTimeout = parse("prometheus_timeout", c.PrometheusTimeout, 5*time.Second)
	r.tick = parse("controller_tick", c.ControllerTick, 250*time.Millisecond)
	heartbeat := parse("raft_heartbeat_timeout", c.HeartbeatTimeout, dt.HeartbeatTimeout)
	r.timing = raftstore.Timing{
		HeartbeatTimeout: heartbeat,
		ElectionTimeout:  parse("raft_election_timeout", c.ElectionTimeout, dt.ElectionTimeout),
		// An unset lease follows a shorter heartbeat timeout down (it may not exceed it).
		LeaderLeaseTimeout: parse("raft_leader_lease_timeout", c.LeaderLeaseTimeout, min(dt.LeaderLeaseTimeout, heartbeat)),
		CommitTimeout:      dt.CommitTimeout,
	}
	r.snapshotInterval = parse("raft_snapshot_interval", c.SnapshotInterval, 30*time.Second)
	if err != nil {
		return r, err
	}
	if r.timing.LeaderLeaseTimeout > r.timing.HeartbeatTimeout {
		return r, fmt.Errorf("raft_leader_lease_timeout %s exceeds raft_heartbeat_timeout %s; the lease must be the shorter", r.timing.LeaderLeaseTimeout, r.timing.HeartbeatTimeout)
	}
	for _, p := range r.Peers {
		id, addr, ok := strings.Cut(p, "=")
		if !ok || id == "" {
			return r, fmt.Errorf("peers: %q is not id=raft_addr", p)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return r, fmt.Errorf("peers: %q: raft address %q is not host:port", p, addr)
		}
		r.peers = append(r.peers, peer{id: id, raftAddr: addr})
	}
	if len(r.peers) > 0 && !r.Bootstrap {
		return r, errors.New("peers are only used with bootstrap; add -bootstrap")
	}
	if r.Bootstrap && len(r.Join) > 0 {
		return r, errors.New("bootstrap and join are exclusive: bootstrap forms a new cluster, join enters an existing one")
	}
	if r.NonVoter && r.Bootstrap {
		return r, errors.New("a non-voter cannot bootstrap a cluster; use join")
	}
	return r, nil
}
