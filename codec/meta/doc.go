// Package meta is the upstream half of memcached's meta protocol (mg, ms,
// md, ma, mn; memcached ≥ 1.6): an encoder that turns mcroute's single-key
// requests into meta commands carrying an opaque token, an incremental
// parser of the replies, and the mapping of those replies to the results
// mcrouter gives for the same request over ASCII.
//
// # What it owns, and what it must not do
//
// Bytes and grammar only, as package codec: no sockets, timers, goroutines
// or routing, and no allocation per request in steady state. It imports
// codec (shared limits, number scanners, the ASCII forms of the commands
// that stay ASCII) and codec/mc; codec must never import it. It does not
// decide which pool speaks meta (that is configuration, per pool) and does
// not match replies to requests (the upstream connection does, by order,
// checked by the opaque token).
//
// # Use
//
//	b = meta.AppendRequest(b, &req, key, seq)  // seq: the connection's request counter
//	...
//	n, ok, err := p.Parse(buf)                  // p: one meta.ReplyParser per connection
//	if ok {
//	    // p.Reply.HasOpaque && p.Reply.Opaque != seq of the oldest request:
//	    // out of step (or quiet requests were skipped, see Silent).
//	    rep, ok := meta.ToReply(op, &p.Reply)   // !ok: close the connection
//	}
//
// Every op mcroute routes maps to meta (AppendRequest's table); version,
// flush_all and delete with a non-zero exptime stay ASCII on the same
// connection (SentAsASCII) and their replies (VERSION, OK, an error line)
// carry no token. Error lines never carry one either: a reply without a
// token answers the oldest request. memcached answers in request order, so
// with no quiet requests matching by order is exact and the token only
// checks it. With quiet requests (mc.Request.Quiet → q) memcached skips the
// common outcome (EN of mg, HD of ms and md); a reply with token t then
// answers request t and every older quiet request got Silent(op); end each
// batch with AppendNoop, whose MN answers everything before it. An error
// line during a quiet batch cannot be attributed by token: the caller
// should not make requests quiet whose failures it must report precisely.
//
// Keys must satisfy ValidKey (no spaces or control characters, at most 250
// bytes), as ASCII keys do; the b flag (base64 keys) is not used.
// Client flags are stored by memcached as 32 bits in both protocols (2^32
// reads back as 0 either way).
//
// # Lifetimes and goroutines
//
// A ReplyParser belongs to one upstream connection and is used by the one
// goroutine (the event loop) that owns it; the zero value is ready. The
// slices in p.Reply (Key, Data, Msg) and in the mc.Reply that ToReply
// returns point into the buffer given to Parse or the parser's scratch
// space and are valid until the next Parse or Reset. AppendRequest and
// AppendNoop append to the caller's slice and keep nothing.
//
// # Cost, and the decision (issue 7)
//
// Measured on 2026-12-06, 2-core AMD EPYC VM shared with other work, Go
// 1.26, memcached 1.6.18 on loopback (MEASURE.md: command, all runs).
// Codec cost per request (encode + parse, + ToReply for meta), 0 allocs
// either way: meta costs about 10–30 ns more per request (get miss 22→47
// ns, incr 32→60 ns; get hit is within noise), because it writes and parses
// the opaque and the returned flags. Wire bytes per request + reply, 23-byte
// key, 6-digit opaque: get hit 173→161, get miss 34→52, set 100 B 150→160,
// delete 41→48, incr 36→59; meta is smaller only when a value with a long
// key comes back. Against memcached, depth 16 over one connection, 100k
// requests: a get, hit or miss, takes 11–18 µs per request in ASCII and
// 1.6–4 µs in meta, and memcached spends 5.6–8 µs of CPU per ASCII get
// against 0.8–1.6 µs per mg (observed in every run; the cause is inside
// memcached's ASCII get path, not isolated here). set, delete and incr
// cost the same either way within this machine's noise (1.6–6 µs, server
// 0.8–2.4 µs); quiet sets save a few percent.
//
// Through mcroute the gap on gets mostly closes, because mcroute coalesces
// ASCII gets into multi-key lines (README, "Backend protocol: ASCII or
// meta"; same day and machine, 1:10 set:get, 100 B values, 4 connections):
// memcached spends 9–16 % less CPU per request on a meta pool (pipeline 1:
// 14.1 → 11.9 µs, pipeline 16: 2.24 → 2.03 µs), mcroute the same or a
// little less, and throughput is about 10 % higher one request at a time
// and even at depth 16.
//
// Decision: speak meta to pools that declare it ("protocol": "meta" on the
// pool, or ":meta" in a server string), ASCII by default. Meta is a
// drop-in (TestAgainstMemcached, and upstream's end-to-end test: every
// routed op gives byte-identical client replies), it makes reply matching
// self-checking and is somewhat cheaper for memcached; mcroute does not
// send quiet requests yet (an error line cannot be tied to one). It stays
// opt-in because
// it needs memcached ≥ 1.6 (the syntax used here is that of 1.6.10 and
// later; checked on 1.6.18), while mcrouter's users also point pools at
// other servers that speak only ASCII (older memcached, mcrouter itself,
// twemproxy…), and mcroute cannot tell them apart safely
// at connect time without a probe that costs a round trip per connection.
package meta
