package upstream

import (
	"net"
	"time"

	"mcroute/tlsconn"
)

// TransportTLSToPlain is mcrouter's security mech "tls_to_plain" (a
// server string's 4th field, a pool's security_mech): a TLS 1.2 handshake
// offering ALPN mc_tls_to_pt (and rs), the server verified as for ssl and
// mcroute's client certificate presented. If the server selects
// mc_tls_to_pt, both sides stop TLS without an alert and the connection
// continues in plaintext on the same socket (identity only, no
// confidentiality): the Conn is then a plain one. Otherwise it stays TLS
// (logged "Failed to negotiate TLS to plaintext") and runs as an ssl
// connection. A failed handshake is a connect error, as for ssl.
const TransportTLSToPlain = "tls_to_plain"

// NewServerTLSToPlain is NewServerTLS for security mech tls_to_plain. Its
// Destination is distinct from the ssl and plain ones of the address.
func NewServerTLSToPlain(host string, port int, protocol string, cc *tlsconn.ClientConfig, timeout, connectTimeout time.Duration) *Server {
	if cc == nil {
		cc = tlsconn.DefaultClientConfig()
	}
	return newServer(host, port, protocol, TransportTLSToPlain, cc, timeout, connectTimeout)
}

// dialTLS runs the handshake of a TLS Server (ssl or tls_to_plain) over
// nc, in the dial goroutine. A nil Client with a nil error means that the
// connection continues in plaintext (tls_to_plain selected).
func dialTLS(l *Loop, cc *tlsconn.ClientConfig, transport string, nc net.Conn, host, addr string, deadline time.Time) (*tlsconn.Client, error) {
	if transport != TransportTLSToPlain {
		return cc.Handshake(nc, host, addr, deadline)
	}
	sec, plain, err := cc.HandshakeToPlain(nc, host, addr, deadline)
	if err == nil && !plain {
		l.logf("upstream %s: Failed to negotiate TLS to plaintext (the server did not select ALPN %s); staying TLS", addr, tlsconn.ALPNToPlain)
	}
	return sec, err
}
