package tlsconn

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/tlsconn/clienttest"
)

// The tests in this file play the server's record layer themselves, so
// that they decide every record the Client receives: the handshake is a
// real one (crypto/tls's server over loopback, its secrets taken from its
// key log), then the test seals with its own halfConns (peer).

// peer is the server side of one session after its handshake.
type peer struct {
	suite   uint16
	tickets []byte // the NewSessionTicket records crypto/tls's server sent
	rx, tx  *halfConn
	scratch []byte
}

// recordingConn remembers what the server wrote.
type recordingConn struct {
	net.Conn
	mu   sync.Mutex
	sent []byte
}

func (r *recordingConn) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.sent = append(r.sent, b...)
	r.mu.Unlock()
	return r.Conn.Write(b)
}

// tlsPeer is a TLS server on loopback whose sessions the test continues.
type tlsPeer struct {
	addr  string
	certs *clienttest.Certs
	done  chan peerResult
}

type peerResult struct {
	sent    []byte
	secrets map[string][]byte
	err     error
}

func newTLSPeer(t testing.TB, mod func(*tls.Config)) *tlsPeer {
	t.Helper()
	certs := clienttest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tp := &tlsPeer{addr: ln.Addr().String(), certs: certs, done: make(chan peerResult, 1)}
	var mu sync.Mutex
	var conns []net.Conn // kept open until the test ends
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	// One key for all sessions, so that reconnects resume.
	key := [32]byte{1, 2, 3}
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			kl := &keyLogger{}
			cfg := &tls.Config{Certificates: []tls.Certificate{certs.Server.TLS}, KeyLogWriter: kl, SessionTicketKey: key}
			if mod != nil {
				mod(cfg)
			}
			mu.Lock()
			conns = append(conns, raw)
			mu.Unlock()
			rc := &recordingConn{Conn: raw}
			err = tls.Server(rc, cfg).Handshake()
			rc.mu.Lock()
			kl.mu.Lock()
			tp.done <- peerResult{sent: rc.sent, secrets: kl.m, err: err}
			kl.mu.Unlock()
			rc.mu.Unlock()
		}
	}()
	return tp
}

// dial runs the Client's handshake with tp and returns the Client and the
// peer that continues the server's side.
func (tp *tlsPeer) dial(t testing.TB, cc *ClientConfig) (*Client, *peer) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", tp.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c, err := cc.Handshake(nc, "127.0.0.1", tp.addr, time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r := <-tp.done
	if r.err != nil {
		t.Fatal(r.err)
	}
	suite := c.ConnectionState().CipherSuite
	if c.ConnectionState().Version != tls.VersionTLS13 {
		return c, nil
	}
	p := &peer{suite: suite}
	// The records of what the server wrote that open under its
	// application key are the tickets it sent after its Finished.
	probe := mustHalf(t, suite, r.secrets["SERVER_TRAFFIC_SECRET_0"], 0)
	for b := r.sent; len(b) >= recordHeader; {
		n := recordLen(b)
		seq := probe.seq
		if _, _, err := probe.open(nil, b[:n]); err == nil {
			p.tickets = append(p.tickets, b[:n]...)
		} else {
			probe.seq = seq
		}
		b = b[n:]
	}
	p.tx = mustHalf(t, suite, r.secrets["SERVER_TRAFFIC_SECRET_0"], probe.seq)
	p.rx = mustHalf(t, suite, r.secrets["CLIENT_TRAFFIC_SECRET_0"], 0)
	return c, p
}

