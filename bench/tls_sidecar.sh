#!/usr/bin/env bash
# tls_sidecar.sh: the cost of mcroute as a TLS sidecar (README "TLS
# sidecar for a managed memcached"). A plaintext load generator drives, in
# turn, at the same open-loop rate:
#   direct   memcached (plain), no proxy              (latency baseline)
#   plain    mcroute → memcached (plain)              (mcroute's plaintext cost)
#   mcroute  mcroute → memcached -Z, verified TLS     (mcroute's TLS cost)
#   stunnel  stunnel (client mode, verifying) → memcached -Z
# and reports requests per proxy CPU-second (utime+stime of the proxy
# process from /proc/PID/stat) and latency. Needs memcached, stunnel4,
# openssl; run from the repository root:
#   bash bench/tls_sidecar.sh [rate] [seconds] [connections] [pipeline]
set -euo pipefail
RATE=${1:-20000} SECS=${2:-5} CONNS=${3:-8} PIPE=${4:-1}
W=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
go build -o "$W/mcroute" ./cmd/mcroute
go build -o "$W/mcroute-bench" ./cmd/mcroute-bench
cd "$W"
# A CA and a server certificate for 127.0.0.1, so both proxies verify.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=bench-CA 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv-key.pem -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out srv.pem -days 1 -extfile ext.cnf 2>/dev/null
U=""; [ "$(id -u)" = 0 ] && U="-u root"
memcached $U -p 21410 -l 127.0.0.1 -U 0 -t 1 -m 256 & 
memcached $U -p 21411 -l 127.0.0.1 -U 0 -t 1 -m 256 -Z -o ssl_chain_cert=srv.pem,ssl_key=srv-key.pem &
./mcroute -p 21421 --listen-address 127.0.0.1 --num-proxies 1 --config-str '{"pools":{"A":{"servers":["127.0.0.1:21410"]}},"route":"PoolRoute|A"}' 2>mcroute-plain.log & P_PLAIN=$!
./mcroute -p 21420 --listen-address 127.0.0.1 --num-proxies 1 --pem-ca-path ca.pem --config-str '{"pools":{"A":{"servers":["127.0.0.1:21411:ascii:ssl"]}},"route":"PoolRoute|A"}' 2>mcroute-tls.log & P_TLS=$!
cat >stunnel.conf <<CONF
foreground = yes
pid =
[mc]
client = yes
accept = 127.0.0.1:21430
connect = 127.0.0.1:21411
verifyChain = yes
CAfile = $W/ca.pem
checkIP = 127.0.0.1
CONF
stunnel4 stunnel.conf 2>stunnel.log & P_ST=$!
sleep 1
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
run() { # name port pid
	local t0 t1 out
	t0=0; [ "$3" != - ] && t0=$(ticks "$3")
	out=$(./mcroute-bench -p "$2" -t 1 -c "$CONNS" --pipeline "$PIPE" --test-time "$SECS" --rate "$RATE" --hide-histogram --hide-progress 2>&1)
	t1=0; [ "$3" != - ] && t1=$(ticks "$3")
	echo "$out" | awk -v name="$1" -v cpu="$(( t1 - t0 ))" -v hz="$HZ" '
		/^Totals/ { ops=$2; avg=$6; p50=$7; p99=$9 }
		/requests sent/ { n=$1; errs=$0 }
		END {
			c = cpu/hz
			opc = (c > 0) ? sprintf("%.0f", n/c) : "-"
			nspo = (c > 0) ? sprintf("%.0f", c*1e9/n) : "-"
			printf "| %-8s | %9.0f | %7.2f s | %10s | %8s | %7.3f | %7.3f | %7.3f |\n", name, ops, c, opc, nspo, avg, p50, p99
		}'
}
echo "tls_sidecar.sh rate=$RATE/s for ${SECS}s, $CONNS connections, pipeline $PIPE, $(nproc) CPUs, $(date -u +%F)"
echo "| path | ops/s | proxy CPU | ops per proxy CPU-s | proxy CPU ns/op | avg ms | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
run direct 21410 -
run plain 21421 $P_PLAIN
run mcroute 21420 $P_TLS
run stunnel 21430 $P_ST
