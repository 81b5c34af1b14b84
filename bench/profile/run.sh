#!/usr/bin/env bash
# bench/profile/run.sh: CPU per request of one proxy on one workload, with
# counts (perf stat) or a profile (perf record -g). See engine/PERF.md,
# "Where the CPU goes on A (profiles)".
#
#   bench/profile/run.sh PROXY WORKLOAD MODE OUTDIR [TAG]
#     PROXY     mcroute | mcroute-NAME (bin/mcroute-NAME) | mcproxy (memcached --enable-proxy) | twemproxy |
#               direct (memtier straight to memcached, which is measured)
#     WORKLOAD  A (memtier -c 4) | B (-c 4 --pipeline 16) | C (memtier -c 50);
#               1 backend, 1:10, 100 B. A4, B4, C4: the same with 4 backends,
#               each preloaded with every key (so gets hit), the proxy
#               hashing over the 4 (PERF.md, "Workload B with 4 backends")
#     MODE      stat   counts over the window: proxy CPU (utime/stime from
#                      /proc/PID/stat, task-clock), requests (the backend's
#                      cmd_get+cmd_set), syscalls by kind, context switches
#               record perf record -e cpu-clock -g over the window
#     OUTDIR    stat appends one line to OUTDIR/stat.tsv (columns: see
#               summarize.py; the last is the threads' run delay, ns); record writes
#               OUTDIR/PROXY-WORKLOAD-TAG.data
#
# MCROUTE (default bin/mcroute), MCROUTE_ARGS (extra flags), MEMCACHED_PROXY,
# NUTCRACKER, WINDOW (seconds measured, default 8; memtier runs WINDOW+3).
# Every process it starts is stopped by its pid on exit. Measurements take
# /tmp/bench.lock (flock) for the memtier run only; BENCH_LOCK=none skips it.
set -euo pipefail
proxy=$1 wl=$2 mode=$3 out=$4 tag=${5:-x}
MCROUTE=${MCROUTE:-bin/mcroute}
MEMCACHED_PROXY=${MEMCACHED_PROXY:-memcached-proxy}
NUTCRACKER=${NUTCRACKER:-nutcracker}
WINDOW=${WINDOW:-8}
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
mcstats() { # cmd_get+cmd_set of the backends
	local t=0 b
	for b in "${bes[@]}"; do t=$((t + $(mcstats1 "$b"))); done
	echo $t
}
mcstats1() { # cmd_get+cmd_set of the backend on port $1
	exec 5<>/dev/tcp/127.0.0.1/$1
	printf 'stats\r\n' >&5
	local g=0 s=0 k v
	while read -r _ k v <&5; do
		v=${v%$'\r'}
		case $k in cmd_get) g=$v ;; cmd_set) s=$v ;; esac
		[[ $k == "" || $_ == END* ]] && break
	done
	exec 5<&-
	echo $((g + s))
}
cpu() { awk '{print $14, $15}' /proc/$1/stat; }
# Time the process's threads spent runnable but waiting for a CPU (ns).
rundelay() { cat /proc/$1/task/*/schedstat 2>/dev/null | awk '{s += $2} END {printf "%d\n", s}'; }

nbe=1
[[ $wl == ?4 ]] && nbe=4
bes=()
for _ in $(seq $nbe); do
	b=$(freeport)
	memcached -t 1 -m 256 -U 0 -l 127.0.0.1 -p "$b" -u root & pids+=($!)
	bes+=("$b")
done
for b in "${bes[@]}"; do waitport "$b"; done
be=${bes[0]}
if ((nbe > 1)); then # every key on every backend: gets hit whatever the hash
	for b in "${bes[@]}"; do
		memtier_benchmark -s 127.0.0.1 -p "$b" --protocol=memcache_text -t 1 -c 1 --ratio=1:0 -d 100 \
			--key-pattern=P:P -n allkeys --key-maximum=10000 --hide-histogram >/dev/null 2>&1
	done
fi
addrs() { local sep=$1 q=$2 out="" b; for b in "${bes[@]}"; do out+="${out:+$sep}${q}127.0.0.1:$b$q"; done; echo "$out"; }
pp=$(freeport)
case $proxy in
mcroute | mcroute-*) # mcroute-NAME runs bin/mcroute-NAME (an older build, say)
	bin=$MCROUTE
	[[ $proxy == mcroute-* ]] && bin=bin/$proxy
	echo "{\"pools\":{\"A\":{\"servers\":[$(addrs , '"')]}},\"route\":\"PoolRoute|A\"}" >"$tmp/mc.json"
	# shellcheck disable=SC2086
	"$bin" -p "$pp" --listen-address 127.0.0.1 --config "file:$tmp/mc.json" --num-proxies 1 ${MCROUTE_ARGS:-} 2>"$tmp/proxy.err" & pids+=($!) ;;
mcproxy)
	printf 'pools{\n  main = { backends = { %s } }\n}\nroutes{\n  default = route_direct{ child = "main" }\n}\n' "$(addrs , '"')" >"$tmp/p.lua"
	"$MEMCACHED_PROXY" -l 127.0.0.1 -p "$pp" -U 0 -t 1 -c 4096 -u root -o "proxy_config=routelib,proxy_arg=$tmp/p.lua" 2>"$tmp/proxy.err" & pids+=($!) ;;
twemproxy)
	printf 'bench:\n  listen: 127.0.0.1:%s\n  hash: fnv1a_64\n  distribution: ketama\n  timeout: 2000\n  backlog: 1024\n  preconnect: true\n  auto_eject_hosts: false\n  servers:\n' "$pp" >"$tmp/t.yml"
	for b in "${bes[@]}"; do printf '   - 127.0.0.1:%s:1\n' "$b" >>"$tmp/t.yml"; done
	"$NUTCRACKER" -c "$tmp/t.yml" -s "$(freeport)" -a 127.0.0.1 -o "$tmp/nc.log" -p "$tmp/nc.pid" & pids+=($!) ;;
direct) ((nbe == 1)) || { echo "direct: 1 backend only" >&2; exit 2; }; pp=$be ;; # memcached itself: the p99 baseline, and its CPU per request
*) echo "proxy: mcroute, mcproxy, twemproxy or direct" >&2; exit 2 ;;
esac
ppid=${pids[-1]}
waitport "$pp"
pipe=1
case $wl in A | A4) c=4 ;; B | B4) c=4 pipe=16 ;; C | C4) c=50 ;; *) echo "workload: A, B, C, A4, B4 or C4" >&2; exit 2 ;; esac
if [[ ${BENCH_LOCK:-} != none ]]; then exec 8>/tmp/bench.lock; flock 8; fi # released after memtier
timeout $((WINDOW + 60)) memtier_benchmark -s 127.0.0.1 -p "$pp" --protocol=memcache_text -t 1 -c "$c" --pipeline="$pipe" \
	--ratio=1:10 -d 100 --key-maximum=10000 --test-time=$((WINDOW + 3)) --hide-histogram \
	>"$tmp/memtier.out" 2>&1 & mt=$!
pids+=($mt)
sleep 1.5
r0=$(mcstats)
read -r u0 s0 < <(cpu "$ppid")
d0=$(rundelay "$ppid")
if [[ $mode == stat ]]; then
	perf stat -x, -o "$tmp/stat.csv" -e task-clock,context-switches,raw_syscalls:sys_enter \
		-e syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_wait \
		-e syscalls:sys_enter_nanosleep,syscalls:sys_enter_futex,syscalls:sys_enter_readv,syscalls:sys_enter_writev \
		-e syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto \
		-p "$ppid" -- sleep "$WINDOW"
else
	perf record -q -e cpu-clock -F 4999 -g -o "$out/$proxy-$wl-$tag.data" -p "$ppid" -- sleep "$WINDOW" 2>/dev/null
fi
r1=$(mcstats)
read -r u1 s1 < <(cpu "$ppid")
d1=$(rundelay "$ppid")
wait "$mt" || true
[[ ${BENCH_LOCK:-} != none ]] && exec 8>&-
reqs=$((r1 - r0))
p99=$(awk '/^Totals/ {print $(NF-2)}' "$tmp/memtier.out")
if [[ $mode == stat ]]; then
	v() { awk -F, -v e="$1" '$3 == e {print $1}' "$tmp/stat.csv"; }
	printf '%s\t%s\t%s\t%d' "$proxy" "$wl" "$tag" "$reqs"
	printf '\t%s' "$((u1 - u0))" "$((s1 - s0))" "$(v task-clock)" "$(v context-switches)" "$(v raw_syscalls:sys_enter)"
	for e in read write epoll_pwait epoll_wait nanosleep futex readv writev recvfrom sendmsg sendto; do printf '\t%s' "$(v syscalls:sys_enter_$e)"; done
	printf '\t%s\t%s\n' "$p99" "$((d1 - d0))"
else
	printf '%s\t%s\t%s\t%d\t%s\t%s\n' "$proxy" "$wl" "$tag" "$reqs" "$((u1 - u0))" "$((s1 - s0))"
fi | tee -a "$out/$mode.tsv"
