#!/usr/bin/env bash
# cluster.sh - run a 3-node xds-server cluster on this machine until Ctrl-C.
#   node-1: raft 127.0.0.1:8301, admin 127.0.0.1:8501, xds 127.0.0.1:18001
#   node-2: raft 127.0.0.1:8302, admin 127.0.0.1:8502, xds 127.0.0.1:18002
#   node-3: raft 127.0.0.1:8303, admin 127.0.0.1:8503, xds 127.0.0.1:18003
# State lives in .vigil-cluster/node-N; delete it to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/xds-server
[[ -x $bin ]] || go build -o bin/ ./cmd/xds-server ./cmd/meshctl
peers="node-1=127.0.0.1:8301,node-2=127.0.0.1:8302,node-3=127.0.0.1:8303"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait
}
trap cleanup EXIT INT TERM
for i in 1 2 3; do
	mkdir -p ".vigil-cluster/node-$i"
	"$bin" -node-id "node-$i" -data-dir ".vigil-cluster/node-$i" \
		-raft-addr "127.0.0.1:830$i" -admin-addr "127.0.0.1:850$i" -xds-addr "127.0.0.1:1800$i" \
		-bootstrap -peers "$peers" >".vigil-cluster/node-$i.log" 2>&1 &
	pids+=($!)
done
for _ in $(seq 1 100); do
	if ./bin/meshctl -addr 127.0.0.1:8501 cluster leader >/dev/null 2>&1; then break; fi
	sleep 0.1
done
./bin/meshctl -addr 127.0.0.1:8501 cluster members
cat <<'MSG'

Three xds-server nodes are running (logs in .vigil-cluster/node-N.log). Any node takes
meshctl commands; writes are forwarded to the leader:
  ./bin/meshctl -addr 127.0.0.1:8502 versions add triage 1.0.0-PRODUCTION --backend 127.0.0.1:9001
  ./bin/meshctl -addr 127.0.0.1:8503 routes set triage 1.0.0-PRODUCTION=100
  ./bin/meshctl -addr 127.0.0.1:8501 cluster members
Kill one node (kill -9 <pid>) and watch another take over. Ctrl-C stops all three.
MSG
wait
