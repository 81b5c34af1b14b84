package tlsconn

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/tlsconn/tlstest"
)

// pki is the certificates of a test: a CA, the router's certificate for
// 127.0.0.1, and client certificates for each refusal case.
type pki struct {
	ca, ca2                            *tlstest.CA
	server, client, expired, other, ip *tlstest.Leaf
	noIP                               *tlstest.Leaf
	files                              tlstest.Files
}

func newPKI(t *testing.T) *pki {
	p := &pki{ca: tlstest.NewCA(t, "ca"), ca2: tlstest.NewCA(t, "other ca")}
	p.server = p.ca.Issue(t, "router", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	p.client = p.ca.Issue(t, "client", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	p.expired = p.ca.Issue(t, "expired", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	p.other = p.ca2.Issue(t, "stranger", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	p.ip = p.ca.Issue(t, "elsewhere", []string{"10.1.2.3"}, time.Time{}, time.Time{})
	p.noIP = p.ca.Issue(t, "noip", nil, time.Time{}, time.Time{})
	p.files = tlstest.WriteFiles(t, t.TempDir(), "router", p.server, p.ca)
	return p
}

func newServer(t *testing.T, p *pki, mod func(*ServerOptions)) *Server {
	o := ServerOptions{CertFile: p.files.Cert, KeyFile: p.files.Key, CAFile: p.files.CA, ReloadInterval: -1, Workers: 4}
	if mod != nil {
		mod(&o)
	}
	s, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// driver plays an event loop for one server Conn on a real socket: it
// feeds what arrives (cut by split) to Input and echoes the plaintext.
type driver struct {
	c      *Conn
	raw    net.Conn
	wake   chan struct{}
	split  func([]byte) [][]byte
	done   chan struct{}
	err    error
	reason Reason
}

func serve(t *testing.T, s *Server, raw net.Conn, split func([]byte) [][]byte, holdUntil <-chan struct{}) *driver {
	d := &driver{raw: raw, wake: make(chan struct{}, 1), split: split, done: make(chan struct{})}
	d.c = s.Accept(raw.LocalAddr(), raw.RemoteAddr(), func() {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}, &Buffers{})
	chunks := make(chan []byte, 1024)
	go func() {
		defer close(chunks)
		for {
			b := make([]byte, 64<<10)
			n, err := raw.Read(b)
			if n > 0 {
				chunks <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(d.done)
		defer raw.Close()
		defer d.c.Close()
		var pending []byte
		held := holdUntil
		for {
			if done, err := d.c.Poll(); done && err != nil {
				d.err, d.reason = err, d.c.Reason()
				_, _ = raw.Write(d.c.TakeOutput(nil))
				return
			}
			if held == nil {
				for _, p := range d.split(pending) {
					for len(p) > 0 {
						n := d.c.Input(p)
						p = p[n:]
						d.echo()
					}
				}
				pending = pending[:0]
			}
			d.echo()
			if out := d.c.TakeOutput(nil); len(out) > 0 {
				_, _ = raw.Write(out)
			}
			if d.c.Established() == false {
				if done, _ := d.c.Poll(); done && d.c.Err() != nil {
					d.err, d.reason = d.c.Err(), d.c.Reason()
					return
				}
			}
			select {
			case b, ok := <-chunks:
				if !ok {
					d.err = io.ErrUnexpectedEOF
					return
				}
				pending = append(pending, b...)
			case <-d.wake:
			case <-held:
				held = nil
			}
		}
	}()
	return d
}

func (d *driver) echo() {
	if !d.c.Established() || d.c.Buffered() == 0 {
		return
	}
	out := d.c.Seal(nil, d.c.Plaintext())
	d.c.Consume(-1)
	_, _ = d.raw.Write(out)
}

func whole(b []byte) [][]byte { return [][]byte{b} }

func bytewise(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func pair(t *testing.T) (client, server net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// keyLogger captures a client's secrets.
type keyLogger struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (k *keyLogger) Write(b []byte) (int, error) {
	f := strings.Fields(string(b))
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string][]byte{}
	}
	if len(f) == 3 {
		k.m[f[0]], _ = hex.DecodeString(f[2])
	}
	return len(b), nil
}

func clientConfig(p *pki, cert *tlstest.Leaf) *tls.Config {
	cfg := &tls.Config{RootCAs: p.ca.Pool(), ServerName: "127.0.0.1"}
	if cert != nil {
		// Present it whatever CAs the server names (a Go client would
		// otherwise send none for a certificate of another CA).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert.TLS, nil }
	}
	return cfg
}

func echoRoundTrip(t *testing.T, c *tls.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo of %q: %v", msg, err)
	}
	if string(got) != msg {
		t.Fatalf("echo: got %q, want %q", got, msg)
	}
}

// TestRecordLayerSplits runs an echo over the in-loop record layer and over
// crypto/tls in-loop (std), with TLS 1.3 and 1.2, input fed whole, byte by
// byte, and as several records in one Input.
func TestRecordLayerSplits(t *testing.T) {
	p := newPKI(t)
	for _, std := range []bool{false, true} {
		for _, ver := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			for name, split := range map[string]func([]byte) [][]byte{"whole": whole, "bytewise": bytewise} {
				s := newServer(t, p, func(o *ServerOptions) { o.StdRecordLayer = std })
				cr, sr := pair(t)
				d := serve(t, s, sr, split, nil)
				cc := clientConfig(p, p.client)
				cc.MaxVersion = ver
				c := tls.Client(cr, cc)
				if err := c.Handshake(); err != nil {
					t.Fatalf("std=%v v%x %s: handshake: %v", std, ver, name, err)
				}
				echoRoundTrip(t, c, "get foo\r\n")
				echoRoundTrip(t, c, strings.Repeat("x", 40000)) // several records
				// Several records in one write, then one Input.
				var b bytes.Buffer
				for i := range 5 {
					b.WriteString("set k" + string(rune('0'+i)) + " 0 0 1\r\nv\r\n")
				}
				echoRoundTrip(t, c, b.String())
				if want := ver == tls.VersionTLS13 && !std; d.c.InLoopRecordLayer() != want {
					t.Fatalf("std=%v v%x: InLoopRecordLayer=%v", std, ver, !want)
				}
				// close_notify ends the connection with io.EOF.
				_ = c.Close()
				<-d.done
				if !errors.Is(d.err, io.EOF) {
					t.Fatalf("std=%v v%x %s: after close_notify: %v", std, ver, name, d.err)
				}
			}
		}
	}
}

// TestPiledRecords holds the server's input until the client has sent
// several records, so that they arrive in one Input.
func TestPiledRecords(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p, nil)
	cr, sr := pair(t)
	d := serve(t, s, sr, whole, nil)
	c := tls.Client(cr, clientConfig(p, p.client))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	_ = d
	var want bytes.Buffer
	for i := range 20 {
		m := strings.Repeat(string(rune('a'+i)), 100+i)
		want.WriteString(m)
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, want.Len())
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, err %v", len(got), err)
	}
}

// TestKeyUpdate sends a hand-made KeyUpdate(update_requested) from the
// client's side (no TLS library triggers one on demand), then application
// data under the client's next key: the server must read it, answer with
// its own KeyUpdate, and seal the echo under its next key, which the Go
// client reads.
func TestKeyUpdate(t *testing.T) {
	p := newPKI(t)
	for _, std := range []bool{false, true} {
		s := newServer(t, p, func(o *ServerOptions) { o.StdRecordLayer = std })
		cr, sr := pair(t)
		serve(t, s, sr, bytewise, nil)
		kl := &keyLogger{}
		cc := clientConfig(p, p.client)
		cc.KeyLogWriter = kl
		c := tls.Client(cr, cc)
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		echoRoundTrip(t, c, "one")
		kl.mu.Lock()
		secret := kl.m["CLIENT_TRAFFIC_SECRET_0"]
		kl.mu.Unlock()
		hc, err := newHalfConn(c.ConnectionState().CipherSuite, secret, 1) // "one" was record 0
		if err != nil {
			t.Fatal(err)
		}
		raw := hc.sealControl(nil, typeHandshake, []byte{msgKeyUpdate, 0, 0, 1, 1})
		if err := hc.update(); err != nil {
			t.Fatal(err)
		}
		var sl sealer
		sl.begin(hc, raw)
		sl.write([]byte("two"))
		raw = sl.end()
		if _, err := cr.Write(raw); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 3)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "two" {
			t.Fatalf("std=%v: after KeyUpdate: %q, %v", std, got, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	p := newPKI(t)
	cases := []struct {
		name    string
		cert    *tlstest.Leaf
		require bool
		want    Reason
	}{
		{"unknown CA", p.other, false, ReasonUnknownCA},
		{"expired", p.expired, false, ReasonExpired},
		{"wrong SAN IP", p.ip, false, ReasonNoSANIP},
		{"no SAN IP", p.noIP, false, ReasonNoSANIP},
		{"no cert, required", nil, true, ReasonNoCert},
		{"no cert, not required", nil, false, ReasonNone},
		{"good cert, required", p.client, true, ReasonNone},
	}
	for _, tc := range cases {
		for _, ver := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			s := newServer(t, p, func(o *ServerOptions) { o.RequirePeerCerts = tc.require })
			cr, sr := pair(t)
			d := serve(t, s, sr, whole, nil)
			cc := clientConfig(p, tc.cert)
			cc.MaxVersion = ver
			c := tls.Client(cr, cc)
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			err := c.Handshake()
			if err == nil {
				// TLS 1.3: the client finishes before the server checks its
				// certificate; the refusal shows on the first read.
				_, _ = c.Write([]byte("x"))
				_, err = c.Read(make([]byte, 1))
			}
			if tc.want == ReasonNone {
				if err != nil {
					t.Fatalf("%s v%x: %v", tc.name, ver, err)
				}
				_ = c.Close()
				<-d.done
				continue
			}
			if err == nil {
				t.Fatalf("%s v%x: accepted", tc.name, ver)
			}
			<-d.done
			if d.reason != tc.want {
				t.Fatalf("%s v%x: reason %v (%v), want %v", tc.name, ver, d.reason, d.err, tc.want)
			}
			if s.Stats().ByReason[tc.want].Load() != 1 || s.Stats().Failures.Load() != 1 {
				t.Fatalf("%s: stats not counted", tc.name)
			}
		}
	}
}

func TestPlaintextRefused(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p, nil)
	cr, sr := pair(t)
	d := serve(t, s, sr, whole, nil)
	_, _ = cr.Write([]byte("get foo\r\n"))
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		t.Fatal("plaintext on a TLS connection not refused")
	}
	if d.reason != ReasonProtocol {
		t.Fatalf("reason %v (%v)", d.reason, d.err)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p, func(o *ServerOptions) { o.HandshakeTimeout = 200 * time.Millisecond })
	cr, sr := pair(t)
	d := serve(t, s, sr, whole, nil)
	_, _ = cr.Write([]byte{0x16, 3, 1}) // a record header, never finished
	start := time.Now()
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		t.Fatal("stalled handshake not closed")
	}
	if d.reason != ReasonTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("reason %v after %v", d.reason, time.Since(start))
	}
}

