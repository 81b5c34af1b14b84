// Package tlsconn is mcroute's TLS layer: TLS connections driven by an
// event loop, with no goroutine per connection once the handshake is done.
// It serves inbound connections (Server, Conn) and outbound ones (Client,
// used by upstream's TLS transport).
//
// # What it owns
//
//   - Server: the listener side's certificate, key and CA (re-read when the
//     files change; new handshakes use them, established connections are
//     untouched), the session-ticket keys shared by all handshakes so that
//     sessions resume, the handshake worker pool and the counters (Stats).
//     Its watcher goroutine checks the files on fswatch.Loop's policy
//     (inotify events, a backstop, polling only without inotify) and
//     rotates a random ticket key on a timer set to its due time, so an
//     idle server does not run.
//   - Session-ticket keys (tickets.go): with ServerOptions.TicketSeedFile,
//     derived from mcrouter's seed file ("old", "current", "new" arrays of
//     hex seeds; HKDF-SHA256 per seed; the first current key encrypts, all
//     decrypt), re-read when it changes, a bad file refused at start and
//     ignored (logged, counted) on reload; without it a random key drawn
//     every 24 h (the previous one still decrypts). Routers given one file resume each other's
//     sessions; tickets are not byte-compatible with mcrouter's.
//   - The cert-and-IP check of mcrouter (verifyPeer): a presented client
//     certificate must chain to the CA and one of its SAN IP addresses must
//     equal the peer's IP; with RequirePeerCerts a client must present one.
//   - Conn: one connection. While its handshake runs, the loop feeds the
//     ciphertext it reads (Input) and sends what TakeOutput returns; a
//     worker runs crypto/tls's Handshake over an in-memory net.Conn (hsConn)
//     whose Read blocks until the loop has fed bytes and stops at record
//     boundaries, so that no application record is swallowed. Afterwards:
//   - TLS 1.3 with AES-GCM (what clients pick on AES-NI machines): the
//     record layer is this package's (record.go), keyed from the traffic
//     secrets that crypto/tls writes to a per-handshake key log, with the
//     sequence number after the server's session tickets found by opening
//     what the handshake wrote. Records are opened straight from gnet's
//     buffer into a plaintext buffer and sealed in place: nothing is
//     allocated per record. KeyUpdate (in both directions) and
//     close_notify are handled; post-handshake messages split across
//     records are not (no peer sends them so).
//   - Otherwise (TLS 1.2, ChaCha20, or ServerOptions.StdRecordLayer):
//     crypto/tls's own record layer, in-loop, over the same hsConn switched
//     to non-blocking (gnet-and-tls.md §3); it allocates 2×24 B per drain.
//   - kTLS (ktls.go): after a TLS 1.3 AES-GCM handshake on the in-loop
//     record layer, the loop calls OffloadKTLS between passes. Once every
//     record read so far is opened and everything sealed is written, it
//     sets TCP_ULP "tls", TLS_RX and TLS_TX (CryptoInfo, at each
//     direction's next sequence number) on the socket, and the Conn passes
//     plaintext both ways (Passthrough): the loop then reads and writes the
//     socket directly. One attempt per connection; a refusal keeps the
//     in-loop record layer (counted). Off with ServerOptions.NoKTLS
//     (--ssl-no-ktls) and where the kernel lacks the ULP; the setsockopt
//     step is injectable (ServerOptions.KTLSSetsockopt) for tests. The
//     kernel fails read(2) with EIO on any non-data record, so close_notify
//     or a peer's KeyUpdate ends an offloaded connection.
//   - tls_to_plain (toplain.go), mcrouter's ALPN mc_tls_to_pt: a client
//     offering it gets it selected (TLS 1.2 at most, so that no ticket
//     follows the handshake), and after the handshake the Conn passes
//     plaintext both ways (identity only). Outbound, HandshakeToPlain
//     offers it and reports whether the server selected it.
//   - Outbound (client*.go; mcroute → servers with security mech ssl):
//     ClientConfig holds the verified defaults (--pem-ca-path or the system
//     roots, the server's DNS name or IP checked, SNI sent;
//     --ssl-no-verify-servers opts out) and the client certificate
//     (--pem-cert-path, --pem-key-path), plus one tls.Config per server
//     with its session cache, so reconnects resume. Handshake runs in
//     upstream's dial goroutine over the raw socket, reading it one record
//     at a time (no server record stays inside crypto/tls) and capturing
//     the traffic secrets with a per-handshake key log; the returned
//     Client then continues the session inside the event loop (Open
//     decrypts what the loop read, Seal encrypts a flushed batch, Out is
//     written with one gnet write). TLS 1.3 AES-GCM sessions move to the
//     record layer of record.go when the server's first application
//     record arrives: until then the Client opens each record itself to
//     see what it is and passes the NewSessionTickets on to crypto/tls
//     (which puts them in the session cache, in step with its sequence
//     number), while crypto/tls seals; at the first reply both directions
//     switch (sequence numbers: records opened so far, records crypto/tls
//     sealed). After that nothing is allocated per record; a KeyUpdate is
//     followed (and answered when requested), close_notify and alerts end
//     the session as with crypto/tls, later tickets are ignored, and a
//     post-handshake message split across records is refused. A
//     KeyUpdate, alert or unusual record before the switch, TLS 1.2,
//     ChaCha20 and ClientOptions.StdRecordLayer leave the session to
//     crypto/tls over an in-memory transport (2×24 B per Open).
//     clienttest makes the certificates the outbound tests use.
//   - Outbound kTLS (client_ktls.go): once a Client is on the own record
//     layer with nothing held (no partial record, no plaintext not
//     consumed, no output) and the loop holds nothing either,
//     Client.OffloadKTLS calls InstallKTLS (TLS_RX with the server's
//     secret at the next sequence number opened, TLS_TX with the client's
//     at the next one sealed) and the loop then runs the socket as a
//     plaintext one; RX only (TLS_TX refused) leaves sealing to the
//     Client. One attempt per session; off with ClientOptions.NoKTLS
//     (--ssl-no-ktls), StdRecordLayer or a kernel without the ULP;
//     ClientOptions.KTLSSetsockopt injects the kernel step in tests.
//     Counted process-wide (ClientKTLS: num_ssl_ktls_server_*).
//
// # Goroutines and lifetimes
//
// Server.Workers goroutines run handshakes (default 8 per CPU), fed by a
// queue of Server.Queue; a full queue refuses the connection (overloaded).
// HandshakeTimeout bounds each handshake from accept, time in the queue
// included; a stalled one fails with ReasonTimeout and frees its worker.
// A worker touches a Conn only through its hsConn (under its mutex) until
// it reports done; then the loop alone owns the Conn. Every Conn method runs
// on the connection's loop; Plaintext's slice is valid until the next
// Consume or Input. Buffers (plaintext, partial records) come from a
// per-loop free list and go back when empty, so an idle connection holds
// only its keys. Close releases a Conn when its socket closes. A Client
// belongs to its connection's loop; it keeps its plaintext buffer and,
// once a record has arrived split, a partial-record buffer (17 KB) for
// the connection's life, and drops crypto/tls's state at the switch.
//
// # What it must not do
//
// No protocol parsing and no routing; no socket I/O of its own once a
// connection is on a loop (the loop reads and writes; Conn.OffloadKTLS and
// Client.OffloadKTLS only set socket options on the descriptor the loop
// passes); never block a loop:
// crypto/tls's handshake lock is only taken on a worker, or on the loop
// after the handshake is over.
package tlsconn
