package tlsconn

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"mcroute/fswatch"
)

// ServerOptions configure inbound TLS (mcrouter's --server-pem-* flags).
type ServerOptions struct {
	CertFile, KeyFile, CAFile string
	// RequirePeerCerts refuses clients without a certificate
	// (--ssl-require-peer-certs). A presented certificate is always checked.
	RequirePeerCerts bool
	// HandshakeTimeout bounds a handshake from accept to its end, time
	// queued for a worker included (default 10 s).
	HandshakeTimeout time.Duration
	// Workers is the number of handshake goroutines (default 8 per CPU).
	Workers int
	// Queue is how many accepted handshakes may wait for a worker (default
	// 4096); past it a new connection is refused as overloaded.
	Queue int
	// ReloadInterval is how often the files are checked where inotify
	// cannot watch them, and how soon a pair that failed to load is tried
	// again if no change comes (default 1 s; negative: never watch). With
	// inotify the files are checked when they change and every
	// fswatch.Backstop(ReloadInterval), so an idle server does not run.
	ReloadInterval time.Duration
	// TicketSeedFile is mcrouter's session-ticket seed file
	// (--tls-ticket-key-seed-path, tickets.go): routers given the same file
	// resume each other's sessions. Empty: one random key per process.
	TicketSeedFile string
	// StdRecordLayer keeps every connection on crypto/tls's own record
	// layer (std mode), for tests and comparisons.
	StdRecordLayer bool
	// NoKTLS keeps every connection's record layer in mcroute
	// (--ssl-no-ktls); otherwise TLS 1.3 AES-GCM connections go to the
	// kernel where it offers kTLS (Conn.OffloadKTLS).
	NoKTLS bool
	// KTLSSetsockopt replaces the setsockopt calls of a kTLS offload, and
	// makes it be tried whatever the kernel offers: for tests.
	KTLSSetsockopt Setsockopt
	// Logf logs refusals and reloads; nil discards.
	Logf func(format string, args ...any)
}

// Reason classifies a refused handshake.
type Reason int

const (
	ReasonNone Reason = iota
	ReasonUnknownCA
	ReasonExpired
	ReasonBadCert
	ReasonNoSANIP
	ReasonNoCert
	ReasonTimeout
	ReasonClosed
	ReasonProtocol
	ReasonOverloaded
	numReasons
)

var reasonNames = [numReasons]string{"", "unknown_ca", "expired", "bad_certificate", "no_matching_san_ip", "no_certificate", "timeout", "closed", "protocol", "overloaded"}

func (r Reason) String() string { return reasonNames[r] }

// Stats are the server's counters; all are safe to read from any goroutine.
type Stats struct {
	Open          atomic.Int64  // TLS client connections open (established)
	Handshakes    atomic.Uint64 // handshakes completed
	Resumed       atomic.Uint64 // of which resumed a session
	StdMode       atomic.Uint64 // of which run on crypto/tls's record layer
	KTLS          atomic.Uint64 // connections handed to kernel TLS (both directions)
	KTLSFallbacks atomic.Uint64 // offloads the kernel refused (in-loop record layer kept)
	KTLSRXOnly    atomic.Uint64 // of which the kernel took RX but refused TX
	ToPlainOpened atomic.Uint64 // connections that negotiated tls_to_plain
	ToPlainClosed atomic.Uint64 // of which closed since
	Failures      atomic.Uint64
	ByReason      [numReasons]atomic.Uint64
	Reloads       atomic.Uint64
	ReloadFails   atomic.Uint64
	// Session-ticket seed file reloads (tickets.go).
	TicketReloads     atomic.Uint64
	TicketReloadFails atomic.Uint64
}

