#!/usr/bin/env bash
# install-prometheus.sh - make a Prometheus server available to Vigil's integration tests
# (internal/promtest). Idempotent: it does nothing but report when one is already there.
#
# Search and install order, the same order internal/promtest uses to find the binary:
#   1. $VIGIL_PROMETHEUS, when set (must name an existing executable);
#   2. "prometheus" on $PATH;
#   3. <repo>/.bin/prometheus;
#   4. otherwise: as root with apt-get available, Debian's package
#      (apt-get install -y --no-install-recommends prometheus);
#   5. otherwise (or if apt-get fails): build the pinned server from tools/prometheus
#      (github.com/prometheus/prometheus v0.316.0) into <repo>/.bin/prometheus. A cold build
#      takes about 7 minutes on 2 cores; Go's build cache makes later builds quick.
#
# Exit status: 0 when a Prometheus binary is available afterwards, non-zero otherwise.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$repo/.bin/prometheus"

say() { echo "install-prometheus: $*"; }

# version prints the first line of a binary's --version output.
version() { "$1" --version 2>&1 | head -n 1; }

report() {
	say "$2: $1 ($(version "$1"))"
}

if [[ -n "${VIGIL_PROMETHEUS:-}" ]]; then
	if [[ -x "$VIGIL_PROMETHEUS" && -f "$VIGIL_PROMETHEUS" ]]; then
		report "$VIGIL_PROMETHEUS" "using \$VIGIL_PROMETHEUS"
		exit 0
	fi
	say "\$VIGIL_PROMETHEUS is '$VIGIL_PROMETHEUS', which is not an executable file; fix or unset it" >&2
	exit 1
fi

if found="$(command -v prometheus)"; then
	report "$found" "already on PATH, nothing to do"
	exit 0
fi

if [[ -x "$local_bin" ]]; then
	report "$local_bin" "already built, nothing to do"
	exit 0
fi

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
	say "installing Debian's prometheus package with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	if apt-get install -y --no-install-recommends prometheus ||
		{ say "apt-get install failed; refreshing the package lists and trying once more" &&
			apt-get update && apt-get install -y --no-install-recommends prometheus; }; then
		if found="$(command -v prometheus)"; then
			report "$found" "installed with apt-get"
			exit 0
		fi
		say "apt-get succeeded but no prometheus is on PATH; building from source instead" >&2
	else
		say "apt-get could not install prometheus; building from source instead" >&2
	fi
else
	say "not root or no apt-get; building from source"
fi

if ! command -v go >/dev/null; then
	say "no 'go' on PATH: install Go (see go.mod for the version) or the prometheus package" >&2
	exit 1
fi
say "building github.com/prometheus/prometheus/cmd/prometheus from tools/prometheus into $local_bin"
say "(about 7 minutes cold on 2 cores; cached afterwards)"
mkdir -p "$repo/.bin"
start=$SECONDS
# Build to a temporary name so an interrupted build never leaves a broken binary behind.
(cd "$repo/tools/prometheus" && go build -o "$local_bin.tmp" github.com/prometheus/prometheus/cmd/prometheus)
mv "$local_bin.tmp" "$local_bin"
report "$local_bin" "built in $((SECONDS - start)) s"
