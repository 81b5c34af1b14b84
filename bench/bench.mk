# Benchmark targets. The top-level Makefile includes this file
# (include bench/bench.mk); it also works alone from the repository root:
#
#   make -f bench/bench.mk bench-quick
#
#   make bench        the side-by-side run: memcached direct, twemproxy and
#                     mcroute, 1 and 4 backends, workloads A-F, 3 interleaved
#                     rounds (about 7 minutes on 2 cores); results in
#                     bench/results/<date>.{json,md,svg}
#   make bench-quick  a ~30 s subset for development (1 backend, A, B, F);
#                     results in bench/results/quick-<date>.*
#
# BENCH_FLAGS / BENCH_QUICK_FLAGS pass extra flags to `mcroute-bench compare`
# (e.g. BENCH_FLAGS="--duration 5s --rounds 5"); see bin/mcroute-bench compare -h.

GO ?= go
BENCH_OUT ?= bench/results
BENCH_FLAGS ?=
BENCH_QUICK_FLAGS ?=

.PHONY: bench bench-quick bench-deps bench-bin bench-mcroute

bench: bench-deps bench-bin bench-mcroute
	./bin/mcroute-bench compare --command "make bench" --out $(BENCH_OUT) $(BENCH_FLAGS)

bench-quick: bench-deps bench-bin bench-mcroute
	./bin/mcroute-bench compare --quick --command "make bench-quick" --out $(BENCH_OUT) $(BENCH_QUICK_FLAGS)

# memcached and twemproxy (nutcracker) from Debian, only when missing.
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

bench-bin:
	$(GO) build -o bin/mcroute-bench ./cmd/mcroute-bench

# mcroute comes from the top-level `make build`; without a top-level
# Makefile (make -f bench/bench.mk) it is built directly. If neither works
# the run still goes ahead and the mcroute rows say why.
bench-mcroute:
	@$(MAKE) --no-print-directory build 2>/dev/null || \
		$(GO) build -o bin/mcroute ./cmd/mcroute || \
		echo "bench: could not build bin/mcroute; the mcroute rows will say why"