// StatNames lists the `stats` lines of s in order, with their values.
func (s *Stats) Each(f func(name string, v int64)) {
	f("num_ssl_client_connections", s.Open.Load())
	f("num_ssl_client_handshakes", int64(s.Handshakes.Load()))
	f("num_ssl_client_resumptions", int64(s.Resumed.Load()))
	f("num_ssl_client_std_record_layer", int64(s.StdMode.Load()))
	f("num_ssl_client_handshake_failures", int64(s.Failures.Load()))
	for r := ReasonUnknownCA; r < numReasons; r++ {
		f("num_ssl_client_handshake_failures_"+r.String(), int64(s.ByReason[r].Load()))
	}
	f("num_ssl_cert_reloads", int64(s.Reloads.Load()))
	f("num_ssl_cert_reload_failures", int64(s.ReloadFails.Load()))
	f("num_ssl_ticket_key_reloads", int64(s.TicketReloads.Load()))
	f("num_ssl_ticket_key_reload_failures", int64(s.TicketReloadFails.Load()))
	ktls := int64(0)
	if KTLSAvailable() {
		ktls = 1
	}
	f("ktls_available", ktls)
	f("num_ssl_ktls_connections", int64(s.KTLS.Load()))
	f("num_ssl_ktls_fallbacks", int64(s.KTLSFallbacks.Load()))
	f("num_ssl_ktls_rx_only", int64(s.KTLSRXOnly.Load()))
	f("num_tls_to_plain_client_connections_opened", int64(s.ToPlainOpened.Load()))
	f("num_tls_to_plain_client_connections_closed", int64(s.ToPlainClosed.Load()))
}

// Server holds the listener-side TLS state: the current certificate and
// CA (reloaded when their files change), the handshake worker pool and the
// counters. Accept is called on an event loop; everything else is safe from
// any goroutine.
type Server struct {
	opts  ServerOptions
	cfg   atomic.Pointer[tls.Config]
	stats Stats
	jobs  chan *Conn

	mu      sync.Mutex        // serialises load and ReloadTickets
	tickets ticketKeys        // under mu
	stamp   [sha256.Size]byte // hash of the files loaded; under mu

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	ktlsLogged atomic.Bool // a kTLS refusal was logged (ktls.go)

	// Test hooks: inotifyInit replaces inotify_init1 (nil: the real one);
	// armed, if set, is called after every check of watch with whether
	// inotify watches the files; checks counts watch's checks.
	inotifyInit func() (int, error)
	armed       func(inotify bool)
	checks      atomic.Uint64
}

// NewServer loads the certificate, key and CA and starts the handshake
// workers and the file watcher. Close stops them.
func NewServer(opts ServerOptions) (*Server, error) { return newServerHooked(opts, nil) }

// newServerHooked is NewServer; hook, if set, sets test hooks on the Server
// before anything starts.
func newServerHooked(opts ServerOptions, hook func(*Server)) (*Server, error) {
	if opts.CertFile == "" || opts.KeyFile == "" || opts.CAFile == "" {
		return nil, errors.New("tlsconn: server TLS needs a certificate, a key and a CA file")
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 8 * runtime.GOMAXPROCS(0)
	}
	if opts.Queue <= 0 {
		opts.Queue = 4096
	}
	if opts.ReloadInterval == 0 {
		opts.ReloadInterval = time.Second
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	s := &Server{opts: opts, jobs: make(chan *Conn, opts.Queue), stop: make(chan struct{})}
	if hook != nil {
		hook(s)
	}
	if err := s.initTickets(); err != nil {
		return nil, err
	}
	if _, err := s.load(); err != nil {
		return nil, err
	}
	for range opts.Workers {
		s.wg.Add(1)
		go s.worker()
	}
	if opts.ReloadInterval > 0 {
		s.wg.Add(1)
		go s.watch()
	}
	return s, nil
}

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Close stops the workers and the watcher. Handshakes under way fail.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}

