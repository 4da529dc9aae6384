# Vigil's build. The two commands a fresh machine needs: `make demo` and `make test`.
GO      ?= go
BIN     := bin
GOFLAGS ?=
export GOFLAGS

.PHONY: all build test test-short test-chaos test-race bench demo cluster prometheus fmt vet lint fuzz clean

all: build

build: ## compile xds-server and meshctl into bin/
	$(GO) build -o $(BIN)/ ./cmd/xds-server ./cmd/meshctl

prometheus: ## make a Prometheus server available to the tests (PATH, apt, or built from source)
	./scripts/install-prometheus.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

lint: vet ## gofmt check and vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

test: prometheus lint ## everything CI runs: unit, integration (3 xds-server processes, real Prometheus, real gRPC xDS clients) and one short chaos schedule
	$(GO) test -count=1 -timeout 20m ./...

test-short: ## unit tests only
	$(GO) test -short -count=1 ./...

test-race: prometheus
	$(GO) test -race -count=1 -timeout 30m ./raftstore/... ./xds/... ./internal/agent/...

test-chaos: ## at least 50 randomized fault schedules with a linearizability check each
	@echo "full log: .vigil-chaos.log"
	VIGIL_CHAOS_SCHEDULES=$${VIGIL_CHAOS_SCHEDULES:-50} VIGIL_CHAOS_SECONDS=$${VIGIL_CHAOS_SECONDS:-8} \
		$(GO) test -count=1 -timeout 90m -run TestChaosLinearizable -v ./raftstore/ > .vigil-chaos.log 2>&1; \
		status=$$?; grep -E '^ *(=== RUN|--- |PASS|FAIL|ok|panic)|chaos_test' .vigil-chaos.log; exit $$status

fuzz: ## a few minutes of fuzzing on the parsers
	$(GO) test -run '^$$' -fuzz=FuzzParse -fuzztime=2m ./policies/

bench: prometheus ## benchmarks; figures go to docs/benchmarks.md
	$(GO) test -run '^$$' -bench 'MachineStalls' -benchtime 1x -timeout 10m ./internal/bench/
	$(GO) test -run '^$$' -bench '^BenchmarkConvergence$$' -benchtime 1x -timeout 60m -v ./internal/bench/ -proxies $${PROXIES:-1000,10000}
	$(GO) test -run '^$$' -bench 'Failover|Throughput|ClusterConvergence' -benchtime 1x -timeout 60m -v ./internal/bench/
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./safety/... ./router/... ./xds/...
	$(GO) test -run '^$$' -bench DetectionToSafety -benchtime 1x -timeout 60m ./internal/e2e/

demo: build prometheus ## the main job on an embedded single-node default
	$(GO) run ./examples/demo

cluster: build ## a 3-node cluster on this machine (ports 8301-8303, 8501-8503, 18001-18003)
	./scripts/cluster.sh

clean:
	rm -rf $(BIN) .vigil-dev .vigil-demo .vigil-cluster .vigil-chaos.log