func mustHalf(t testing.TB, suite uint16, secret []byte, seq uint64) *halfConn {
	t.Helper()
	hc, err := newHalfConn(suite, secret, seq)
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

// data seals application data (one record per 16 KiB).
func (p *peer) data(s string) []byte {
	var sl sealer
	sl.begin(p.tx, nil)
	sl.write([]byte(s))
	return sl.end()
}

func (p *peer) keyUpdate(requested bool) []byte {
	var r byte
	if requested {
		r = 1
	}
	b := p.tx.sealControl(nil, typeHandshake, []byte{msgKeyUpdate, 0, 0, 1, r})
	if err := p.tx.update(); err != nil {
		panic(err)
	}
	return b
}

func (p *peer) alert(desc byte) []byte {
	level := byte(2)
	if desc == 0 {
		level = 1
	}
	return p.tx.sealControl(nil, typeAlert, []byte{level, desc})
}

// read opens what the client sent: application data is returned, a
// KeyUpdate moves the read key on.
func (p *peer) read(b []byte) (string, error) {
	var got []byte
	for len(b) > 0 {
		n := recordLen(b)
		if n > len(b) {
			return string(got), errors.New("partial record from the client")
		}
		out, typ, err := p.rx.open(p.scratch[:0], b[:n])
		if err != nil {
			return string(got), err
		}
		b = b[n:]
		switch typ {
		case typeAppData:
			got = append(got, out...)
		case typeHandshake:
			if !bytes.Equal(out, keyUpdateNotRequested[:]) {
				return string(got), errors.New("unexpected handshake message from the client")
			}
			if err := p.rx.update(); err != nil {
				return string(got), err
			}
		default:
			return string(got), errors.New("unexpected record type from the client")
		}
	}
	return string(got), nil
}

// seal has c seal req and checks that the peer reads it.
func sealTo(t *testing.T, c *Client, p *peer, req string) {
	t.Helper()
	if err := c.Seal([]byte(req)); err != nil {
		t.Fatal(err)
	}
	got, err := p.read(c.Out())
	c.Sent()
	if err != nil || got != req {
		t.Fatalf("peer read %q, %v; want %q", got, err, req)
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// TestClientSwitchSplits: the records that follow the handshake (the
// server's ticket, then replies), cut in two at every byte, give the
// replies; the Client ends on its own record layer with both sequence
// numbers right (a request sealed by crypto/tls before the switch, one by
// the Client after, both read by the server); and each connection's
// ticket reached the session cache, so the next one resumes.
func TestClientSwitchSplits(t *testing.T) {
	tp := newTLSPeer(t, nil)
	cc, err := NewClientConfig(ClientOptions{CAFile: tp.certs.CA})
	if err != nil {
		t.Fatal(err)
	}
	const want = "VALUE a 0 1\r\nx\r\nEND\r\nSTORED\r\n"
	var n int
	for i := 0; i == 0 || i <= n; i++ {
		c, p := tp.dial(t, cc)
		if i > 0 && !c.ConnectionState().DidResume {
			t.Fatalf("split %d: did not resume (the ticket did not reach the cache)", i)
		}
		if len(p.tickets) == 0 {
			t.Fatal("the server sent no ticket")
		}
		sealTo(t, c, p, "get a\r\nset b 0 0 1\r\ny\r\n") // crypto/tls's, before the switch
		stream := cat(p.tickets, p.data("VALUE a 0 1\r\nx\r\nEND\r\n"), p.data("STORED\r\n"))
		n = len(stream)
		for _, part := range [][]byte{stream[:i], stream[i:]} {
			if err := c.Open(part); err != nil {
				t.Fatalf("split %d: %v", i, err)
			}
			if len(c.Out()) > 0 {
				t.Fatalf("split %d: unexpected output", i)
			}
		}
		if string(c.Plain()) != want {
			t.Fatalf("split %d: %q, want %q", i, c.Plain(), want)
		}
		if !c.InLoopRecordLayer() {
			t.Fatalf("split %d: still on crypto/tls", i)
		}
		c.Consume(len(want))
		sealTo(t, c, p, "get b\r\n") // ours, after it
		if err := c.Open(p.data("END\r\n")); err != nil || string(c.Plain()) != "END\r\n" {
			t.Fatalf("split %d: after the switch: %q, %v", i, c.Plain(), err)
		}
	}
}

// TestClientSwitchChoice: which sessions move to the own record layer.
func TestClientSwitchChoice(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  uint16
		std  bool
		want bool
	}{
		{"TLS 1.3", tls.VersionTLS13, false, true},
		{"TLS 1.3 StdRecordLayer", tls.VersionTLS13, true, false},
		{"TLS 1.2", tls.VersionTLS12, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTLSPeer(t, func(c *tls.Config) { c.MaxVersion = tc.max })
			cc, err := NewClientConfig(ClientOptions{CAFile: tp.certs.CA, StdRecordLayer: tc.std})
			if err != nil {
				t.Fatal(err)
			}
			c, p := tp.dial(t, cc)
			if p == nil {
				if c.mode != clientStd {
					t.Fatal("TLS 1.2 session not on crypto/tls")
				}
				return
			}
			if err := c.Open(cat(p.tickets, p.data("hi"))); err != nil || string(c.Plain()) != "hi" {
				t.Fatalf("%q, %v", c.Plain(), err)
			}
			if c.InLoopRecordLayer() != tc.want {
				t.Fatalf("InLoopRecordLayer = %v, want %v", c.InLoopRecordLayer(), tc.want)
			}
		})
	}
}

// TestClientKeyUpdateBeforeSwitch: a KeyUpdate before the first reply
// leaves the session to crypto/tls, which answers it; the reply after it
// (under the server's next key) is read, and the requests after it are
// sealed under the client's next key. Whole and byte by byte.
func TestClientKeyUpdateBeforeSwitch(t *testing.T) {
	tp := newTLSPeer(t, nil)
	cc, err := NewClientConfig(ClientOptions{CAFile: tp.certs.CA})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{1 << 20, 1} {
		c, p := tp.dial(t, cc)
		stream := cat(p.tickets, p.keyUpdate(true), p.data("after"))
		var out []byte
		for off := 0; off < len(stream); off += step {
			if err := c.Open(stream[off:min(off+step, len(stream))]); err != nil {
				t.Fatal(err)
			}
			out = append(out, c.Out()...)
			c.Sent()
		}
		if string(c.Plain()) != "after" || c.InLoopRecordLayer() {
			t.Fatalf("step %d: %q, own record layer %v", step, c.Plain(), c.InLoopRecordLayer())
		}
		if got, err := p.read(out); err != nil || got != "" { // the KeyUpdate answer
			t.Fatalf("step %d: answer: %q, %v", step, got, err)
		}
		sealTo(t, c, p, "next")
		if err := c.Open(p.data("more")); err != nil || string(c.Plain()) != "aftermore" {
			t.Fatalf("step %d: %q, %v", step, c.Plain(), err)
		}
	}
}

// recordPair is a Client already on its own record layer and its peer,
// from made-up secrets: no handshake, so that a test can make many.
func recordPair(t testing.TB) (*Client, *peer) {
	return recordPairSuite(t, tls.TLS_AES_128_GCM_SHA256)
}

func recordPairSuite(t testing.TB, suite uint16) (*Client, *peer) {
	h, _, _ := suiteHash(suite)
	size := h().Size()
	s2c, c2s := bytes.Repeat([]byte{7}, size), bytes.Repeat([]byte{9}, size)
	c := &Client{mode: clientRecord, rx: mustHalf(t, suite, s2c, 3), tx: mustHalf(t, suite, c2s, 1), plain: make([]byte, 0, plainChunk)}
	p := &peer{suite: suite, tx: mustHalf(t, suite, s2c, 3), rx: mustHalf(t, suite, c2s, 1)}
	return c, p
}

// TestClientRecordSplits: on the own record layer, a stream of several
// records (replies, a ticket, a KeyUpdate with update_requested, replies
// under the next key, close_notify), cut in two at every byte and fed
// byte by byte, gives the replies and io.EOF; the KeyUpdate is answered
// once, and what the Client seals afterwards opens under its next key.
func TestClientRecordSplits(t *testing.T) {
	for _, suite := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384} {
		t.Run(tls.CipherSuiteName(suite), func(t *testing.T) { testClientRecordSplits(t, suite) })
	}
}