// load reads the files and, if they changed, installs a new config. It
// reports whether it did.
func (s *Server) load() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	certPEM, err := os.ReadFile(s.opts.CertFile)
	if err != nil {
		return false, err
	}
	keyPEM, err := os.ReadFile(s.opts.KeyFile)
	if err != nil {
		return false, err
	}
	caPEM, err := os.ReadFile(s.opts.CAFile)
	if err != nil {
		return false, err
	}
	h := sha256.New()
	for _, b := range [][]byte{certPEM, {0}, keyPEM, {0}, caPEM} {
		h.Write(b)
	}
	var stamp [sha256.Size]byte
	h.Sum(stamp[:0])
	if s.cfg.Load() != nil && stamp == s.stamp {
		return false, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("tlsconn: %s, %s: %w", s.opts.CertFile, s.opts.KeyFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return false, fmt.Errorf("tlsconn: %s: no CA certificate", s.opts.CAFile)
	}
	cfg := &tls.Config{
		MinVersion:                  tls.VersionTLS12,
		Certificates:                []tls.Certificate{cert},
		ClientAuth:                  tls.RequestClientCert, // verified by verifyPeer
		ClientCAs:                   pool,                  // advertised to clients
		CurvePreferences:            []tls.CurveID{tls.X25519, tls.CurveP256},
		DynamicRecordSizingDisabled: true,
	}
	s.setTicketKeys(cfg)
	s.stamp = stamp
	s.cfg.Store(cfg)
	return true, nil
}

// watch re-reads the certificate, key, CA and ticket seed files when they
// may have changed (fswatch.Loop: at start, on an inotify event, on the
// backstop; every ReloadInterval without inotify) and reloads them; a
// random ticket key (no seed file) is rotated when due, on a timer set to
// that moment. A pair that fails to load (a key written before its
// certificate) keeps the old one and is tried again on the next event, or
// after ReloadInterval if none comes.
func (s *Server) watch() {
	defer s.wg.Done()
	paths := []string{s.opts.CertFile, s.opts.KeyFile, s.opts.CAFile}
	if s.opts.TicketSeedFile != "" {
		paths = append(paths, s.opts.TicketSeedFile)
	}
	var last string
	l := fswatch.Loop{
		Paths: func() []string { return paths },
		Poll:  s.opts.ReloadInterval,
		What:  "tls: certificate and ticket files",
		Logf:  s.opts.Logf,
		Init:  s.inotifyInit,
		Armed: s.armed,
		Check: func() time.Duration {
			s.checks.Add(1)
			again := s.checkTickets()
			if !s.checkCerts(&last) && (again == 0 || s.opts.ReloadInterval < again) {
				again = s.opts.ReloadInterval // retry the pair without an event
			}
			return again
		},
	}
	l.Run(s.stop)
}

// checkCerts reloads the certificate, key and CA if their size or mtime
// differ from last (and then their content), updating last once they load.
// It reports false when they changed but failed to load (watcher
// goroutine).
func (s *Server) checkCerts(last *string) bool {
	var b bytes.Buffer
	for _, f := range []string{s.opts.CertFile, s.opts.KeyFile, s.opts.CAFile} {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%d/%d;", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	if b.String() == *last {
		return true
	}
	changed, err := s.load()
	if err != nil {
		// A half-written pair fails to load: keep the old one and retry.
		s.stats.ReloadFails.Add(1)
		s.opts.Logf("tls: reload of %s: %v (keeping the previous certificate)", s.opts.CertFile, err)
		return false
	}
	*last = b.String()
	if changed {
		s.stats.Reloads.Add(1)
		s.opts.Logf("tls: reloaded certificate %s, key %s, CA %s", s.opts.CertFile, s.opts.KeyFile, s.opts.CAFile)
	}
	return true
}

// Reload checks the files now (tests; the watcher does it on its own).
func (s *Server) Reload() error {
	changed, err := s.load()
	if changed {
		s.stats.Reloads.Add(1)
	}
	return err
}

// refusal is a peer-certificate check that failed, with its reason.
type refusal struct {
	reason Reason
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }

