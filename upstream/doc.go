// Package upstream owns mcroute's connections to memcached servers.
//
// # Types
//
//   - Registry and Destination: every server the process has been
//     configured with, keyed by DestKey (address — "host:port" or
//     "unix:<path>" —, transport "plain", "ssl" or "tls_to_plain", protocol "ascii" or
//     "meta"), so plain and TLS, ASCII and meta connections to one address
//     are separate destinations. A Destination outlives configs: it holds
//     one padded slot per event loop (that loop's Conn and its counters,
//     written only by that loop, summed by `stats servers`) and a Health
//     that every loop shares (atomics: connections up, connection failures,
//     the last one), and a pointer to its Tracker.
//   - Tracker (tko.go): a server's health, keyed by host:port (the ASCII
//     and meta Destinations of one address share it), see "Health
//     tracking" below.
//   - Server: one destination as a config sees it: reply and connect
//     timeouts and mcrouter's stats name. It points at its Destination; a
//     reload builds new Servers that map onto the same Destinations, so no
//     stats are copied and connections survive.
//   - Loop: one event loop's upstream state (its Conns, the dirty and down
//     lists, timers, the cached clock, the sweep deadline).
//   - Conn: one loop's connection to one Destination, composed of a
//     transport (transport.go: the gnet socket, and for security mech
//     "ssl" an in-loop TLS session, transport_tls.go and tlsconn: the
//     handshake runs in the dial goroutine, then records are opened and
//     sealed on the loop, one sealed batch per flush; for "tls_to_plain"
//     the same handshake offers ALPN mc_tls_to_pt, transport_toplain.go,
//     and the connection is a plain one if the server selects it; an ssl
//     connection handed to kernel TLS after a reply, offloadKTLS, becomes
//     a plain one too, or reads plaintext and still seals with RX only),
//     a queue (queue.go: the ring FIFO of pending requests) and a
//     protocol pipeline, chosen when the Conn is created from its
//     Destination's protocol (a pool's "protocol": "meta" or a server
//     string's ":meta"; ASCII by default): ascii.go's asciiProto validates
//     keys, encodes and coalesces requests, matches replies; meta.go's
//     metaProto does the same in the meta protocol. Conn holds both as
//     concrete fields and switches on a small enum: no interface call.
//
// # Flow of one request
//
//	router leaf ── Conn.Send(srv, req, key, cb) ──► key validated, request
//	                encoded into Conn.wbuf, an entry pushed on the queue
//	                with srv's reply timeout (a dial, if needed, uses srv's
//	                connect timeout)
//	engine, end of every batch (one per loop wake-up) ── Loop.Flush() ──►
//	                settle Conns that went down, then one write per dirty
//	                Conn; repeat until quiet
//	memcached reply ── engine OnTraffic ── Conn.OnTraffic(gc) ──► reply
//	                parser, asciiProto.match against the queue head ──►
//	                cb.OnReply(rep)
//	engine, end of a batch at or past Loop.Deadline() ── Loop.Sweep(now)
//	                ──► entries past their deadline answered TIMEOUT (the
//	                entry stays, as an orphan, until its late reply arrives
//	                and is dropped); a connection silent far beyond that is
//	                dropped; due timers (Loop.After) run
//
// # Deadlines instead of ticks
//
// The engine's loop sleeps in epoll_wait until Loop.Deadline: the earliest
// of the timers and of a per-loop sweep deadline that is a lower bound of
// every Conn's next reply timeout or wedge check. Send and Opened lower it
// (one comparison per request); Sweep recomputes it from the queues,
// folding in what callbacks send meanwhile. It may be early (a request
// answered before its deadline), which costs one sweep that finds nothing;
// it is never late. With nothing pending it is math.MaxInt64 and an idle
// loop does not wake. Requests queued while connecting start their clock
// in Opened; the dial itself is bounded by the connect timeout.
//
// Over ASCII, consecutive get-like requests for the same Conn that are
// queued before a flush are coalesced into one multi-key command (`get a
// b c`); replies are matched back to the keys in order, misses included.
// Over meta each get is its own `mg` (they still leave in one write).
//
// # A reply reaches only the request it answers
//
// Any doubt about which request a reply belongs to drops the connection and
// fails what was pending on it with a connection error (REMOTE_ERROR); a
// reply is never shifted onto another request. The ASCII rules:
//
//   - Keys memcached would reject (empty, over 250 bytes, a space or a
//     control byte) are never written: the request fails at once with
//     SERVER_ERROR The key provided is invalid (mc.ResBadKey). memcached
//     answers such a set twice, which would put every later reply one off.
//   - A get line is answered by VALUE blocks for its keys, in order, then
//     END. A VALUE must name one of the line's unanswered keys (checked
//     before anything is delivered); the keys before it are misses. END
//     answers the remaining keys as misses.
//   - Every other command takes exactly one line, of a kind it can get:
//     set/add/replace/append/prepend STORED or NOT_STORED; cas also EXISTS
//     or NOT_FOUND; delete DELETED or NOT_FOUND; incr/decr a number or
//     NOT_FOUND; touch TOUCHED or NOT_FOUND; version VERSION; flush_all and
//     verbosity OK. SERVER_ERROR is a complete answer to any of them (a
//     storage command's data is swallowed first), and so is CLIENT_ERROR to
//     a command without a data block.
//   - Delivered, then the connection is dropped (memcached may or may not
//     have read the rest of what we sent): CLIENT_ERROR or ERROR to a
//     storage command (`bad command line format` is followed by ERROR for
//     the data block), a bare ERROR to anything, and any error line to a
//     get line (all its remaining keys get it; whether an END follows is
//     not certain).
//   - Anything else (a reply with nothing pending, a reply kind the head
//     request cannot get, a VALUE for a key not asked for, unparsable
//     bytes) is a desync: nothing is delivered for it, the connection is
//     dropped.
//
// The meta rules. Every meta request carries an opaque token (O), a
// per-Conn counter kept in its queue entry, and memcached answers in
// order, so a reply answers the head request and its token checks it:
//
//   - Keys are validated as for ASCII (meta.ValidKey).
//   - A reply (HD, VA, EN, NF, NS, EX…) must carry the head's token and be
//     of a kind meta.ToReply accepts for the head's op; otherwise it is a
//     desync, handled as above.
//   - version, flush_all and delete with an exptime have no meta form
//     (meta.SentAsASCII): they go as ASCII lines on the same connection,
//     carry no token, and their replies (VERSION, OK) must carry none.
//   - Error lines carry no token and answer the head, with the ASCII
//     caution: SERVER_ERROR is a complete answer; CLIENT_ERROR too, except
//     to a storage command (ms), where it is delivered and the connection
//     dropped; a bare ERROR is delivered and the connection dropped. An mg
//     has exactly one reply line (no END), so an error line to it is a
//     complete answer.
//   - No request is sent quiet (q), though memcached would then skip the
//     common replies: an error line cannot be tied to a request when
//     quiet requests are in flight, and a reply must reach only the
//     request it answers.
//
// # Connections going down
//
// A Conn goes down when gnet reports its socket closed (OnClose), when a
// reply desyncs it, or when Sweep finds it wedged. On a connection handed
// to kernel TLS, a server record that is not application data (a
// KeyUpdate, a late ticket, close_notify) fails the kernel's read: gnet
// closes the socket and it goes down as a server-dropped connection. Going down detaches the
// transport at once (nothing more is written to that socket; later events
// for it are ignored), drops unsent bytes and marks the pending requests
// doomed; they fail when the loop settles, in Loop.Flush at the end of the
// pass, never inside a gnet callback. So a write that fails (gnet closes
// the socket inside Write) cannot re-enter routing, and requests that
// failed callbacks send again go to a fresh dial. The write buffer is
// taken out of the Conn before it is handed to gnet.
//
// # Health tracking (TKO, mcrouter-behaviour.md §7)
//
// A Tracker counts consecutive failures: reply timeouts (soft: TKO after
// TKOOptions.TimeoutsUntilTKO), refused or timed-out connects and
// connections the server drops (hard: TKO at once); a good reply resets
// the count, other errors leave it. Every loop reads and writes it with
// atomics: Send does one load, and while the server is TKO fails the
// request at once with mc.ResTko ("Server unavailable. Reason: <cause>"),
// without a dial. The CompareAndSwap that marks TKO names the owning
// loop; only that loop probes (a `version` through its Conn, dialing if
// needed, on its timers: Loop.After, so an idle loop wakes for it), one
// probe at a time, ProbeInitial then ×1.5 up to ProbeMax with +5–50 %
// jitter, and only its good probe reply clears TKO. An owner that leaves
// (its Conn removed by a reload, Loop.Close when the engine stops) gives
// the TKO up. A pool's fail-open TKOGroup, bound by InstallTKOGroups when
// a config is put in force, refuses new marks while Upper of its members
// are TKO, until Lower; it decides under a mutex, on the failure path only.
//
// # What it must not do
//
// upstream does not route: it never chooses a server, never looks at
// routing prefixes and never touches a client connection. It does not block
// the loop: dials happen in goroutines and report back with
// EventLoop.Execute. It allocates nothing per request in steady state:
// pending entries live in a ring that keeps its key buffers, the protocol
// and transport are concrete fields, and counters are per-loop atomics
// written without locked instructions.
//
// # Goroutines
//
// Everything but the dial runs on the owning event loop. A Loop, its Conns
// and their entries must only be touched from that loop's goroutine. The
// Registry (Lookup) is locked and is for config time; Destination stats and
// Health may be read from any goroutine.
package upstream
