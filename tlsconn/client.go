package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ClientOptions says how mcroute's connections to TLS servers (a pool's
// use_ssl, security mech "ssl") verify the server and identify mcroute.
type ClientOptions struct {
	// CertFile and KeyFile (--pem-cert-path, --pem-key-path) hold the
	// client certificate chain and key, presented when a server asks for
	// one. Both or neither.
	CertFile, KeyFile string
	// CAFile (--pem-ca-path) holds the roots server certificates must
	// chain to; empty means the system roots.
	CAFile string
	// NoVerify (--ssl-no-verify-servers) accepts any server certificate:
	// for self-signed test set-ups only. The traffic is still encrypted,
	// but a man in the middle goes unnoticed.
	NoVerify bool
	// StdRecordLayer keeps every session on crypto/tls's record layer
	// after the handshake (tests and benchmarks compare the two); by
	// default a TLS 1.3 AES-GCM session moves to this package's own.
	StdRecordLayer bool
	// NoKTLS (--ssl-no-ktls) keeps every session's record layer in
	// mcroute; otherwise a TLS 1.3 AES-GCM session on the own record
	// layer goes to the kernel where it offers kTLS (Client.OffloadKTLS).
	NoKTLS bool
	// KTLSSetsockopt replaces the setsockopt calls of a kTLS offload, and
	// makes it be tried whatever the kernel offers: for tests.
	KTLSSetsockopt Setsockopt
}

// ClientConfig is the process's TLS client configuration: the verified
// defaults plus, per server, a tls.Config naming the server and holding
// its session cache, so a reconnect resumes the session. Safe for use by
// any goroutine; it is consulted when dialing, never per request.
type ClientConfig struct {
	base *tls.Config
	opts ClientOptions

	mu       sync.Mutex
	byServer map[string]*tls.Config // by dial address

	ktlsLogged atomic.Bool // a kTLS refusal was reported (client_ktls.go)
}

// NewClientConfig loads the files o names. An error names the file and
// what is wrong with it.
func NewClientConfig(o ClientOptions) (*ClientConfig, error) {
	base := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Requests flushed together are sealed together, in records as
		// large as TLS allows; no slow start of record sizes.
		DynamicRecordSizingDisabled: true,
		InsecureSkipVerify:          o.NoVerify,
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("TLS client certificate: --pem-cert-path and --pem-key-path go together")
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s, key %s: %v", o.CertFile, o.KeyFile, err)
		}
		base.Certificates = []tls.Certificate{cert}
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate in it", o.CAFile)
		}
		base.RootCAs = pool
	}
	return &ClientConfig{base: base, opts: o, byServer: map[string]*tls.Config{}}, nil
}

var defaultClient = sync.OnceValue(func() *ClientConfig {
	c, _ := NewClientConfig(ClientOptions{}) // no files: cannot fail
	return c
})

// DefaultClientConfig verifies servers against the system roots and has
// no client certificate.
func DefaultClientConfig() *ClientConfig { return defaultClient() }

// Options returns the options cc was made from.
func (cc *ClientConfig) Options() ClientOptions { return cc.opts }

// configFor returns the tls.Config for the server host (as the config
// names it: a DNS name, checked against the certificate's DNS names and
// sent as SNI, or an IP, checked against its IP SANs) at addr.
func (cc *ClientConfig) configFor(host, addr string) *tls.Config {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if c, ok := cc.byServer[addr]; ok {
		return c
	}
	c := cc.base.Clone()
	c.ServerName = host
	c.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	cc.byServer[addr] = c
	return c
}

// HandshakeError is a failed TLS handshake with a server: a connect
// error. Err says why (an x509 error when the server's certificate was
// not accepted).
type HandshakeError struct {
	Addr string
	Err  error
}

func (e *HandshakeError) Error() string {
	return "TLS handshake with " + e.Addr + " failed: " + e.Err.Error()
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Timeout reports whether the handshake ran out of time.
func (e *HandshakeError) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// Handshake runs the TLS client handshake over nc, a connected TCP socket,
// in the calling goroutine (a dial goroutine, never an event loop), within
// deadline. host is the server as the config names it, addr its dial
// address. On success the returned Client no longer reads or writes nc:
// the caller hands nc's descriptor to an event loop (gnet's Enroll) and
// feeds the Client from there. On failure nc is left to the caller to
// close, and the error is a *HandshakeError.
//
// The handshake reads nc one record at a time (never past the end of the
// record it needs), so that every byte the server sends after its
// Finished reaches the event loop, none stays inside crypto/tls; and it
// captures the traffic secrets (a key log of its own), so that the Client
// can move to the in-loop record layer (client_session.go).
func (cc *ClientConfig) Handshake(nc net.Conn, host, addr string, deadline time.Time) (*Client, error) {
	c := &Client{}
	c.p.raw = &recordConn{Conn: nc}
	c.p.local, c.p.remote = nc.LocalAddr(), nc.RemoteAddr()
	cfg := cc.configFor(host, addr)
	var keys clientKeys
	if !cc.opts.StdRecordLayer {
		// A copy for this handshake alone (it shares the session cache),
		// so that the key log sees only this handshake's secrets.
		cfg = cfg.Clone()
		cfg.KeyLogWriter = &keys
	}
	c.tc = tls.Client(&c.p, cfg)
	_ = nc.SetDeadline(deadline)
	err := c.tc.Handshake()
	_ = nc.SetDeadline(time.Time{})
	c.p.raw = nil // from here on: memory only
	if err != nil {
		return nil, &HandshakeError{Addr: addr, Err: err}
	}
	c.start(&keys)
	c.ktls, c.ktlsLogged = cc.ktlsSet(), &cc.ktlsLogged
	return c, nil
}

// clientKeys is the key log of one client handshake: the application
// traffic secrets (TLS 1.3 only; a TLS 1.2 handshake logs none of these).
type clientKeys struct{ client, server []byte }

func (k *clientKeys) Write(line []byte) (int, error) {
	switch label, secret := keyLogSecret(line); label {
	case "CLIENT_TRAFFIC_SECRET_0":
		k.client = secret
	case "SERVER_TRAFFIC_SECRET_0":
		k.server = secret
	}
	return len(line), nil
}
