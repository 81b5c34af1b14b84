package tlsconn

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestToPlainServer: a client offering ALPN mc_tls_to_pt gets it, over TLS
// 1.2, and the same socket then carries plaintext both ways, starting with
// what the client sent right behind its Finished; nothing of TLS follows
// the handshake. Counted opened and closed.
func TestToPlainServer(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p, nil)
	cr, sr := pair(t)
	l := newLoopConn(t, s, sr)
	cc := clientConfig(p, p.client)
	cc.NextProtos = []string{ALPNToPlain, "rs"}
	c := tls.Client(&recordConn{Conn: cr}, cc)
	errc := make(chan error, 1)
	go func() {
		err := c.Handshake()
		if err == nil {
			// Plaintext right behind the handshake, before the server is
			// done with it.
			_, err = cr.Write([]byte("get early\r\n"))
		}
		errc <- err
	}()
	l.handshake()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	st := c.ConnectionState()
	if st.NegotiatedProtocol != ALPNToPlain || st.Version != tls.VersionTLS12 || !l.c.ToPlain() || !l.c.Passthrough() {
		t.Fatalf("ALPN %q, version %x, ToPlain %v", st.NegotiatedProtocol, st.Version, l.c.ToPlain())
	}
	if len(st.PeerCertificates) == 0 || len(l.c.State().PeerCertificates) == 0 {
		t.Fatal("certificates not exchanged")
	}
	l.readN(len("get early\r\n"))
	l.feed(-1)
	if got := l.plain(); got != "get early\r\n" {
		t.Fatalf("server read %q", got)
	}
	if got := l.c.OffloadKTLS(7, 0, 0); got != OffloadNever {
		t.Fatalf("kTLS on a tls_to_plain connection: %v", got)
	}
	_, _ = l.raw.Write(l.c.Seal(nil, []byte("END\r\n")))
	got := make([]byte, 5)
	_ = cr.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(cr, got); err != nil || string(got) != "END\r\n" {
		t.Fatalf("client read %q %v", got, err)
	}
	if len(l.c.CloseNotify(nil)) != 0 {
		t.Fatal("close_notify on a tls_to_plain connection")
	}
	if s.Stats().ToPlainOpened.Load() != 1 {
		t.Fatal("not counted")
	}
	l.c.Close()
	if s.Stats().ToPlainClosed.Load() != 1 {
		t.Fatal("close not counted")
	}
}

// TestToPlainServerOtherALPN: clients that do not offer mc_tls_to_pt stay
// TLS (1.3 included), with no ALPN selected, and are not refused for
// offering protocols mcroute does not speak.
func TestToPlainServerOtherALPN(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p, nil)
	for _, protos := range [][]string{nil, {"rs"}, {"h2", "http/1.1"}} {
		c, l := ktlsClient(t, p, s, tls.VersionTLS13, func(c *tls.Config) { c.NextProtos = protos })
		if st := c.ConnectionState(); st.NegotiatedProtocol != "" || st.Version != tls.VersionTLS13 || l.c.ToPlain() || l.c.Passthrough() {
			t.Fatalf("%v: ALPN %q version %x", protos, st.NegotiatedProtocol, st.Version)
		}
	}
	if s.Stats().ToPlainOpened.Load() != 0 {
		t.Fatal("counted")
	}
}

// TestToPlainClient: HandshakeToPlain continues in plaintext when the
// server selects mc_tls_to_pt, and stays TLS (the returned Client works)
// when it does not; verification is as for ssl.
func TestToPlainClient(t *testing.T) {
	p := newPKI(t)
	cc, err := NewClientConfig(ClientOptions{CAFile: p.files.CA})
	if err != nil {
		t.Fatal(err)
	}
	opened, not := toPlainClient.Opened.Load(), toPlainClient.NotSelected.Load()

	// mcroute's own server selects it.
	s := newServer(t, p, nil)
	cr, sr := pair(t)
	l := newLoopConn(t, s, sr)
	type res struct {
		c     *Client
		plain bool
		err   error
	}
	resc := make(chan res, 1)
	go func() {
		c, plain, err := cc.HandshakeToPlain(cr, "127.0.0.1", cr.RemoteAddr().String(), time.Now().Add(5*time.Second))
		resc <- res{c, plain, err}
	}()
	l.handshake()
	r := <-resc
	if r.err != nil || !r.plain || r.c != nil {
		t.Fatalf("selected: %+v", r)
	}
	if _, err := cr.Write([]byte("version\r\n")); err != nil {
		t.Fatal(err)
	}
	l.readN(9)
	l.feed(-1)
	if got := l.plain(); got != "version\r\n" {
		t.Fatalf("server read %q", got)
	}
	if toPlainClient.Opened.Load() != opened+1 {
		t.Fatal("not counted")
	}

	// A server without ALPN: the session stays TLS.
	cert, err := tls.LoadX509KeyPair(p.files.Cert, p.files.Key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				_, _ = io.WriteString(c, "echo "+line)
			}()
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c, plain, err := cc.HandshakeToPlain(nc, "127.0.0.1", ln.Addr().String(), time.Now().Add(5*time.Second))
	if err != nil || plain || c == nil {
		t.Fatalf("not selected: %v %v", plain, err)
	}
	if st := c.ConnectionState(); st.Version != tls.VersionTLS12 {
		t.Fatalf("version %x", st.Version)
	}
	if err := c.Seal([]byte("hi\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(c.Out()); err != nil {
		t.Fatal(err)
	}
	c.Sent()
	buf := make([]byte, 4096)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for !strings.Contains(string(c.Plain()), "\n") {
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Open(buf[:n])
	}
	if got := string(c.Plain()); got != "echo hi\r\n" {
		t.Fatalf("TLS reply %q", got)
	}
	if toPlainClient.NotSelected.Load() != not+1 {
		t.Fatal("stayed TLS: not counted")
	}

	// A server whose certificate does not name the host: a
	// HandshakeError, as for ssl (a fresh ClientConfig: its tls.Configs
	// are per address).
	bad, err := NewClientConfig(ClientOptions{CAFile: p.files.CA})
	if err != nil {
		t.Fatal(err)
	}
	nc2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	_, _, err = bad.HandshakeToPlain(nc2, "localhost", ln.Addr().String(), time.Now().Add(5*time.Second))
	var he *HandshakeError
	if !errors.As(err, &he) || he.Timeout() || !strings.Contains(err.Error(), "localhost") {
		t.Fatalf("a certificate for 127.0.0.1 checked for localhost: %v", err)
	}
}
