# mcroute — the two commands a newcomer needs:
#   make run    start three memcached servers and mcroute in front of them
#   make test   run every test (installs memcached if missing)

GO       ?= go
BIN      := bin
PORT     ?= 5000
LOOPS    ?= $(shell nproc 2>/dev/null || echo 2)
MC_PORTS := 21211 21212 21213
STATICCHECK_VERSION := v0.7.0

.PHONY: all build run test test-short race lint fuzz bench-go deps-memcached deps-test clean

all: build

build:
	$(GO) build -o $(BIN)/mcroute ./cmd/mcroute
	$(GO) build -o $(BIN)/mcroute-bench ./cmd/mcroute-bench

# Install memcached from Debian when it is missing (we run as root here).
deps-memcached:
	@command -v memcached >/dev/null 2>&1 || { \
	  echo "installing memcached (apt-get)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null; }

# Client libraries the end-to-end tests drive mcroute with (pymemcache, and
# pylibmc, which is libmemcached); the test skips if they cannot be had.
deps-test: deps-memcached
	@/usr/bin/python3 -c 'import pymemcache, pylibmc' >/dev/null 2>&1 || { \
	  echo "installing python3-pymemcache python3-pylibmc (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pymemcache python3-pylibmc >/dev/null || \
	  { (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pymemcache python3-pylibmc >/dev/null; } || \
	  echo "could not install the client libraries; TestClientLibraries will skip"; }

# make run: three memcached servers on loopback ports 21211-21213 behind
# mcroute on port $(PORT), configured by testdata/quickstart.json. Ctrl-C
# stops everything.
run: deps-memcached build
	@set -e; pids=""; \
	cleanup() { for p in $$pids; do kill $$p 2>/dev/null || true; done; wait 2>/dev/null || true; echo; echo "stopped mcroute and memcached"; }; \
	trap cleanup EXIT; trap 'exit 0' INT TERM; \
	user=""; [ "$$(id -u)" = 0 ] && user="-u root"; \
	for p in $(MC_PORTS); do memcached -p $$p -U 0 -l 127.0.0.1 -t 1 -m 64 $$user & pids="$$pids $$!"; done; \
	$(BIN)/mcroute -p $(PORT) --listen-address 127.0.0.1 --config file:testdata/quickstart.json --num-proxies $(LOOPS) & pids="$$pids $$!"; \
	sleep 0.5; \
	echo ""; \
	echo "mcroute is listening on 127.0.0.1:$(PORT), routing to memcached on 127.0.0.1:21211-21213"; \
	printf '%s\n' "try it:  printf 'set hello 0 0 5\\r\\nworld\\r\\nget hello\\r\\n' | nc -q1 127.0.0.1 $(PORT)"; \
	printf '%s\n' "   or:   exec 3<>/dev/tcp/127.0.0.1/$(PORT); printf 'get hello\\r\\n' >&3; timeout 1 cat <&3"; \
	echo "Ctrl-C stops mcroute and the memcached servers."; \
	wait

# The carried gnet's own tests of mcroute's patches (third_party/gnet is a
# module of its own, so ./... does not reach it; run through the main
# module, whose go.sum has what they import).
GNET_TESTED = github.com/panjf2000/gnet/v2 github.com/panjf2000/gnet/v2/pkg/buffer/linkedlist

# make test: every unit, integration and end-to-end test; the packages with
# concurrency run again under the race detector. Allocation tests run in
# the plain pass (they are compiled out under -race).
test: deps-test
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 $(GNET_TESTED)
	$(GO) test -race -count=1 ./engine/... ./upstream/... ./router/... ./fswatch/... ./codec/... ./tlsconn/... ./bench/... ./cmd/...

test-short:
	$(GO) test -count=1 -short ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@command -v staticcheck >/dev/null 2>&1 || [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ] || \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

# Short runs of every fuzz target (seeds live in each package's testdata/).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParser$$' -fuzztime 30s ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzReplyParser$$' -fuzztime 30s ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzMetaReplyParser$$' -fuzztime 30s ./codec/meta
	$(GO) test -run '^$$' -fuzz '^FuzzParseRecord$$' -fuzztime 30s ./upstream/asynclog
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./router/jsonm
	$(GO) test -run '^$$' -fuzz '^FuzzPreprocess$$' -fuzztime 30s ./router/jsonm
	$(GO) test -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime 30s ./router
	$(GO) test -run '^$$' -fuzz '^FuzzFurc$$' -fuzztime 30s ./router/hashfunc
	$(GO) test -run '^$$' -fuzz '^FuzzClientOpen$$' -fuzztime 30s ./tlsconn
	$(GO) test -run '^$$' -fuzz '^FuzzRecordConn$$' -fuzztime 30s ./tlsconn
	$(GO) test -run '^$$' -fuzz '^FuzzTicketSeeds$$' -fuzztime 30s ./tlsconn
	$(GO) test -run '^$$' -fuzz '^FuzzRelevant$$' -fuzztime 30s ./fswatch

# Micro-benchmarks (parser, encoder, router, hash functions) and the
# loopback end-to-end benchmark of mcroute against direct memcached.
bench-go: deps-memcached
	$(GO) test -run '^$$' -bench . -benchmem ./codec ./router/... ./engine

clean:
	rm -rf $(BIN)

-include bench/bench.mk
