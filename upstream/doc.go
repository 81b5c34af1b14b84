// Package upstream owns mcroute's connections to memcached servers.
//
// A Server is one destination from the config (address plus timeouts). Each
// event loop has a Loop, and a Loop has at most one Conn per Server: the
// connection is opened lazily from the loop (dialed with a timeout in a
// goroutine, then enrolled into the same gnet event loop), so its callbacks
// run on the loop that sent the request and nothing on the request path
// takes a lock.
//
// # Flow of one request
//
//	router leaf ── Conn.Send(req, key, cb) ──► encoded into Conn.wbuf, an entry
//	                                           pushed on the pending FIFO
//	engine, end of the read callback ── Loop.Flush() ──► one Write per dirty Conn
//	memcached reply ── engine OnTraffic ── Conn.OnTraffic(buf) ──► ReplyParser,
//	                   replies matched to the FIFO in order ──► cb.OnReply(rep)
//	OnTick ── loop.Execute ── Loop.Sweep(now) ──► entries past their deadline
//	                   answered TIMEOUT (the entry stays, as an orphan, until
//	                   the late reply arrives and is dropped)
//
// Consecutive get-like requests for the same Conn that are queued before a
// flush are coalesced into one multi-key command (`get a b c`); replies are
// matched back to the keys in order, misses included.
//
// # What it must not do
//
// upstream does not route: it never chooses a server, never looks at
// routing prefixes and never touches a client connection. It does not block
// the loop: dials happen in goroutines and report back with
// EventLoop.Execute. It allocates nothing per request in steady state:
// pending entries live in a ring that keeps its key buffers.
//
// # Goroutines
//
// Everything but Dial runs on the owning event loop. A Loop, its Conns and
// their entries must only be touched from that loop's goroutine.
package upstream
