//go:build !race

package engine_test

import (
	"io"
	"net"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestEngineAllocs: a whole request through the engine (client socket →
// parse → route → memcached → reply → client socket) allocates nothing in
// steady state. AllocsPerRun counts the whole process, the test's client
// included, so the client uses preallocated buffers.
// It runs for a pool speaking ASCII and one speaking meta.
func TestEngineAllocs(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)}
	for _, protocol := range []string{"ascii", "meta"} {
		t.Run(protocol, func(t *testing.T) {
			p := startProxy(t, protocolPoolConfig(protocol, addrs(ms)...), engine.Options{NumLoops: 1}, router.Options{})
			testEngineAllocs(t, p)
		})
	}
}

func testEngineAllocs(t *testing.T, p *proxy) {
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	setup := mctest.Dial(t, p.Addr)
	keys := "get"
	for _, k := range []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"} {
		setup.Do("set " + k + " 0 0 5\r\nhello\r\n")
		keys += " " + k
	}
	cases := []struct {
		name, req string
	}{
		{"get", "get a0\r\n"},
		{"set", "set a0 0 0 5\r\nhello\r\n"},
		{"multiget10", keys + "\r\n"},
		{"miss", "get nope\r\n"},
		{"incr", "incr nope 1\r\n"},
	}
	for _, tc := range cases {
		req := []byte(tc.req)
		// Learn the reply length once, then read exactly that much.
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		want := mctest.Dial(t, p.Addr).Do(tc.req)
		buf := make([]byte, len(want))
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		rt := func() {
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 200; i++ {
			rt()
		}
		if string(buf) != want {
			t.Fatalf("%s: %q, want %q", tc.name, buf, want)
		}
		if n := testing.AllocsPerRun(2000, rt); n != 0 {
			t.Errorf("%s: %v allocs per request", tc.name, n)
		}
	}
}