func testClientRecordSplits(t *testing.T, suite uint16) {
	_, p := recordPairSuite(t, suite)
	ticket := []byte{msgNewSessionTicket, 0, 0, 14, 0, 0, 0, 60, 1, 2, 3, 4, 0, 0, 1, 9, 0, 0}
	stream := cat(p.data("VALUE a 0 1\r\nx\r\n"), p.data("END\r\n"),
		p.tx.sealControl(nil, typeHandshake, ticket),
		p.keyUpdate(true), p.data("STORED\r\n"), p.alert(0))
	const want = "VALUE a 0 1\r\nx\r\nEND\r\nSTORED\r\n"
	check := func(name string, parts [][]byte) {
		t.Helper()
		c, p := recordPairSuite(t, suite)
		var err error
		var out []byte
		for _, b := range parts {
			err = c.Open(b) // after EOF, EOF again
			out = append(out, c.Out()...)
			c.Sent()
		}
		if err != io.EOF || string(c.Plain()) != want {
			t.Fatalf("%s: %q, %v; want %q, EOF", name, c.Plain(), err, want)
		}
		// The answer, then a request under the next key.
		if got, err := p.read(out); err != nil || got != "" {
			t.Fatalf("%s: answer %q, %v", name, got, err)
		}
		if p.rx.seq != 0 {
			t.Fatalf("%s: the peer did not see one KeyUpdate", name)
		}
		sealTo(t, c, p, "get z\r\n")
	}
	check("bytewise", splitEvery(stream, 1))
	for i := 0; i <= len(stream); i++ {
		check("split", [][]byte{stream[:i], stream[i:]})
	}
}

