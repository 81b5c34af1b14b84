//go:build !race

package tlsconn_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

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

// TestClientOpenAllocs measures decryption: crypto/tls allocates its
// 24-byte atLeastReader each time it must read more input (once per Open
// that completes records, once for the would-block end), so a reply
// costs up to 2 small allocations per loop pass, not per request in a
// batch. This pins that figure; the zero-allocation goal needs an
// in-loop record layer of our own (gnet-and-tls.md §2, "soft kTLS").
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
	t.Logf("Open: %v allocations per record (crypto/tls's atLeastReader)", allocs)
	if allocs > 2 {
		t.Errorf("Open: %v allocations per record, want at most 2", allocs)
	}
}
