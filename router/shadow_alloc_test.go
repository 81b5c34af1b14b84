//go:build !race

package router_test

import "testing"

// TestShadowedPoolAllocs: a request through a PoolRoute whose servers are
// shadowed (with shard splits, an outstanding limit and slow warm-up
// around them) allocates nothing in steady state: the shadow copy, its
// per-server pending count and every per-request state come from free
// lists.
func TestShadowedPoolAllocs(t *testing.T) {
	cfg := `{"pools": {"A": {"servers": ["127.0.0.1:21101", "127.0.0.1:21102"]}, "B": {"servers": ["127.0.0.1:21103"]}},
	  "route": {"type": "PoolRoute", "pool": "A", "max_outstanding": 10,
	    "slow_warmup": {"failoverTarget": "PoolRoute|B"},
	    "shard_splits": {"12345": 3},
	    "shadows": [{"target": "PoolRoute|B", "index_range": [0, 2], "key_fraction_range": [0, 1]}]}}`
	p := newConfigPipe(t, cfg)
	get := []byte("get user:12345:profile\r\n")
	set := []byte("set user:12345:profile 0 0 5\r\nhello\r\n")
	for i := 0; i < 100; i++ {
		p.roundTrip(get, "END\r\n")
		p.roundTrip(set, "STORED\r\n")
	}
	if got := string(p.roundTrip(set, "STORED\r\n")); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if n := testing.AllocsPerRun(1000, func() { p.roundTrip(get, "END\r\n") }); n != 0 {
		t.Errorf("get: %v allocs per request", n)
	}
	if n := testing.AllocsPerRun(1000, func() { p.roundTrip(set, "STORED\r\n") }); n != 0 {
		t.Errorf("set: %v allocs per request", n)
	}
}
