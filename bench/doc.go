// Package bench is mcroute's load generator: a memtier_benchmark-style client
// for the memcached text protocol that can be pointed at memcached, twemproxy,
// mcroute or any other server that speaks the protocol.
//
// bench owns the client side of a benchmark: connections to the server under
// test, what to send (key patterns, the set:get ratio, value sizes, multi-key
// gets, pipelining, open-loop pacing), a strict check of every reply, latency
// histograms and the final report. It must not reach into the proxy: by the
// design's import rule it may use codec and nothing else of mcroute, and today
// it uses nothing at all. Its reply checker is deliberately its own, because
// its job (catch any reply that is wrong, and say which) is stricter than the
// proxy's job of parsing and forwarding.
//
// # Measuring honestly
//
//   - Every reply is parsed and checked against the request it answers. A
//     wrong, malformed or missing reply is an error, never a success, and
//     Result.Sent always equals Result.Checked: each request written is
//     resolved either by a correct reply or by an error.
//   - In open-loop mode (Config.Rate) each request has an intended send time
//     on a fixed schedule and latency is measured from that time, so a server
//     that stalls cannot hide the stall by slowing the generator down (no
//     coordinated omission). Pacing waits on a timerfd through the netpoller,
//     because Go timers round sub-millisecond waits up to about 1 ms; how
//     late sends left is reported as the send lag.
//   - Percentiles come from Histogram, a log-linear histogram whose reported
//     values are within HistogramRelErr (1/256, 0.39 %) of the true value.
//   - The generator reports its own CPU time, so a reader can see when it,
//     rather than the server, was the limit.
//
// # Hot path
//
// Requests are appended into a per-connection buffer reused for every write,
// replies are read into a per-connection buffer reused for every read, the
// book-keeping of outstanding requests is a fixed ring, and histograms are
// fixed arrays: steady state allocates nothing per request (see
// alloc_test.go). Each connection is one goroutine in closed loop, and two
// (a paced writer and a reader) in open loop.
package bench
