//go:build !race

package engine_test

import (
	"bytes"
	"io"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/tlsconn"
)

// TestToPlainAllocs: once a tls_to_plain connection has gone direct (the
// path a kTLS-offloaded one takes too), a request allocates nothing in
// steady state, client and proxy together, as on a plain connection.
func TestToPlainAllocs(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{NumLoops: 1})
	c, _ := dialToPlain(t, p, p.pki.client)
	buf := make([]byte, 4096)
	do := func(req, want []byte) {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:len(want)]); err != nil || !bytes.Equal(buf[:len(want)], want) {
			t.Fatalf("%q: %q %v", req, buf[:len(want)], err)
		}
	}
	do([]byte("set a 0 0 5\r\nhello\r\n"), []byte("STORED\r\n"))
	for _, tc := range []struct{ req, want string }{
		{"get a\r\n", "VALUE a 0 5\r\nhello\r\nEND\r\n"},
		{"set a 0 0 5\r\nhello\r\n", "STORED\r\n"},
		{"get nope\r\n", "END\r\n"},
	} {
		req, want := []byte(tc.req), []byte(tc.want)
		run := func() { do(req, want) }
		for range 100 {
			run()
		}
		if n := testing.AllocsPerRun(1000, run); n != 0 {
			t.Errorf("%q over tls_to_plain: %.2f allocations per request", tc.req, n)
		}
	}
	if n := p.E.TLSDirect(); n != 1 {
		t.Fatalf("%d connections went direct, want 1", n)
	}
}
