//go:build !race

package engine_test

import (
	"bytes"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/tlsconn"
)

// TestTLSAllocs: a request over TLS 1.3 (mcroute's in-loop record layer)
// allocates nothing in steady state, client and proxy together, like a
// plaintext one (TestEngineAllocs).
func TestTLSAllocs(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startTLSProxy(t, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{NumLoops: 1})
	rc := dialRecordClient(t, p)
	if _, err := rc.do([]byte("set a 0 0 5\r\nhello\r\n"), len("STORED\r\n")); err != nil {
		t.Fatal(err)
	}
	rc.c.Consume(-1)
	cases := []struct{ req, want string }{
		{"get a\r\n", "VALUE a 0 5\r\nhello\r\nEND\r\n"},
		{"set a 0 0 5\r\nhello\r\n", "STORED\r\n"},
		{"get nope\r\n", "END\r\n"},
	}
	for _, tc := range cases {
		req, want := []byte(tc.req), []byte(tc.want)
		run := func() {
			got, err := rc.do(req, len(want))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%q: %q %v", tc.req, got, err)
			}
			rc.c.Consume(-1)
		}
		for range 100 {
			run()
		}
		if n := testing.AllocsPerRun(1000, run); n != 0 {
			t.Errorf("%q over TLS: %.2f allocations per request", tc.req, n)
		}
	}
	if !rc.c.InLoopRecordLayer() {
		t.Fatal("client not on the record layer")
	}
}
