#!/usr/bin/env bash
# tls_memtier.sh: make bench's TLS rows cross-checked with an external load
# generator, memtier_benchmark (which speaks TLS). One memcached and one
# memcached -Z; mcroute as TLS listener (--ssl-port) and as TLS client
# (pool use_ssl, verified with --pem-ca-path) beside stunnel in server and
# client mode (verifyChain, checkIP); workloads A (-c 4) and B (-c 4
# --pipeline 16), 1:10 set:get, 100 B values, ROUNDS interleaved rounds of
# SECS seconds. Prints ops/s, p99 and ops per proxy CPU-second (utime+stime
# of the proxy process, /proc/PID/stat) per run. Needs memcached (with TLS,
# as Debian builds it), stunnel4, openssl, memtier_benchmark; run from the
# repository root:
#   bash bench/tls_memtier.sh [rounds] [secs]
set -u
R=${1:-3}; T=${2:-5}
W=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
go build -o "$W/mcroute" ./cmd/mcroute || exit 1
cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=bench-CA 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv-key.pem -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out srv.pem -days 1 -extfile ext.cnf 2>/dev/null
U=""; [ "$(id -u)" = 0 ] && U="-u root"
memcached $U -p 25410 -l 127.0.0.1 -U 0 -t 1 -m 256 & 
memcached $U -p 25411 -l 127.0.0.1 -U 0 -t 1 -m 256 -Z -o ssl_chain_cert=srv.pem,ssl_key=srv-key.pem &
sleep 0.5
./mcroute -p 25420 --ssl-port 25421 --listen-address 127.0.0.1 --num-proxies 1 --server-pem-cert-path srv.pem --server-pem-key-path srv-key.pem --server-pem-ca-path ca.pem --config-str '{"pools":{"A":{"servers":["127.0.0.1:25410"]}},"route":"PoolRoute|A"}' 2>/dev/null & P_SRV=$!
./mcroute -p 25423 --listen-address 127.0.0.1 --num-proxies 1 --pem-ca-path ca.pem --config-str '{"pools":{"A":{"servers":["127.0.0.1:25411"],"use_ssl":true}},"route":"PoolRoute|A"}' 2>/dev/null & P_CLI=$!
printf 'foreground = yes\npid =\ndebug = warning\n\n[mc]\naccept = 127.0.0.1:25422\nconnect = 127.0.0.1:25410\ncert = srv.pem\nkey = srv-key.pem\n' > st-srv.conf
printf 'foreground = yes\npid =\ndebug = warning\n\n[mc]\naccept = 127.0.0.1:25424\nconnect = 127.0.0.1:25411\nclient = yes\nverifyChain = yes\nCAfile = ca.pem\ncheckIP = 127.0.0.1\n' > st-cli.conf
stunnel4 st-srv.conf 2>/dev/null & S_SRV=$!
stunnel4 st-cli.conf 2>/dev/null & S_CLI=$!
sleep 1
memtier_benchmark -s 127.0.0.1 -p 25410 --protocol=memcache_text -t 1 -c 4 --ratio=1:0 --key-pattern=P:P --key-maximum=10000 -n allkeys -d 100 --hide-histogram >/dev/null 2>&1
memtier_benchmark -s 127.0.0.1 -p 25411 --tls --tls-skip-verify --protocol=memcache_text -t 1 -c 4 --ratio=1:0 --key-pattern=P:P --key-maximum=10000 -n allkeys -d 100 --hide-histogram >/dev/null 2>&1
for r in $(seq $R); do
 for w in A B; do
  for tgt in "mcroute-tls-listener 25421 $P_SRV tls" "stunnel-server 25422 $S_SRV tls" "mcroute-tls-client 25423 $P_CLI plain" "stunnel-client 25424 $S_CLI plain"; do
   set -- $tgt; name=$1; port=$2; pid=$3; mode=$4
   X=""; [ $mode = tls ] && X="--tls --tls-skip-verify"
   P=""; [ $w = B ] && P="--pipeline 16"
   a=$(awk '{print $14+$15}' /proc/$pid/stat)
   out=$(memtier_benchmark -s 127.0.0.1 -p $port $X --protocol=memcache_text -t 1 -c 4 $P --ratio=1:10 -d 100 --key-maximum=10000 --key-pattern=R:R --test-time=$T --hide-histogram 2>/dev/null | grep Totals)
   b=$(awk '{print $14+$15}' /proc/$pid/stat)
   ops=$(echo "$out" | awk '{print $2}'); p99=$(echo "$out" | awk '{print $7}')
   echo "$r $w $name ops/s=$ops p99=$p99 ops/cpu-s=$(python3 -c "print(round($ops*$T/(($b-$a)/100)))")"
  done
 done
done
