// Package tlsconn is mcroute's TLS layer: TLS connections driven by an
// event loop, with no goroutine per connection once the handshake is done.
// It serves inbound connections (Server, Conn) and outbound ones (Client,
// used by upstream's TLS transport).
//
// # What it owns
//
//   - Server: the listener side's certificate, key and CA (re-read when the
//     files change; new handshakes use them, established connections are
//     untouched), a session-ticket key shared by all handshakes so that
//     sessions resume, the handshake worker pool and the counters (Stats).
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
//     upstream's dial goroutine over the raw socket; the returned Client
//     then continues the session inside the event loop over an in-memory
//     transport (Open decrypts what the loop read, Seal encrypts a flushed
//     batch, Out is written with one gnet write). Sealing allocates
//     nothing; decryption still costs crypto/tls's 24-byte atLeastReader
//     up to twice per loop pass (the inbound side's own TLS 1.3 record
//     layer, record.go, would remove it). clienttest makes the
//     certificates the outbound tests use.
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
// only its keys. Close releases a Conn when its socket closes.
//
// # What it must not do
//
// No protocol parsing and no routing; no socket I/O of its own once a
// connection is on a loop (the loop reads and writes; OffloadKTLS only sets
// socket options on the descriptor the loop passes); never block a loop:
// crypto/tls's handshake lock is only taken on a worker, or on the loop
// after the handshake is over.
package tlsconn
