package engine_test

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/tlsconn"
	"mcroute/tlsconn/clienttest"
	"mcroute/tlsconn/tlstest"
)

// recordConn is a net.Conn whose reads stop at TLS record boundaries, so
// that a Go TLS client's handshake reads nothing past its last record: a
// test can then go on on the raw socket (tls_to_plain, a faked kTLS).
type recordConn struct {
	net.Conn
	hdr  [5]byte
	hdrN int
	left int
}

func (r *recordConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.left == 0 {
		n, err := r.Conn.Read(p[:min(len(p), 5-r.hdrN)])
		copy(r.hdr[r.hdrN:], p[:n])
		if r.hdrN += n; r.hdrN == 5 {
			r.hdrN, r.left = 0, int(binary.BigEndian.Uint16(r.hdr[3:]))
		}
		return n, err
	}
	n, err := r.Conn.Read(p[:min(len(p), r.left)])
	r.left -= n
	return n, err
}

// dialToPlain connects to mcroute's TLS port offering ALPN mc_tls_to_pt,
// and returns the raw socket once the handshake is done.
func dialToPlain(t testing.TB, p *tlsProxy, cert *tlstest.Leaf) (net.Conn, tls.ConnectionState) {
	t.Helper()
	raw, err := net.Dial("tcp", p.TLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	cfg := p.pki.clientConfig(cert)
	cfg.NextProtos = []string{tlsconn.ALPNToPlain, "rs"}
	tc := tls.Client(&recordConn{Conn: raw}, cfg)
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = raw.SetDeadline(time.Time{})
	return raw, tc.ConnectionState()
}

// TestTLSToPlainInbound: a client that negotiates mc_tls_to_pt on the TLS
// port (its certificate checked as for any TLS client) then speaks
// plaintext on the same socket and gets byte for byte what a plaintext
// client gets; counted opened and closed.
func TestTLSToPlainInbound(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{RequirePeerCerts: true}, engine.Options{})
	raw, st := dialToPlain(t, p, p.pki.client)
	if st.NegotiatedProtocol != tlsconn.ALPNToPlain || st.Version != tls.VersionTLS12 {
		t.Fatalf("ALPN %q, version %x", st.NegotiatedProtocol, st.Version)
	}
	plain, err := net.Dial("tcp", p.Plain)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	pb, rb := bufio.NewReader(plain), bufio.NewReader(raw)
	var want []string
	for _, s := range tlsScript {
		want = append(want, exchange(t, plain, pb, s.req, s.last))
	}
	for i, s := range tlsScript {
		if got := exchange(t, raw, rb, s.req, s.last); got != want[i] {
			t.Fatalf("%.40q: tls_to_plain reply %.200q, plaintext %.200q", s.req, got, want[i])
		}
	}
	var batch strings.Builder
	for i := range 200 {
		batch.WriteString("get k" + strconv.Itoa(i%7) + "\r\n")
	}
	if _, err := raw.Write([]byte(batch.String())); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if line, err := rb.ReadString('\n'); err != nil || line != "END\r\n" {
			t.Fatalf("pipelined: %q %v", line, err)
		}
	}
	waitStat(t, p.Plain, "num_tls_to_plain_client_connections_opened", "1")
	if n := p.E.TLSDirect(); n != 1 {
		t.Fatalf("%d connections went direct, want 1", n)
	}
	raw.Close()
	waitStat(t, p.Plain, "num_tls_to_plain_client_connections_closed", "1")
	waitStat(t, p.Plain, "num_ssl_client_connections", "0")

	// The certificate is still checked: a client whose certificate names
	// another IP is refused before any plaintext.
	c, err := net.Dial("tcp", p.TLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := p.pki.clientConfig(p.pki.wrong)
	cfg.NextProtos = []string{tlsconn.ALPNToPlain}
	tc := tls.Client(c, cfg)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err == nil {
		_, _ = c.Write([]byte("get a\r\n"))
		if n, err := c.Read(make([]byte, 64)); err == nil {
			t.Fatalf("wrong SAN IP accepted (read %d bytes)", n)
		}
	}
	waitStat(t, p.Plain, "num_ssl_client_handshake_failures_no_matching_san_ip", "1")
}

