// Command mcroute-bench is mcroute's load generator and benchmark driver.
//
//	mcroute-bench [flags]          drive one server (memtier_benchmark-style)
//	mcroute-bench compare [flags]  run the side-by-side benchmark: memcached
//	                               direct, twemproxy and mcroute
//
// The first form speaks the memcached text protocol to -s/--server:-p/--port
// and takes memtier_benchmark's flag names with their meaning (-t threads,
// -c clients per thread, --ratio, --key-pattern, --pipeline, --test-time or
// -n requests per client, -d, --data-size-range, --multi-key-get, --rate,
// --json-out-file, --hide-histogram), plus --verify. It prints a progress
// line per second on stderr and the result table on stdout, and exits 1 when
// any request failed. The library behind it is package mcroute/bench; the
// side-by-side run lives in mcroute/bench/compare. This command only parses
// flags and prints.
package main