func TestOverloaded(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p, func(o *ServerOptions) { o.Workers, o.Queue = 1, 1; o.HandshakeTimeout = time.Second })
	// One handshake stalls in the worker, one waits in the queue: the third
	// is refused at once.
	var cs []*Conn
	for range 3 {
		_, sr := pair(t)
		cs = append(cs, s.Accept(sr.LocalAddr(), sr.RemoteAddr(), nil, nil))
		time.Sleep(50 * time.Millisecond)
	}
	if done, err := cs[2].Poll(); !done || err == nil || cs[2].Reason() != ReasonOverloaded {
		t.Fatalf("third handshake: %v %v %v", done, err, cs[2].Reason())
	}
	for _, c := range cs {
		c.Close()
	}
}

func TestResumption(t *testing.T) {
	p := newPKI(t)
	for _, certFor := range []*tlstest.Leaf{nil, p.client} {
		testResumption(t, p, certFor)
	}
}

func testResumption(t *testing.T, p *pki, certFor *tlstest.Leaf) {
	s := newServer(t, p, nil)
	cache := tls.NewLRUClientSessionCache(4)
	for i := range 2 {
		cr, sr := pair(t)
		serve(t, s, sr, whole, nil)
		cc := clientConfig(p, certFor)
		cc.ClientSessionCache = cache
		c := tls.Client(cr, cc)
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		echoRoundTrip(t, c, "hello") // reads the ticket
		if got := c.ConnectionState().DidResume; got != (i == 1) {
			t.Fatalf("connection %d: DidResume=%v", i, got)
		}
	}
	if s.Stats().Resumed.Load() != 1 {
		t.Fatalf("resumed count %d", s.Stats().Resumed.Load())
	}
}
