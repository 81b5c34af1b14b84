package engine_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/tlsconn"
	"mcroute/tlsconn/tlstest"
)

// tlsProxy is an in-process mcroute with a plain and a TLS port.
type tlsProxy struct {
	Plain, TLS string
	E          *engine.Engine
	S          *tlsconn.Server
	pki        *testPKI
}

type testPKI struct {
	ca, ca2                       *tlstest.CA
	client, expired, other, wrong *tlstest.Leaf
	files                         tlstest.Files
	dir                           string
}

func newTestPKI(t testing.TB) *testPKI {
	p := &testPKI{ca: tlstest.NewCA(t, "ca"), ca2: tlstest.NewCA(t, "ca2"), dir: t.TempDir()}
	server := p.ca.Issue(t, "router", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	p.client = p.ca.Issue(t, "client", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	p.expired = p.ca.Issue(t, "expired", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	p.other = p.ca2.Issue(t, "stranger", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	p.wrong = p.ca.Issue(t, "elsewhere", []string{"10.9.8.7"}, time.Time{}, time.Time{})
	p.files = tlstest.WriteFiles(t, p.dir, "router", server, p.ca)
	return p
}

func (p *testPKI) clientConfig(cert *tlstest.Leaf) *tls.Config {
	cfg := &tls.Config{RootCAs: p.ca.Pool(), ServerName: "127.0.0.1"}
	if cert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert.TLS, nil }
	}
	return cfg
}

func startTLSProxy(t testing.TB, cfg string, sopts tlsconn.ServerOptions, opts engine.Options) *tlsProxy {
	t.Helper()
	p := newTestPKI(t)
	sopts.CertFile, sopts.KeyFile, sopts.CAFile = p.files.Cert, p.files.Key, p.files.CA
	if sopts.ReloadInterval == 0 {
		sopts.ReloadInterval = -1
	}
	sopts.Logf = t.Logf
	srv, err := tlsconn.NewServer(sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := router.Build("test.json", []byte(cfg), router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Addrs = []string{"127.0.0.1:" + strconv.Itoa(mctest.FreePort(t, "127.0.0.1"))}
	opts.TLSAddrs = []string{"127.0.0.1:" + strconv.Itoa(mctest.FreePort(t, "127.0.0.1"))}
	opts.TLS = srv
	opts.Logf = t.Logf
	if opts.NumLoops == 0 {
		opts.NumLoops = 2
	}
	e := engine.New(router.New(c), opts)
	done := make(chan error, 1)
	go func() { done <- e.Run() }()
	select {
	case <-e.Started():
	case err := <-done:
		t.Fatalf("engine did not start: %v", err)
	}
	for _, a := range []string{opts.Addrs[0], opts.TLSAddrs[0]} {
		if err := mctest.WaitListening(a, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
		<-done
	})
	return &tlsProxy{Plain: opts.Addrs[0], TLS: opts.TLSAddrs[0], E: e, S: srv, pki: p}
}

// exchange sends req and reads the reply up to its last line (END, a
// storage reply or an error).
func exchange(t testing.TB, rw io.ReadWriter, br *bufio.Reader, req, last string) string {
	t.Helper()
	if _, err := rw.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			t.Fatalf("%q: read: %v (after %q)", req, err, b.String())
		}
		if strings.HasPrefix(line, last) || strings.Contains(line, "ERROR") {
			return b.String()
		}
	}
}

var tlsScript = []struct{ req, last string }{
	{"set a 0 0 5\r\nhello\r\n", "STORED"},
	{"delete n\r\n", "NOT_FOUND"},
	{"get a\r\n", "END"},
	{"get a b c\r\n", "END"},
	{"set big 7 0 100000\r\n" + strings.Repeat("v", 100000) + "\r\n", "STORED"},
	{"get big\r\n", "END"},
	{"incr n 1\r\n", "NOT_FOUND"},
	{"delete a\r\n", "DELETED"},
	{"get a\r\n", "END"},
}

// TestTLSSameBytesAsPlain: a Go TLS client gets byte for byte the replies
// a plaintext client gets, through mcroute to a plain memcached, on TLS
// 1.3 (mcroute's record layer) and TLS 1.2 (crypto/tls in-loop).
func TestTLSSameBytesAsPlain(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{})
	for _, ver := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		plain, err := net.Dial("tcp", p.Plain)
		if err != nil {
			t.Fatal(err)
		}
		cfg := p.pki.clientConfig(p.pki.client)
		cfg.MaxVersion = ver
		tc, err := tls.Dial("tcp", p.TLS, cfg)
		if err != nil {
			t.Fatal(err)
		}
		pb, tb := bufio.NewReader(plain), bufio.NewReader(tc)
		// The script leaves the keys as it found them: run it whole on
		// one connection, then on the other.
		var want []string
		for _, s := range tlsScript {
			want = append(want, exchange(t, plain, pb, s.req, s.last))
		}
		for i, s := range tlsScript {
			if got := exchange(t, tc, tb, s.req, s.last); got != want[i] {
				t.Fatalf("v%x %.40q: TLS reply %.200q, plaintext %.200q", ver, s.req, got, want[i])
			}
		}
		// Pipelined: many requests in one write, replies in one read loop.
		var batch strings.Builder
		for i := range 200 {
			batch.WriteString("get k" + strconv.Itoa(i%7) + "\r\n")
		}
		if _, err := tc.Write([]byte(batch.String())); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			if line, err := tb.ReadString('\n'); err != nil || line != "END\r\n" {
				t.Fatalf("v%x pipelined: %q %v", ver, line, err)
			}
		}
		// A command mcroute does not know ends both connections the same way.
		wantBogus := exchange(t, plain, pb, "bogus\r\n", "ERROR")
		if got := exchange(t, tc, tb, "bogus\r\n", "ERROR"); got != wantBogus {
			t.Fatalf("v%x bogus: TLS %q, plaintext %q", ver, got, wantBogus)
		}
		if _, err := tb.ReadByte(); err != io.EOF {
			t.Fatalf("v%x: TLS connection not closed after a fatal error: %v", ver, err)
		}
		plain.Close()
		tc.Close()
	}
	st := stats(t, p.Plain)
	if st["num_ssl_client_handshakes"] != "2" || st["num_ssl_client_std_record_layer"] != "1" {
		t.Fatalf("stats: %v", st)
	}
}