// verifyPeer is mcrouter's cert-and-IP check: a presented leaf must chain
// to the CA and one of its SAN IP addresses must equal the peer's IP.
func verifyPeer(cs tls.ConnectionState, roots *x509.CertPool, peer netip.Addr, require bool) error {
	if len(cs.PeerCertificates) == 0 {
		if require {
			return &refusal{ReasonNoCert, errors.New("no client certificate")}
		}
		return nil
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			return &refusal{ReasonUnknownCA, err}
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			return &refusal{ReasonExpired, err}
		}
		return &refusal{ReasonBadCert, err}
	}
	for _, ip := range leaf.IPAddresses {
		if a, ok := netip.AddrFromSlice(ip); ok && a.Unmap() == peer.Unmap() {
			return nil
		}
	}
	if len(leaf.IPAddresses) == 0 {
		return &refusal{ReasonNoSANIP, fmt.Errorf("certificate %q has no SAN IP address", leaf.Subject.CommonName)}
	}
	return &refusal{ReasonNoSANIP, fmt.Errorf("certificate %q: no SAN IP address equals the peer's %s", leaf.Subject.CommonName, peer)}
}

func addrIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// Accept starts the server handshake of a connection accepted on a TLS
// port. Call it on the connection's event loop; wake must make the loop
// call the connection's Conn methods again soon (gnet's Conn.Wake), and is
// called from a worker goroutine. The Conn fails at once (Poll) if the
// handshake queue is full.
func (s *Server) Accept(local, remote net.Addr, wake func(), bufs *Buffers) *Conn {
	h := newHSConn(local, remote, wake)
	c := &Conn{srv: s, hs: h, bufs: bufs, mode: modeHandshake}
	h.queuedUntil = time.Now().Add(s.opts.HandshakeTimeout)
	select {
	case s.jobs <- c:
	default:
		h.reason, h.err, h.done = ReasonOverloaded, errors.New("handshake queue full"), true
		s.countFailure(ReasonOverloaded)
	}
	return c
}

// countFailure counts a refused handshake. It is counted where the
// handshake ends (the worker, or Accept for a full queue), not when the
// loop next polls: a client that reads the alert and closes at once may
// close the socket before the loop polls, and the failure must count all
// the same, under its real reason.
func (s *Server) countFailure(r Reason) {
	s.stats.Failures.Add(1)
	s.stats.ByReason[r].Add(1)
}

func (s *Server) worker() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case c := <-s.jobs:
			s.handshake(c)
		}
	}
}

// handshake runs one server handshake on a worker goroutine.
func (s *Server) handshake(c *Conn) {
	h := c.hs
	timer := time.NewTimer(time.Until(h.queuedUntil))
	defer timer.Stop()
	h.deadline = timer.C
	base := s.cfg.Load()
	cfg := base.Clone()
	cfg.KeyLogWriter = keyLog{h}
	peer := addrIP(h.remote)
	var ref *refusal
	require := s.opts.RequirePeerCerts
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if err := verifyPeer(cs, base.ClientCAs, peer, require); err != nil {
			ref, _ = err.(*refusal)
			return err
		}
		return nil
	}
	cfg.GetConfigForClient = toPlainConfig(cfg)
	tc := tls.Server(h, cfg)
	err := tc.Handshake()
	var reason Reason
	if err != nil {
		switch {
		case ref != nil:
			reason = ref.reason
		case errors.Is(err, errHandshakeTimeout):
			reason = ReasonTimeout
		case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
			reason = ReasonClosed
		default:
			reason = ReasonProtocol
		}
	} else {
		c.setup(tc)
	}
	if err != nil {
		s.countFailure(reason)
	}
	h.mu.Lock()
	h.err, h.reason, h.done = err, reason, true
	h.mu.Unlock()
	if h.wake != nil {
		h.wake()
	}
}
