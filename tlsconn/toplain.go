package tlsconn

import (
	"crypto/tls"
	"encoding/binary"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// mcrouter's TLS-to-plaintext (security mech tls_to_plain): a TLS
// handshake authenticates both ends (certificates exchanged and checked),
// then, if the server selected ALPN mc_tls_to_pt, both sides stop TLS
// without an alert and the same TCP connection carries plaintext.
// Identity only: no confidentiality, no integrity.

// ALPNToPlain is the ALPN protocol that asks for tls_to_plain.
const ALPNToPlain = "mc_tls_to_pt"

// alpnRS is the ALPN protocol mcrouter's TLS clients also offer.
const alpnRS = "rs"

// toPlainConfig is the server's GetConfigForClient: a ClientHello that
// offers mc_tls_to_pt gets cfg with that protocol selected and TLS 1.2 at
// most, as mcrouter does. TLS 1.2 sends its session tickets inside the
// handshake, so nothing of TLS follows the handshake on the socket (a TLS
// 1.3 server would send NewSessionTicket records after it). Other clients
// get cfg unchanged, without ALPN, so that a client offering only other
// protocols ("rs", "h2") is not refused.
func toPlainConfig(cfg *tls.Config) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	return func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		if !slices.Contains(chi.SupportedProtos, ALPNToPlain) {
			return nil, nil
		}
		pc := cfg.Clone()
		pc.GetConfigForClient = nil
		pc.NextProtos = []string{ALPNToPlain}
		pc.MaxVersion = tls.VersionTLS12
		return pc, nil
	}
}

// ToPlainClientStats counts outbound tls_to_plain handshakes: Opened
// continued in plaintext, NotSelected stayed TLS because the server did
// not select mc_tls_to_pt. Safe from any goroutine.
type ToPlainClientStats struct {
	Opened, NotSelected atomic.Uint64
}

// Each calls f with mcrouter's names for these counters (its proxy
// destination stats: num_tls_to_plain_fallback_failures counts handshakes
// that stayed TLS).
func (s *ToPlainClientStats) Each(f func(name string, v int64)) {
	f("num_tls_to_plain_connections_opened", int64(s.Opened.Load()))
	f("num_tls_to_plain_fallback_failures", int64(s.NotSelected.Load()))
}

var toPlainClient ToPlainClientStats

// ToPlainClient returns the process's outbound tls_to_plain counters.
func ToPlainClient() *ToPlainClientStats { return &toPlainClient }

// toPlainConfigs holds, per ClientConfig and server, the tls.Config of
// tls_to_plain handshakes (TLS 1.2, ALPN mc_tls_to_pt and rs), with a
// session cache of its own.
var toPlainConfigs sync.Map // toPlainKey → *tls.Config

type toPlainKey struct {
	cc   *ClientConfig
	addr string
}

func (cc *ClientConfig) toPlainConfigFor(host, addr string) *tls.Config {
	k := toPlainKey{cc, addr}
	if c, ok := toPlainConfigs.Load(k); ok {
		return c.(*tls.Config)
	}
	c := cc.configFor(host, addr).Clone() // verification as for ssl
	c.MaxVersion = tls.VersionTLS12
	c.NextProtos = []string{ALPNToPlain, alpnRS}
	c.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	got, _ := toPlainConfigs.LoadOrStore(k, c)
	return got.(*tls.Config)
}

// HandshakeToPlain is Handshake for security mech tls_to_plain: a TLS 1.2
// handshake offering ALPN mc_tls_to_pt and rs, the server verified as
// for ssl. If the server selected mc_tls_to_pt, plain is true and the
// Client nil: nc carries plaintext from here on (nothing the server sent
// after its last handshake record was read). Otherwise the session stays
// TLS and the Client continues it as Handshake's does. Errors are as
// Handshake's. Being TLS 1.2, a session that stays TLS runs on
// crypto/tls's record layer in the loop.
func (cc *ClientConfig) HandshakeToPlain(nc net.Conn, host, addr string, deadline time.Time) (c *Client, plain bool, err error) {
	c = &Client{}
	c.p.raw = &recordConn{Conn: nc}
	c.p.local, c.p.remote = nc.LocalAddr(), nc.RemoteAddr()
	c.tc = tls.Client(&c.p, cc.toPlainConfigFor(host, addr))
	_ = nc.SetDeadline(deadline)
	err = c.tc.Handshake()
	_ = nc.SetDeadline(time.Time{})
	c.p.raw = nil
	if err != nil {
		return nil, false, &HandshakeError{Addr: addr, Err: err}
	}
	if c.tc.ConnectionState().NegotiatedProtocol == ALPNToPlain {
		// Stop TLS quietly, as mcrouter does (SSL_shutdown without an
		// alert): the tls.Conn is dropped, never closed.
		toPlainClient.Opened.Add(1)
		return nil, true, nil
	}
	toPlainClient.NotSelected.Add(1)
	c.start(&clientKeys{}) // TLS 1.2: no traffic secrets, crypto/tls's record layer
	return c, false, nil
}

// recordConn is a net.Conn whose reads stop at TLS record boundaries, so
// that a handshake reads nothing past its last record: what follows may
// be plaintext (tls_to_plain), or records the event loop must see (the
// tickets and first replies of a TLS 1.3 session). crypto/tls asks for
// exactly a header, then exactly the body.
type recordConn struct {
	net.Conn
	hdr  [recordHeader]byte
	hdrN int
	left int
}

func (r *recordConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.left == 0 {
		n, err := r.Conn.Read(p[:min(len(p), recordHeader-r.hdrN)])
		copy(r.hdr[r.hdrN:], p[:n])
		r.hdrN += n
		if r.hdrN == recordHeader {
			r.hdrN = 0
			r.left = int(binary.BigEndian.Uint16(r.hdr[3:]))
		}
		return n, err
	}
	n, err := r.Conn.Read(p[:min(len(p), r.left)])
	r.left -= n
	return n, err
}
