# Benchmark targets. The top-level Makefile includes this file
# (include bench/bench.mk); it also works alone from the repository root:
#
#   make -f bench/bench.mk bench-quick
#
#   make bench        the side-by-side run: memcached direct, twemproxy,
#                     memcached's proxy and mcroute, 1 and 4 backends,
#                     workloads A-F, 3 interleaved rounds, driven by
#                     mcroute-bench and (when installed) memtier_benchmark;
#                     results in bench/results/<date>.{json,md,svg}
#                     plus the TLS section (--tls: mcroute vs stunnel as
#                     TLS server and client) when stunnel is installed
#   make bench-quick  a ~1 min subset for development (1 backend, A, B,
#                     2 rounds); results in bench/results/quick-<date>.*
#
# MEMTIER=path       memtier_benchmark to use (default: memtier_benchmark on PATH)
# MEMCACHED_PROXY=path  memcached built with --enable-proxy (default:
#                    memcached-proxy on PATH); see bench/README.md to build both.
# BENCH_FLAGS / BENCH_QUICK_FLAGS pass extra flags to `mcroute-bench compare`
# (e.g. BENCH_FLAGS="--duration 5s --rounds 5 --generator memtier"); see
# bin/mcroute-bench compare -h.

GO ?= go
BENCH_OUT ?= bench/results
BENCH_FLAGS ?=
BENCH_QUICK_FLAGS ?=
MEMTIER ?= memtier_benchmark
MEMCACHED_PROXY ?= memcached-proxy
BENCH_TOOLS = --memtier "$(MEMTIER)" --memcached-proxy "$(MEMCACHED_PROXY)"

.PHONY: bench bench-quick bench-deps bench-bin bench-mcroute

# The TLS rows need stunnel (apt-get install stunnel4); without it they are
# skipped with a note. BENCH_TLS=0 skips them anyway.
BENCH_TLS ?= 1

bench: bench-deps bench-bin bench-mcroute
	@tls=""; \
	if [ "$(BENCH_TLS)" = 1 ]; then \
		if command -v stunnel4 >/dev/null 2>&1 || command -v stunnel >/dev/null 2>&1; then tls="--tls"; \
		else echo "bench: stunnel not found; TLS rows skipped (apt-get install stunnel4 to get them)"; fi; \
	fi; \
	set -x; ./bin/mcroute-bench compare --command "make bench" --out $(BENCH_OUT) $(BENCH_TOOLS) $$tls $(BENCH_FLAGS)

bench-quick: bench-deps bench-bin bench-mcroute
	./bin/mcroute-bench compare --quick --command "make bench-quick" --out $(BENCH_OUT) $(BENCH_TOOLS) $(BENCH_QUICK_FLAGS)

# memcached and twemproxy (nutcracker) from Debian, only when missing; perf
# (linux-perf, for syscalls per request) is tried too, and its absence only
# means the report counts read/write syscalls from /proc instead.
# memtier_benchmark and memcached's proxy are not in Debian: see
# bench/README.md; the run goes ahead without them and says so.
bench-deps:
	@missing=""; \
	command -v memcached >/dev/null 2>&1 || missing="$$missing memcached"; \
	{ command -v nutcracker >/dev/null 2>&1 || test -x /usr/sbin/nutcracker; } || missing="$$missing nutcracker"; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "bench: installing$$missing from Debian"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
	@command -v perf >/dev/null 2>&1 || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "bench: trying to install linux-perf (optional)"; \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq linux-perf >/dev/null 2>&1 || \
			echo "bench: no perf; syscalls per request will be read/write syscalls from /proc/PID/io"; }

bench-bin:
	$(GO) build -o bin/mcroute-bench ./cmd/mcroute-bench

# mcroute comes from the top-level `make build`; without a top-level
# Makefile (make -f bench/bench.mk) it is built directly. If neither works
# the run still goes ahead and the mcroute rows say why.
bench-mcroute:
	@$(MAKE) --no-print-directory build 2>/dev/null || \
		$(GO) build -o bin/mcroute ./cmd/mcroute || \
		echo "bench: could not build bin/mcroute; the mcroute rows will say why"
