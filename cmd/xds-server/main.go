// Command xds-server is a Vigil control-plane node: a member of the Raft cluster that
// serves xDS to Envoy proxies and proxyless gRPC clients and the admin API to meshctl.
//
//	xds-server -dev                      # one node, local data dir, embedded defaults
//	xds-server -config node.hcl          # settings from a file (flags override it)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/seed70a3350f/vigil/internal/agent"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

func run(args []string) int {
	fs := flag.NewFlagSet("xds-server", flag.ContinueOnError)
	configFile := fs.String("config", "", "HCL config file; flags given on the command line override it")
	var c agent.Config
	fs.BoolVar(&c.Dev, "dev", false, "single-node embedded defaults: bootstrap, node id \"dev\", data dir .vigil-dev")
	fs.StringVar(&c.NodeID, "node-id", "", "stable node id (default: host name)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the Raft log, stable store and snapshots")
	fs.StringVar(&c.RaftAddr, "raft-addr", "", "Raft TCP address (default 127.0.0.1:8300)")
	fs.StringVar(&c.AdminAddr, "admin-addr", "", "admin HTTP API address (default 127.0.0.1:8500)")
	fs.StringVar(&c.XDSAddr, "xds-addr", "", "xDS gRPC address (default 127.0.0.1:18000)")
	fs.StringVar(&c.AdvertiseAdmin, "advertise-admin", "", "admin address other nodes use (default: admin-addr)")
	fs.StringVar(&c.AdvertiseXDS, "advertise-xds", "", "xDS address clients use (default: xds-addr)")
	fs.BoolVar(&c.Bootstrap, "bootstrap", false, "form a new cluster if this node has no state (alone, or with -peers)")
	var peers, join listFlag
	fs.Var(&peers, "peers", "initial voters id=raft_addr,... for a multi-node bootstrap (same list on every node)")
	fs.Var(&join, "join", "admin addresses of existing members to join through (comma separated)")
	fs.BoolVar(&c.NonVoter, "non-voter", false, "join as a non-voting member that only replicates and serves xDS")
	fs.StringVar(&c.LogLevel, "log-level", "", "trace, debug, info, warn or error (default info)")
	fs.BoolVar(&c.LogJSON, "log-json", false, "write JSON log lines")
	fs.IntVar(&c.EnvoyListenerPort, "envoy-listener-port", 0, "port of the HTTP listener sent to Envoy (default 10000)")
	fs.StringVar(&c.WarmTimeout, "warm-timeout", "", "how long a route change waits for proxies to ACK new clusters (default 10s)")
	fs.StringVar(&c.DrainTimeout, "drain-timeout", "", "how long shutdown waits for xDS streams to move (default 5s)")
	fs.Uint64Var(&c.SnapshotThreshold, "raft-snapshot-threshold", 0, "log entries between snapshots and log compaction (default 4096)")
	fs.Uint64Var(&c.TrailingLogs, "raft-trailing-logs", 0, "log entries kept after a snapshot (default 4096)")
	fs.StringVar(&c.SnapshotInterval, "raft-snapshot-interval", "", "how often the snapshot threshold is checked (default 30s)")
	fs.StringVar(&c.HeartbeatTimeout, "raft-heartbeat-timeout", "", "Raft heartbeat timeout (default 500ms)")
	fs.StringVar(&c.ElectionTimeout, "raft-election-timeout", "", "Raft election timeout (default 500ms)")
	fs.StringVar(&c.LeaderLeaseTimeout, "raft-leader-lease-timeout", "", "Raft leader lease (default 500ms, or the heartbeat timeout if shorter)")
	fs.StringVar(&c.PrometheusAddress, "prometheus-addr", "", "base URL of the Prometheus HTTP API triggers and judges query, e.g. http://127.0.0.1:9090")
	fs.StringVar(&c.PrometheusTimeout, "prometheus-timeout", "", "timeout of one Prometheus query attempt (default 5s)")
	fs.StringVar(&c.PrometheusBearerTokenFile, "prometheus-bearer-token-file", "", "file holding a bearer token for Prometheus")
	fs.StringVar(&c.ControllerTick, "controller-tick", "", "period of the rollout controller's rounds on the leader (default 250ms)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "xds-server: unexpected argument %q; all settings are flags\n", fs.Arg(0))
		return 2
	}
	c.Peers, c.Join = peers, join
	cfg := c
	if *configFile != "" {
		fileCfg, err := agent.LoadConfigFile(*configFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "xds-server: %v\n", err)
			return 2
		}
		cfg = mergeFlags(fileCfg, c, fs)
	}
	a, err := agent.New(cfg, nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "xds-server: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.Start(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "xds-server: %v\n", err)
		return 1
	}
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(os.Stderr, "xds-server: shutdown: %v\n", err)
		return 1
	}
	return 0
}

// mergeFlags overlays the flags set on the command line onto the file's settings.
func mergeFlags(file, flags agent.Config, fs *flag.FlagSet) agent.Config {
	out := file
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "dev":
			out.Dev = flags.Dev
		case "node-id":
			out.NodeID = flags.NodeID
		case "data-dir":
			out.DataDir = flags.DataDir
		case "raft-addr":
			out.RaftAddr = flags.RaftAddr
		case "admin-addr":
			out.AdminAddr = flags.AdminAddr
		case "xds-addr":
			out.XDSAddr = flags.XDSAddr
		case "advertise-admin":
			out.AdvertiseAdmin = flags.AdvertiseAdmin
		case "advertise-xds":
			out.AdvertiseXDS = flags.AdvertiseXDS
		case "bootstrap":
			out.Bootstrap = flags.Bootstrap
		case "peers":
			out.Peers = flags.Peers
		case "join":
			out.Join = flags.Join
		case "non-voter":
			out.NonVoter = flags.NonVoter
		case "log-level":
			out.LogLevel = flags.LogLevel
		case "log-json":
			out.LogJSON = flags.LogJSON
		case "envoy-listener-port":
			out.EnvoyListenerPort = flags.EnvoyListenerPort
		case "warm-timeout":
			out.WarmTimeout = flags.WarmTimeout
		case "drain-timeout":
			out.DrainTimeout = flags.DrainTimeout
		case "prometheus-addr":
			out.PrometheusAddress = flags.PrometheusAddress
		case "prometheus-timeout":
			out.PrometheusTimeout = flags.PrometheusTimeout
		case "prometheus-bearer-token-file":
			out.PrometheusBearerTokenFile = flags.PrometheusBearerTokenFile
		case "controller-tick":
			out.ControllerTick = flags.ControllerTick
		case "raft-snapshot-threshold":
			out.SnapshotThreshold = flags.SnapshotThreshold
		case "raft-trailing-logs":
			out.TrailingLogs = flags.TrailingLogs
		case "raft-snapshot-interval":
			out.SnapshotInterval = flags.SnapshotInterval
		case "raft-heartbeat-timeout":
			out.HeartbeatTimeout = flags.HeartbeatTimeout
		case "raft-election-timeout":
			out.ElectionTimeout = flags.ElectionTimeout
		case "raft-leader-lease-timeout":
			out.LeaderLeaseTimeout = flags.LeaderLeaseTimeout
		}
	})
	return out
}
