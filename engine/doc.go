// Package engine is mcroute's server: the gnet event handler that accepts
// client connections, parses their requests, routes them, and writes the
// replies back in request order.
//
// # Types and flow
//
//	Engine      the gnet.EventHandler; one per process.
//	loopState   per event loop: upstream.Loop, router.Ctx, free lists of
//	            slots and keyReqs, dirty sessions, counters.
//	session     per client connection: codec.Parser and the FIFO of slots
//	            awaiting replies.
//	slot        one client request: its reply (or, for a multi-key get, its
//	            keys' replies) and whether it is complete.
//	keyReq      one key of a slot on its way through the router: an
//	            mc.Request plus the Callback that fills the slot.
//
//	OnTraffic(client) → Parser.Parse → slot + keyReqs → router Root.Route
//	                  → upstream Conn.Send; at the end: flush dirty
//	                  sessions (completed slots, in order, one write) and
//	                  dirty upstreams (one Write each)
//	OnTraffic(server) → upstream Conn.OnTraffic → keyReq.OnReply → slot
//	                  complete → session dirty → flush as above
//	OnTick            → loop.Execute(sweep): timeouts, paused sessions
//
// # Backpressure
//
// gnet never stops reading a socket, so the engine bounds what a client can
// make it hold: at most MaxClientOutstanding requests in flight per client
// (parsing pauses, the bytes stay in gnet's inbound buffer), parsing also
// pauses while the client's unsent replies exceed OutboundHighWater, and a
// client whose buffered input or output exceeds MaxClientBuffer is closed.
//
// # What it must not do
//
// The engine does not choose servers (router) or speak to them (upstream);
// it never blocks a loop. Per-request state comes from per-loop free lists:
// nothing is allocated per request in steady state. All session, slot and
// loopState fields are touched only by their loop's goroutine; counters read
// by `stats` from other loops are atomics.
package engine
