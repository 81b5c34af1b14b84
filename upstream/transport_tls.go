package upstream

import (
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec/mc"
	"mcroute/tlsconn"
)

// TransportSSL is mcrouter's security mech "ssl": TLS to the server (a
// pool's use_ssl or security_mech, a server string's 4th field).
//
// The dial goroutine connects and runs the TLS handshake over the socket,
// verifying the server (tlsconn.ClientConfig); a failure is a connect
// error (hard: TKO), logged with its reason, and nothing is ever sent in
// the clear instead. The socket is then enrolled in the loop and the
// session continues there in memory (tlsconn.Client): a flush seals its
// batch of requests in one go (one record per 16 KiB) and writes it with
// one write; OnTraffic decrypts what the socket delivered and parses the
// replies from the plaintext. No goroutine per connection, no syscall
// beyond the plaintext path's, and for TLS 1.3 AES-GCM (tlsconn's own
// record layer from the first reply on) no allocation per request. Where
// the kernel offers kTLS, such a session goes to the kernel after a reply
// (offloadKTLS) and the connection runs as a plaintext one.
const TransportSSL = "ssl"

// NewServerTLS is NewServerProtocol for a server reached over TLS,
// verified and identified as cc says. Its Destination is distinct from
// the plain one of the same address; its Key and route name say "ssl".
func NewServerTLS(host string, port int, protocol string, cc *tlsconn.ClientConfig, timeout, connectTimeout time.Duration) *Server {
	if cc == nil {
		cc = tlsconn.DefaultClientConfig()
	}
	return newServer(host, port, protocol, TransportSSL, cc, timeout, connectTimeout)
}

// writeTLS seals b and writes the records with one gnet write. b may be
// reused as soon as it returns.
func (t *transport) writeTLS(b []byte) {
	s, gc := t.sec, t.gc
	if err := s.Seal(b); err != nil {
		// The session is broken (it already failed); the read side
		// reports it. Close so that OnClose takes the Conn down.
		_ = gc.Close()
		return
	}
	_, _ = gc.Write(s.Out()) // may close gc (and detach t) inside
	s.Sent()
}

// onTLSTraffic is OnTraffic for a TLS connection: buf, the ciphertext gnet
// holds, is decrypted (all of it is taken: a partial record waits inside
// the session), and the replies are parsed from the plaintext.
func (c *Conn) onTLSTraffic(gc gnet.Conn, buf []byte) gnet.Action {
	s := c.t.sec
	err := s.Open(buf)
	_, _ = gc.Discard(len(buf))
	if out := s.Out(); len(out) > 0 { // a KeyUpdate answer, an alert
		_, _ = gc.Write(out)
		s.Sent()
		if !c.t.is(gc) {
			return gnet.Close
		}
	}
	off, act := c.replies(gc, s.Plain())
	if act != gnet.None {
		return act
	}
	s.Consume(off)
	if err != nil {
		// close_notify or a broken session: the connection is lost,
		// counted by OnClose as the server closing it.
		return gnet.Close
	}
	if !c.t.ktlsDone && c.t.is(gc) {
		c.offloadKTLS(gc)
	}
	return gnet.None
}

// offloadKTLS tries, after each pass over a TLS connection's input, to hand
// the session to kernel TLS (tlsconn.Client.OffloadKTLS waits until both
// directions are at a record boundary and nothing is held anywhere: gnet's
// buffers are empty, the Client holds no partial record, plaintext or
// output). Once the kernel took both directions the socket carries
// plaintext, and the Conn runs on the plain transport from the next event
// on, as a tls_to_plain one does; RX only: replies are read as plaintext
// and requests still sealed here. A refusal keeps the in-loop record layer.
// The kernel fails read(2) with EIO on a later non-data record (ticket,
// KeyUpdate, close_notify): gnet closes the socket and OnClose fails what
// was pending, as for any lost connection.
func (c *Conn) offloadKTLS(gc gnet.Conn) {
	res, err := c.t.sec.OffloadKTLS(gc.Fd(), gc.InboundBuffered(), gc.OutboundBuffered())
	c.t.ktlsDone = res != tlsconn.OffloadLater
	switch res {
	case tlsconn.OffloadDone:
		c.t.sec = nil
	case tlsconn.OffloadRXOnly:
		c.t.rxPlain = true
	}
	if err != nil { // the first refusal of the ClientConfig's sessions
		c.loop.logf("upstream %s: %v (further refusals are only counted: num_ssl_ktls_server_fallbacks)", c.dest.Key.Addr, err)
	}
}

// tlsFailure is the reply to requests that waited for a TLS connection
// whose handshake failed.
func tlsFailure(he *tlsconn.HandshakeError) (mc.Result, []byte) {
	if he.Timeout() {
		return mc.ResConnectTimeout, msgConnTimeout
	}
	return mc.ResConnectError, []byte("SSL handshake failed: " + he.Err.Error())
}

func (l *Loop) logf(format string, args ...any) {
	if l.opts.Logf != nil {
		l.opts.Logf(format, args...)
	}
}
