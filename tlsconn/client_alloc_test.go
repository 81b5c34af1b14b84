//go:build !race

package tlsconn_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"mcroute/engine/mctest"
	"mcroute/tlsconn"
	"mcroute/tlsconn/clienttest"
)

// TestClientSealAllocs: sealing a batch of requests and handing it over
// allocates nothing in steady state.
func TestClientSealAllocs(t *testing.T) {
	pki := clienttest.New(t)
	addr := echoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.Server.TLS}})
	c, _, err := handshake(t, clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA}), "127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	req := []byte(strings.Repeat("get memtier-1234567\r\n", 8))
	if n := testing.AllocsPerRun(1000, func() {
		if err := c.Seal(req); err != nil {
			t.Fatal(err)
		}
		c.Sent()
	}); n != 0 {
		t.Errorf("Seal: %v allocations per batch, want 0", n)
	}
}

// TestClientOpenAllocs: decrypting a Go server's replies, record by
// record, allocates nothing once the session is on the own record layer
// (crypto/tls's would cost its 24-byte atLeastReader up to twice per
// call).
func TestClientOpenAllocs(t *testing.T) {
	pki := clienttest.New(t)
	addr := echoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.Server.TLS}})
	c, nc, err := handshake(t, clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA}), "127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, nc, "warm\n", "echo warm\n", 1<<20) // takes the ticket
	const runs = 200
	// The echo server answers each line with its own record.
	var lines strings.Builder
	for i := 0; i <= runs; i++ {
		lines.WriteString("VALUE k 0 1\n")
	}
	if err := c.Seal([]byte(lines.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(c.Out()); err != nil {
		t.Fatal(err)
	}
	c.Sent()
	var raw []byte
	buf := make([]byte, 64<<10)
	for {
		_ = nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := nc.Read(buf)
		raw = append(raw, buf[:n]...)
		if err != nil {
			break
		}
	}
	var recs [][]byte
	for len(raw) >= 5 {
		n := 5 + (int(raw[3])<<8 | int(raw[4]))
		recs = append(recs, raw[:n])
		raw = raw[n:]
	}
	if len(recs) < runs+1 {
		t.Fatalf("%d records, want %d", len(recs), runs+1)
	}
	i := 0
	allocs := testing.AllocsPerRun(runs, func() {
		if err := c.Open(recs[i]); err != nil {
			t.Fatal(err)
		}
		i++
		c.Consume(len(c.Plain()))
	})
	if !c.InLoopRecordLayer() {
		t.Fatal("TLS 1.3 session still on crypto/tls")
	}
	if allocs != 0 {
		t.Errorf("Open: %v allocations per record, want 0", allocs)
	}
}

// TestClientMemcachedAllocs: a request and its reply through an outbound
// TLS connection to memcached -Z (seal, write, read, open, consume)
// allocate nothing in steady state. AllocsPerRun counts the whole
// process; memcached is another one.
func TestClientMemcachedAllocs(t *testing.T) {
	pki := clienttest.New(t)
	m := mctest.StartMemcached(t, clienttest.MemcachedArgs(pki.Server, "", false)...)
	c, nc, err := handshake(t, clientConfig(t, tlsconn.ClientOptions{CAFile: pki.CA}), "127.0.0.1", m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, nc, "set k 0 0 5\r\nhello\r\n", "STORED\r\n", 1<<20)
	buf := make([]byte, 64<<10)
	for _, tc := range []struct{ req, want string }{
		{"get k\r\n", "VALUE k 0 5\r\nhello\r\nEND\r\n"},
		{"set k 0 0 5\r\nhello\r\n", "STORED\r\n"},
		{"get nope\r\n", "END\r\n"},
	} {
		req := []byte(tc.req)
		rt := func() {
			if err := c.Seal(req); err != nil {
				t.Fatal(err)
			}
			if _, err := nc.Write(c.Out()); err != nil {
				t.Fatal(err)
			}
			c.Sent()
			for len(c.Plain()) < len(tc.want) {
				n, err := nc.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Open(buf[:n]); err != nil {
					t.Fatal(err)
				}
			}
			if string(c.Plain()) != tc.want {
				t.Fatalf("%q: got %q", tc.req, c.Plain())
			}
			c.Consume(len(tc.want))
		}
		for range 100 {
			rt()
		}
		if n := testing.AllocsPerRun(1000, rt); n != 0 {
			t.Errorf("%q: %v allocations per request, want 0", tc.req, n)
		}
	}
	suite := tls.CipherSuiteName(c.ConnectionState().CipherSuite)
	if !c.InLoopRecordLayer() {
		t.Fatalf("session with memcached (%s) still on crypto/tls", suite)
	}
	t.Logf("memcached -Z: %s", suite)
}
