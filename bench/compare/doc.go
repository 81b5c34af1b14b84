// Package compare runs the side-by-side benchmark behind `make bench`: it
// starts memcached servers, twemproxy (nutcracker), memcached's built-in
// proxy (when a memcached built with --enable-proxy is found) and mcroute
// over the same backends, preloads the keyspace, runs the same workloads
// against each target in interleaved rounds with the bench load generator
// and, when it is installed, memtier_benchmark, reads every server's and
// proxy's CPU time from /proc/PID/stat around each run, counts each proxy's
// syscalls (perf, else /proc/PID/io) and context switches per request, its
// idle CPU after the workloads, and its memory per idle connection (on a
// fresh process of it, started for that), and writes the results as
// JSON, Markdown (starting with the README's summary table) and an SVG chart.
//
// compare owns processes and reporting, nothing on the request path: load
// generation and reply checking are package bench's. It must leave nothing
// behind: ports are chosen free at run time, every child is stopped when Run
// returns (also on cancellation, which the command wires to Ctrl-C), children
// get SIGKILL if this process dies (Pdeathsig), and each run has a timeout.
// A target that does not serve (mcroute while it is being written) is
// reported as such in its rows instead of failing the whole run.
//
// The headline figure is ops per proxy CPU-second: on a shared 2-core machine
// the generator, the proxy and memcached fight over the same cores, so ops/s
// and latency move with everything else that runs, while the work a proxy
// does per unit of its own CPU time holds.
package compare
