#!/usr/bin/env bash
# bench/profile/p99.sh: latency percentiles of one target on workload A
# (engine/PERF.md, "p99 on A"), with the target's CPU and run delay.
#
#   bench/profile/p99.sh TARGET OUTDIR [TAG]
#     TARGET  direct (memcached alone) | mcproxy (memcached-proxy -t 1,
#             route_direct) | mcroute | mcroute-NAME (bin/mcroute-NAME)
#     Appends to OUTDIR/p99.tsv: target tag ops/s p50 p99 p99.9 (ms, from
#     memtier's JSON) requests cpu_us_per_req rundelay_us_per_req
#     ctxsw_per_req, and keeps memtier's JSON as OUTDIR/TARGET-TAG.json.
#
# WL (A: -c 4, the default; C: -c 50), TIME (memtier seconds, default 8),
# MCROUTE_ARGS (extra mcroute flags), MCROUTE_ENV (extra environment for
# mcroute, e.g. GODEBUG=gctrace=1; its stderr is kept as OUTDIR/TARGET-TAG.err),
# SCHED=1 (perf sched record -a over 4 s in the middle of the run, to
# OUTDIR/TARGET-TAG.sched; read with perf sched timehist -i FILE),
# SIGNAL_AT_END (a signal sent to the target when memtier ends, e.g. USR2
# for the rtmetrics build's runtime metrics, cmd/mcroute/rtmetrics.go),
# LOCK (default /tmp/bench.lock: only memtier's run holds it).
set -euo pipefail
target=$1 out=$2 tag=${3:-x}
WL=${WL:-A} TIME=${TIME:-8} LOCK=${LOCK:-/tmp/bench.lock}
MEMCACHED_PROXY=${MEMCACHED_PROXY:-memcached-proxy}
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 not serving" >&2; exit 1; }
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
rundelay() { cat /proc/$1/task/*/schedstat 2>/dev/null | awk '{s += $2} END {printf "%d\n", s}'; }
ctxsw() { cat /proc/$1/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

be=$(freeport)
memcached -t 1 -m 256 -U 0 -l 127.0.0.1 -p "$be" -u root & pids+=($!)
waitport "$be"
pp=$(freeport)
case $target in
mcroute | mcroute-*)
	bin=bin/mcroute
	[[ $target == mcroute-* ]] && bin=bin/$target
	echo "{\"pools\":{\"A\":{\"servers\":[\"127.0.0.1:$be\"]}},\"route\":\"PoolRoute|A\"}" >"$tmp/mc.json"
	# shellcheck disable=SC2086
	env ${MCROUTE_ENV:-} "$bin" -p "$pp" --listen-address 127.0.0.1 --config "file:$tmp/mc.json" --num-proxies 1 ${MCROUTE_ARGS:-} 2>"$out/$target-$tag.err" & pids+=($!) ;;
mcproxy)
	printf 'pools{\n  main = { backends = { "127.0.0.1:%s" } }\n}\nroutes{\n  default = route_direct{ child = "main" }\n}\n' "$be" >"$tmp/p.lua"
	"$MEMCACHED_PROXY" -l 127.0.0.1 -p "$pp" -U 0 -t 1 -c 4096 -u root -o "proxy_config=routelib,proxy_arg=$tmp/p.lua" 2>"$tmp/proxy.err" & pids+=($!) ;;
direct) pp=$be ;;
*) echo "target: direct, mcproxy, mcroute or mcroute-NAME" >&2; exit 2 ;;
esac
tpid=${pids[-1]}
waitport "$pp"
c=4
[[ $WL == C ]] && c=50
sched() {
	sleep $((TIME / 2 - 2))
	perf sched record -a -o "$out/$target-$tag.sched" -- sleep 4 >/dev/null 2>&1
}
(
	flock 9
	c0=$(cpu "$tpid") d0=$(rundelay "$tpid") x0=$(ctxsw "$tpid")
	[[ ${SCHED:-0} == 1 ]] && { sched & }
	memtier_benchmark -s 127.0.0.1 -p "$pp" --protocol=memcache_text -t 1 -c "$c" \
		--ratio=1:10 -d 100 --key-maximum=10000 --test-time="$TIME" --hide-histogram \
		--print-percentiles=50,99,99.9 --json-out-file="$out/$target-$tag.json" >"$tmp/memtier.out" 2>&1
	wait
	[[ -n ${SIGNAL_AT_END:-} ]] && { kill -s "$SIGNAL_AT_END" "$tpid"; sleep 0.3; }
	c1=$(cpu "$tpid") d1=$(rundelay "$tpid") x1=$(ctxsw "$tpid")
	echo "$((c1 - c0)) $((d1 - d0)) $((x1 - x0))" >"$tmp/counts"
) 9>"$LOCK"
read -r dc dd dx <"$tmp/counts"
hz=$(getconf CLK_TCK)
python3 - "$out/$target-$tag.json" "$target" "$tag" "$dc" "$dd" "$dx" "$hz" <<'EOF' | tee -a "$out/p99.tsv"
import json, sys
f, target, tag, dc, dd, dx, hz = sys.argv[1:]
t = json.load(open(f))["ALL STATS"]["Totals"]
p = t["Percentile Latencies"]
n = t["Count"]
print("\t".join([target, tag, "%.0f" % t["Ops/sec"], "%.3f" % p["p50.00"], "%.3f" % p["p99.00"], "%.3f" % p["p99.90"],
                 str(n), "%.1f" % (int(dc) / int(hz) * 1e6 / n), "%.2f" % (int(dd) / 1e3 / n), "%.3f" % (int(dx) / n)]))
EOF
