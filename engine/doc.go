// Package engine is mcroute's server: the gnet event handler that accepts
// client connections, parses their requests, routes them, and writes the
// replies back in request order.
//
// # Types and flow
//
//	Engine      the gnet.EventHandler; one per process.
//	loopState   per event loop: upstream.Loop, router.Ctx, free lists of
//	            slots and keyReqs, dirty and paused sessions, the bytes
//	            held for all its clients, counters.
//	session     per client connection: the FIFO of slots awaiting
//	            replies (slotRing, sized by what is in flight), the bytes
//	            held for it and the request whose keys are not all sent
//	            yet (waiting). Its codec.Parser and the ring's array are
//	            lent by the loop while it is busy (a parser is kept only
//	            while a request is half parsed): an idle connection is
//	            128 B of session plus gnet's conn (PERF.md).
//	slot        one client request: its keys, its reply (or, for a get,
//	            its keys' replies), how many keys were sent and answered,
//	            and how many bytes it holds.
//	keyReq      one key of a slot on its way through the router: an
//	            mc.Request plus the Callback that fills the slot.
//
//	OnTraffic(client) → process: pump the waiting request's keys, then
//	                  Peek ≤64 KiB → Parser.Parse → slot + keyReqs →
//	                  pump → router Root.Route (while under the mark) →
//	                  upstream Conn.Send (encoded into the Conn's buffer)
//	OnTraffic(server) → upstream Conn.OnTraffic → keyReq.OnReply → slot
//	                  complete (or a get prefix ready) → session dirty →
//	                  hard cap checked
//	endBatch          → once per loop wake-up (gnet's batch-end hook, a
//	                  patch of the carried gnet), after all the batch's
//	                  events and tasks: Sweep what is due (timeouts,
//	                  wedge checks, timers), bind a reloaded config, then
//	                  afterEvent: flush dirty sessions (completed slots,
//	                  in order, one write; a get at the head streams its
//	                  completed prefix), resume paused sessions, flush
//	                  dirty upstreams (one Write each); returns the time
//	                  to the loop's next deadline, the epoll_wait
//	                  timeout. At most every 5 ms it first passes
//	                  through the Go scheduler (runtime.Gosched), so that
//	                  sysmon does not take the loop's P (RUNTIME.md)
//
// So the requests of every client served in one wake-up leave in one
// write per server, and the replies of one server read reach each client
// in one write. A client read's replies are written together: while a
// request parsed from the same read as completed ones still waits for a
// server, flush holds them back (session.holdBack; not for a client over
// its high water mark, paused, or with a request not all sent), so a
// pipelined batch answered by several servers over several wake-ups costs
// one client write, and the client's next batch arrives whole. A hold
// lasts at most holdMax (1 ms, a loop timer): a slow or dead server
// behind a later request of the read does not delay the replies before it
// until its timeout. There is no ticker: a loop with nothing pending sleeps in
// epoll_wait until an event arrives; one with requests in flight or
// timers wakes at upstream.Loop.Deadline. A reload wakes every loop once
// (Router.OnStore) so that idle ones bind the new config too. See PERF.md
// for the measured cost.
//
// # TLS
//
// A client on a TLS port (Options.TLSAddrs) has a tlsSession as its gnet
// context (tls.go): during the handshake the loop only passes bytes to
// and from tlsconn's worker pool; then an ordinary session is created whose
// gnet.Conn is a tlsWire, which decrypts on Peek (up to 64 KiB ahead; the
// rest waits in gnet's buffer, so backpressure holds) and seals each write,
// one batch of replies, into as few records as its size allows. Plain
// sessions keep the socket as their gnet.Conn: their path is unchanged.
// After each pass the tlsSession tries the kTLS offload (tlsconn's
// OffloadKTLS, which waits for a record boundary); once the socket carries
// plaintext — the kernel took the records, or the client negotiated
// tls_to_plain — and tlsconn holds none, the session goes direct: its
// gnet.Conn becomes the socket, as for a plain client.
//
// stats is rendered when its slot reaches the head of the FIFO, so it
// counts every request pipelined before it. flush_all goes through the
// config's broadcast handle (router.Config.Broadcast, an AllSync over
// every destination).
//
// # Memory bounds
//
// client bytes ≤ MaxClientBuffer (64 MiB), loop bytes ≤ MaxLoopBuffer
// (512 MiB), each plus at most one reply in flight past the cap.
//
// A client's bytes are: 256 B per request (slot) and per key (keyReq), its
// key and value copies, replies encoded and not yet written (held), the
// partial request inside the parser (parsed), gnet's unread input and
// unsent output. A loop's bytes are its clients' held bytes plus slots of
// closed clients still in flight (gnet's buffers are bounded per client).
//
//   - High water mark, per client (OutboundHighWater, 4 MiB): while held +
//     estimated replies to keys in flight + unsent output exceed it, the
//     client's input is not parsed (not even peeked: the bytes stay in
//     gnet's buffer) and its waiting request's keys are not sent. Keys are
//     sent one by one, so a multi-key get is windowed. A reply estimate
//     per key follows the client's get replies (256 KiB before the first,
//     then up at once and down by 1/8 per reply, at least 4 KiB). A client
//     with nothing in flight and nothing queued but the request being sent
//     may always go on, so one request bigger than the mark makes progress.
//     Paused sessions are retried at the end of every batch: whatever can
//     unpause them (gnet draining a client's output on EPOLLOUT, replies
//     arriving, timeouts, other clients closing) happens in a batch of
//     the same loop, so they need no timer.
//   - High water mark, per loop (LoopHighWater, 128 MiB): the same, for
//     the sum over the loop's clients.
//   - Hard cap, per client (MaxClientBuffer): a client over it is closed;
//     checked after it sends, when a reply for it arrives and after its
//     replies are written. A client that stops reading stays paused at its
//     mark, and is not closed unless replies already asked for take it
//     over the cap.
//   - Hard cap, per loop (MaxLoopBuffer): past it, a client holding more
//     than its high water mark is closed when checked.
//   - MaxClientOutstanding (if set) caps requests in flight per client.
//
// A get at the head of the FIFO whose completed prefix of keys reaches
// 16 KiB (or whose client is over its mark) has that prefix's VALUE blocks
// written and their buffers released; END follows when all keys are
// answered. mcrouter answers a get with a failed key with the error line
// alone (no VALUE, no END); once VALUE blocks were streamed that is no
// longer possible, so an error arriving then closes the connection after
// what was written (stats: client_closed_error_mid_reply).
//
// # What it must not do
//
// The engine does not choose servers (router) or speak to them (upstream);
// it never blocks a loop. Per-request state comes from per-loop free lists:
// nothing is allocated per request in steady state. All session, slot and
// loopState fields are touched only by their loop's goroutine; counters read
// by `stats` from other loops are atomics.
package engine