// TestTLSToPlainUpstream: mcroute A → mcroute B with security mech
// tls_to_plain: A's certificate passes B's cert-and-IP check, B's is
// verified against the CA, then both continue in plaintext; replies are
// those of a plain backend. A refused certificate is a connect error, as
// for ssl.
func TestTLSToPlainUpstream(t *testing.T) {
	m := mctest.StartMemcached(t)
	b := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{RequirePeerCerts: true}, engine.Options{})
	cl := tlstest.WriteFiles(t, b.pki.dir, "client", b.pki.client, b.pki.ca)
	wrong := tlstest.WriteFiles(t, b.pki.dir, "wrong", b.pki.wrong, b.pki.ca)
	server := b.TLS + ":ascii:tls_to_plain"
	before := strconv.FormatUint(tlsconn.ToPlainClient().Opened.Load(), 10) // process-wide
	a, lb := upstreamTLSProxy(t, tlsconn.ClientOptions{CAFile: cl.CA, CertFile: cl.Cert, KeyFile: cl.Key}, server)
	ref := mctest.StartMemcached(t) // the same script, through a plain path
	plain := startProxy(t, poolConfig(ref.Addr), engine.Options{NumLoops: 1}, router.Options{})
	pc, ac := mctest.Dial(t, plain.Addr), mctest.Dial(t, a.Addr)
	for i, req := range upstreamTLSScript {
		want, got := pc.Do(req), ac.Do(req)
		if got != want {
			t.Fatalf("request %d %.40q: via tls_to_plain %.200q, plain %.200q", i, req, got, want)
		}
	}
	waitStat(t, b.Plain, "num_tls_to_plain_client_connections_opened", "1")
	if st := stats(t, a.Addr); st["num_tls_to_plain_connections_opened"] == before {
		t.Errorf("A did not count the connection: %v", st["num_tls_to_plain_connections_opened"])
	}
	if st := ac.Do("stats servers\r\n"); !strings.Contains(st, "STAT "+server+":notcompressed-1000 ") {
		t.Errorf("stats servers: %q", st)
	}
	if l := lb.String(); l != "" {
		t.Errorf("unexpected log: %s", l)
	}

	// A's certificate names another IP: B refuses it, A fails the request
	// with a connect error.
	a2, _ := upstreamTLSProxy(t, tlsconn.ClientOptions{CAFile: wrong.CA, CertFile: wrong.Cert, KeyFile: wrong.Key}, server)
	if got := mctest.Dial(t, a2.Addr).Do("get k\r\n"); !strings.HasPrefix(got, "SERVER_ERROR") {
		t.Fatalf("refused certificate: %q", got)
	}
}

// TestTLSToPlainNotSelected: a server that does not select mc_tls_to_pt
// (memcached -Z) keeps the connection TLS; mcroute logs it and counts it
// as mcrouter does (num_tls_to_plain_fallback_failures).
func TestTLSToPlainNotSelected(t *testing.T) {
	pki := clienttest.New(t)
	m := mctest.StartMemcached(t, clienttest.MemcachedArgs(pki.Server, "", false)...)
	server := net.JoinHostPort("127.0.0.1", strconv.Itoa(m.Port)) + ":ascii:tls_to_plain"
	a, lb := upstreamTLSProxy(t, tlsconn.ClientOptions{CAFile: pki.CA}, server)
	before, _ := strconv.Atoi(stats(t, a.Addr)["num_tls_to_plain_fallback_failures"])
	c := mctest.Dial(t, a.Addr)
	if got := c.Do("set k 0 0 2\r\nhi\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := c.Do("get k\r\n"); got != "VALUE k 0 2\r\nhi\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	if l := lb.String(); !strings.Contains(l, "Failed to negotiate TLS to plaintext") {
		t.Errorf("log %q", l)
	}
	if n, _ := strconv.Atoi(stats(t, a.Addr)["num_tls_to_plain_fallback_failures"]); n <= before {
		t.Errorf("fallback not counted: %d → %d", before, n)
	}
}

// TestTLSToPlainPythonClient: OpenSSL (Python's ssl, as mcrouter's client
// uses OpenSSL) offers mc_tls_to_pt, gets it, and continues in plaintext
// on the socket; the handshake runs over memory BIOs so that the script
// sees exactly what crosses the socket.
func TestTLSToPlainPythonClient(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{RequirePeerCerts: true}, engine.Options{})
	cl := tlstest.WriteFiles(t, p.pki.dir, "client", p.pki.client, p.pki.ca)
	host, port, _ := net.SplitHostPort(p.TLS)
	script := `
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[3])
ctx.load_cert_chain(sys.argv[4], sys.argv[5])
ctx.check_hostname = False
ctx.set_alpn_protocols(["mc_tls_to_pt", "rs"])
raw = socket.create_connection((sys.argv[1], int(sys.argv[2])))
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out)
while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        raw.sendall(out.read())
        d = raw.recv(65536)
        if not d: sys.exit("closed during the handshake")
        inc.write(d)
raw.sendall(out.read())
if inc.pending: sys.exit("bytes after the handshake: %d" % inc.pending)
raw.sendall(b"set py 0 0 3\r\nabc\r\nget py\r\n")
buf = b""
while not buf.endswith(b"END\r\n"):
    d = raw.recv(65536)
    if not d: break
    buf += d
print(obj.version(), obj.selected_alpn_protocol(), repr(buf))
`
	out, err := exec.Command("python3", "-c", script, host, port, cl.CA, cl.Cert, cl.Key).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), `TLSv1.2 mc_tls_to_pt b'STORED\r\nVALUE py 0 3\r\nabc\r\nEND\r\n'`; got != want {
		t.Fatalf("python got %s, want %s", got, want)
	}
	waitStat(t, p.Plain, "num_tls_to_plain_client_connections_opened", "1")
}