// waitStat waits until stat name reads want: a refusal reaches the client
// as soon as the loop has sent the alert, a moment before it is counted.
func waitStat(t testing.TB, addr, name, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := stats(t, addr)[name]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stat %s = %q, want %q", name, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stats(t testing.TB, addr string) map[string]string {
	t.Helper()
	c := mctest.Dial(t, addr)
	out := map[string]string{}
	for _, line := range strings.Split(c.Do("stats\r\n"), "\r\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "STAT" {
			out[f[1]] = f[2]
		}
	}
	return out
}

// TestTLSPythonClient: Python's ssl module (OpenSSL) as the client.
func TestTLSPythonClient(t *testing.T) {
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
out = []
for ver in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    ctx.maximum_version = ver
    with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"set py 0 0 3\r\nabc\r\nget py\r\nget nope\r\n")
            buf = b""
            while not buf.endswith(b"END\r\nEND\r\n"):
                d = s.recv(65536)
                if not d: break
                buf += d
            out.append(s.version() + " " + repr(buf))
print("\n".join(out))
`
	out, err := exec.Command("python3", "-c", script, host, port, cl.CA, cl.Cert, cl.Key).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := `b'STORED\r\nVALUE py 0 3\r\nabc\r\nEND\r\nEND\r\n'`
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != "TLSv1.3 "+want || lines[1] != "TLSv1.2 "+want {
		t.Fatalf("python got:\n%s", out)
	}
}

// TestTLSRefusals: each refused handshake closes that connection, is
// counted by reason, and leaves an established connection working.
func TestTLSRefusals(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{RequirePeerCerts: true}, engine.Options{})
	good, err := tls.Dial("tcp", p.TLS, p.pki.clientConfig(p.pki.client))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	gb := bufio.NewReader(good)
	exchange(t, good, gb, "set g 0 0 1\r\nx\r\n", "STORED")
	cases := []struct {
		name   string
		cert   *tlstest.Leaf
		reason string
	}{
		{"unknown CA", p.pki.other, "unknown_ca"},
		{"expired", p.pki.expired, "expired"},
		{"wrong SAN IP", p.pki.wrong, "no_matching_san_ip"},
		{"no certificate", nil, "no_certificate"},
	}
	for _, tc := range cases {
		c, err := tls.Dial("tcp", p.TLS, p.pki.clientConfig(tc.cert))
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte("get g\r\n"))
			_, err = c.Read(make([]byte, 100))
			c.Close()
		}
		if err == nil {
			t.Fatalf("%s: served", tc.name)
		}
		waitStat(t, p.Plain, "num_ssl_client_handshake_failures_"+tc.reason, "1")
		if r := exchange(t, good, gb, "get g\r\n", "END"); r != "VALUE g 0 1\r\nx\r\nEND\r\n" {
			t.Fatalf("established connection disturbed: %q", r)
		}
	}
}

func expectClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("%s: not closed (read %q)", what, b)
	}
}

func TestTLSPortRefusesPlaintext(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{})
	c, err := net.Dial("tcp", p.TLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("get a\r\n"))
	expectClosed(t, c, "plaintext on the TLS port")
	waitStat(t, p.Plain, "num_ssl_client_handshake_failures_protocol", "1")
}

// TestPlainPortRefusesTLS: a ClientHello on the plain port is not a
// memcached command: mcroute answers an error and closes.
func TestPlainPortRefusesTLS(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{})
	for range 5 { // ClientHellos are random: some hold a '\n', some not
		raw, err := net.Dial("tcp", p.Plain)
		if err != nil {
			t.Fatal(err)
		}
		c := tls.Client(raw, p.pki.clientConfig(nil))
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if err := c.Handshake(); err == nil {
			t.Fatal("handshake succeeded on the plain port")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("TLS on the plain port: connection left open")
		}
		raw.Close()
	}
}

func TestTLSHandshakeTimeout(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{HandshakeTimeout: 300 * time.Millisecond}, engine.Options{})
	c, err := net.Dial("tcp", p.TLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, _ = c.Write([]byte{0x16, 3, 1, 0, 200, 1}) // a ClientHello that never ends
	expectClosed(t, c, "stalled handshake")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %v", d)
	}
	waitStat(t, p.Plain, "num_ssl_client_handshake_failures_timeout", "1")
}

// TestTLSCertReload: a certificate swapped on disk is what the next
// handshake presents; an established connection keeps working. With an
// hour's ReloadInterval only inotify can find the change (Linux).
func TestTLSCertReload(t *testing.T) {
	for _, interval := range []time.Duration{20 * time.Millisecond, time.Hour} {
		t.Run(interval.String(), func(t *testing.T) {
			if interval == time.Hour && runtime.GOOS != "linux" {
				t.Skip("no inotify")
			}
			testTLSCertReload(t, interval)
		})
	}
}

func testTLSCertReload(t *testing.T, interval time.Duration) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{ReloadInterval: interval}, engine.Options{})
	old, err := tls.Dial("tcp", p.TLS, p.pki.clientConfig(p.pki.client))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	ob := bufio.NewReader(old)
	exchange(t, old, ob, "get x\r\n", "END")
	next := p.pki.ca.Issue(t, "router-2", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	// Write the key first, then the certificate: a reload in between
	// fails to load the pair and keeps the old one.
	if err := os.WriteFile(p.pki.files.Key, next.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.pki.files.Cert, next.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := tls.Dial("tcp", p.TLS, p.pki.clientConfig(p.pki.client))
		if err != nil {
			t.Fatal(err)
		}
		cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName
		c.Close()
		if cn == "router-2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still presenting %q", cn)
		}
		time.Sleep(20 * time.Millisecond)
	}
	exchange(t, old, ob, "get x\r\n", "END")
	if stats(t, p.Plain)["num_ssl_cert_reloads"] == "0" {
		t.Fatal("reload not counted")
	}
}

// recordClient is a TLS 1.3 client whose record layer after the handshake
// is tlsconn's (so that it allocates nothing): crypto/tls does the
// handshake and its key log hands over the secrets.
type recordClient struct {
	raw  net.Conn
	c    *tlsconn.Conn
	bufs tlsconn.Buffers
	out  []byte
	in   []byte
}

type secrets struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *secrets) Write(b []byte) (int, error) {
	f := strings.Fields(string(b))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(f) == 3 {
		s.m[f[0]], _ = hex.DecodeString(f[2])
	}
	return len(b), nil
}

func dialRecordClient(t testing.TB, p *tlsProxy) *recordClient {
	raw, err := net.Dial("tcp", p.TLS)
	if err != nil {
		t.Fatal(err)
	}
	ks := &secrets{m: map[string][]byte{}}
	cfg := p.pki.clientConfig(p.pki.client)
	cfg.KeyLogWriter = ks
	cfg.MinVersion = tls.VersionTLS13
	cfg.CipherSuites = nil
	tc := tls.Client(raw, cfg) // no session cache: the server sends no ticket
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	rc := &recordClient{raw: raw, out: make([]byte, 0, 64<<10), in: make([]byte, 64<<10)}
	rc.c, err = tlsconn.NewRecordConn(true, tc.ConnectionState().CipherSuite,
		ks.m["SERVER_TRAFFIC_SECRET_0"], 0, ks.m["CLIENT_TRAFFIC_SECRET_0"], 0, &rc.bufs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return rc
}

// do sends req and reads exactly n bytes of reply into dst.
func (rc *recordClient) do(req []byte, n int) ([]byte, error) {
	rc.out = rc.c.Seal(rc.out[:0], req)
	if _, err := rc.raw.Write(rc.out); err != nil {
		return nil, err
	}
	for rc.c.Buffered() < n {
		k, err := rc.raw.Read(rc.in)
		if err != nil {
			return nil, err
		}
		for b := rc.in[:k]; len(b) > 0; {
			b = b[rc.c.Input(b):]
		}
		if err := rc.c.Err(); err != nil {
			return nil, err
		}
	}
	return rc.c.Plaintext()[:n], nil
}
