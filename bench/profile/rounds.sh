#!/usr/bin/env bash
# bench/profile/rounds.sh OUTDIR ROUNDS "PROXIES" "WORKLOADS" "MODES"
# Interleaves bench/profile/run.sh: for each round, workload and mode, every
# proxy once, in the order given (mcroute, mcproxy, twemproxy, mcroute, …).
set -euo pipefail
out=$1 rounds=$2 proxies=$3 wls=$4 modes=${5:-stat record}
for r in $(seq "$rounds"); do
	for wl in $wls; do
		for m in $modes; do
			for p in $proxies; do
				"$(dirname "$0")/run.sh" "$p" "$wl" "$m" "$out" "r$r" || echo "run $p $wl $m r$r failed" >&2
			done
		done
	done
done