func splitEvery(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		k := min(n, len(b))
		out = append(out, b[:k])
		b = b[k:]
	}
	return out
}

// TestClientRecordBig: replies larger than a record, in whole records and
// cut at a few awkward sizes, come back intact.
func TestClientRecordBig(t *testing.T) {
	_, p := recordPair(t)
	big := strings.Repeat("0123456789abcdef", 5000) // 80 000 bytes: 5 records
	stream := p.data(big)
	for _, step := range []int{len(stream), 1, 5, 4096, maxPlaintext + 21, maxPlaintext + recordHeader + gcmTag + 1} {
		c, _ := recordPair(t)
		for _, b := range splitEvery(stream, step) {
			if err := c.Open(b); err != nil {
				t.Fatal(err)
			}
		}
		if string(c.Plain()) != big {
			t.Fatalf("step %d: %d bytes, want %d", step, len(c.Plain()), len(big))
		}
	}
}

// TestClientRecordErrors: what breaks a session on the own record layer.
func TestClientRecordErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream func(p *peer) []byte
		want   string
	}{
		{"bad MAC", func(p *peer) []byte { b := p.data("hello"); b[7] ^= 1; return b }, "bad record MAC"},
		{"alert", func(p *peer) []byte { return p.alert(42) }, "remote error: tls: bad certificate"},
		{"replayed record", func(p *peer) []byte { b := p.data("x"); return cat(b, b) }, "bad record MAC"},
		{"plaintext record", func(*peer) []byte { return []byte{typeHandshake, 3, 3, 0, 1, 0} }, "bad record"},
		{"too big", func(*peer) []byte { return []byte{typeAppData, 3, 3, 0xff, 0xff} }, "record overflow"},
		{"unknown message", func(p *peer) []byte { return p.tx.sealControl(nil, typeHandshake, []byte{13, 0, 0, 0}) }, "unexpected"},
		{"split message", func(p *peer) []byte { return p.tx.sealControl(nil, typeHandshake, []byte{msgKeyUpdate, 0, 0}) }, "unexpected"},
		{"message after KeyUpdate", func(p *peer) []byte {
			return p.tx.sealControl(nil, typeHandshake, []byte{msgKeyUpdate, 0, 0, 1, 0, msgKeyUpdate, 0, 0, 1, 0})
		}, "unexpected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, p := recordPair(t)
			err := c.Open(tc.stream(p))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if err2 := c.Open(p.data("later")); err2 != err {
				t.Fatalf("not sticky: %v then %v", err, err2)
			}
			if c.Seal([]byte("x")) == nil {
				t.Fatal("Seal on a broken session succeeded")
			}
		})
	}
	// A user_canceled warning is ignored; sealing after close_notify works.
	c, p := recordPair(t)
	if err := c.Open(cat(p.tx.sealControl(nil, typeAlert, []byte{1, 90}), p.data("ok"), p.alert(0))); err != io.EOF || string(c.Plain()) != "ok" {
		t.Fatalf("%q, %v", c.Plain(), err)
	}
	sealTo(t, c, p, "bye")
}

// TestClientShadowEnds: before the switch, close_notify and other alerts
// go to crypto/tls, which reports them as it always did.
func TestClientShadowEnds(t *testing.T) {
	tp := newTLSPeer(t, nil)
	cc, err := NewClientConfig(ClientOptions{CAFile: tp.certs.CA})
	if err != nil {
		t.Fatal(err)
	}
	c, p := tp.dial(t, cc)
	if err := c.Open(cat(p.tickets, p.alert(0))); err != io.EOF {
		t.Fatalf("close_notify: %v", err)
	}
	c, p = tp.dial(t, cc)
	if err := c.Open(cat(p.tickets, p.alert(42))); err == nil || !strings.Contains(err.Error(), "bad certificate") {
		t.Fatalf("alert: %v", err)
	}
	// A record that does not open: crypto/tls fails the session.
	c, p = tp.dial(t, cc)
	b := p.data("x")
	b[len(b)-1] ^= 1
	if err := c.Open(cat(p.tickets, b)); err == nil {
		t.Fatal("a corrupt record was accepted")
	}
}
