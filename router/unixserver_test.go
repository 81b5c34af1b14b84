package router

import (
	"strings"
	"testing"
)

func TestUnixServers(t *testing.T) {
	for _, tc := range []struct{ s, path, proto, err string }{
		{"unix:/tmp/mc.sock", "/tmp/mc.sock", "", ""},
		{"unix:/tmp/mc.sock:ascii", "/tmp/mc.sock", "ascii", ""},
		{"unix:/tmp/mc.sock:meta:plain", "/tmp/mc.sock", "meta", ""},
		{"unix:/tmp/mc.sock:ascii:ssl", "", "", "do not support security mech"},
		{"unix:", "", "", "empty UNIX socket path"},
		{"unix:/x:caret", "", "", "not supported"},
	} {
		path, proto, err := parseUnixServer(tc.s)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.s, err, tc.err)
			}
			continue
		}
		if err != nil || path != tc.path || proto != tc.proto {
			t.Errorf("%s: %q %q %v", tc.s, path, proto, err)
		}
	}
	c, err := Build("", []byte(`{"pools":{"A":{"servers":["unix:/tmp/mcroute-test.sock"]}},"route":"PoolRoute|A"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Servers[0]
	if s.Addr != "unix:/tmp/mcroute-test.sock" || s.Dest.Key.Addr != "unix:/tmp/mcroute-test.sock" ||
		s.Key != "/tmp/mcroute-test.sock:0:ascii:plain:notcompressed-1000" {
		t.Errorf("server %q dest %q key %q", s.Addr, s.Dest.Key.Addr, s.Key)
	}
	if n := c.Pools[0].Dests[0]; !strings.Contains(n, "|ap=/tmp/mcroute-test.sock:0:ascii:plain:notcompressed|") {
		t.Errorf("route name %q", n)
	}
}
