package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestRateLimits: buckets start full, so a burst goes through and then
// the default reply comes back (NOT_FOUND as a miss for gets, NOT_STORED,
// NOT_FOUND for deletes); touch and arithmetic are never limited; a
// fallback gets what is over the limit. Rates are tiny so that no token
// comes back during the test. One client connection is one loop, whose
// buckets it uses.
func TestRateLimits(t *testing.T) {
	ms := startMemcacheds(t, 2)
	direct := mctest.Dial(t, ms[0].Addr)
	for _, cmd := range []string{"set k 0 0 1\r\nv\r\n", "set n 0 0 1\r\n5\r\n"} {
		if got := direct.Do(cmd); got != "STORED\r\n" {
			t.Fatal(got)
		}
	}
	tiny := 0.001
	cfg := fanoutConfig(t, ms, map[string]any{
		"type": "RateLimitRoute", "target": "PoolRoute|P0", "fallback": "PoolRoute|P1",
		"rates": map[string]any{"gets_rate": tiny, "gets_burst": 2},
	})
	steps := func(c *mctest.Client, want [][2]string) {
		t.Helper()
		for _, s := range want {
			if got := c.Do(s[0]); got != s[1] {
				t.Errorf("%q: %q, want %q", s[0], got, s[1])
			}
		}
	}
	p := startProxy(t, cfg, engine.Options{}, router.Options{})
	steps(mctest.Dial(t, p.Addr), [][2]string{
		{"get k\r\n", "VALUE k 0 1\r\nv\r\nEND\r\n"},
		{"get k\r\n", "VALUE k 0 1\r\nv\r\nEND\r\n"},
		{"get k\r\n", "END\r\n"}, // P1, the fallback, does not have k
	})

	cfg = fanoutConfig(t, ms, map[string]any{
		"type": "RateLimitRoute", "target": "PoolRoute|P0",
		"rates": map[string]any{"gets_rate": tiny, "gets_burst": 3, "sets_rate": tiny, "sets_burst": 1, "deletes_rate": tiny, "deletes_burst": 1},
	})
	p = startProxy(t, cfg, engine.Options{}, router.Options{})
	steps(mctest.Dial(t, p.Addr), [][2]string{
		{"get k\r\n", "VALUE k 0 1\r\nv\r\nEND\r\n"},
		{"gets k\r\n", "VALUE k 0 1 1\r\nv\r\nEND\r\n"},
		{"get k\r\n", "VALUE k 0 1\r\nv\r\nEND\r\n"},
		{"get k\r\n", "END\r\n"},
		{"get k\r\n", "END\r\n"},
		{"set x 0 0 1\r\na\r\n", "STORED\r\n"},
		{"set x 0 0 1\r\nb\r\n", "NOT_STORED\r\n"},
		{"add y 0 0 1\r\nb\r\n", "NOT_STORED\r\n"},
		{"delete x\r\n", "DELETED\r\n"},
		{"delete k\r\n", "NOT_FOUND\r\n"},
		{"touch k 0\r\n", "TOUCHED\r\n"},
		{"touch k 0\r\n", "TOUCHED\r\n"},
		{"incr n 1\r\n", "6\r\n"},
		{"incr n 1\r\n", "7\r\n"},
	})
	if got := direct.Do("get k x y\r\n"); got != "VALUE k 0 1\r\nv\r\nEND\r\n" {
		t.Errorf("server after the limited requests: %q", got)
	}
}

// TestPoolRouteRates: PoolRoute "rates" limits the pool, without a
// fallback, and route_handles shows the rate limit around the hash.
func TestPoolRouteRates(t *testing.T) {
	ms := startMemcacheds(t, 2)
	cfg := fmt.Sprintf(`{"pools": {"A": {"servers": [%q, %q]}},
  "route": {"type": "PoolRoute", "pool": "A", "rates": {"sets_rate": 0.001, "sets_burst": 2}}}`, ms[0].Addr, ms[1].Addr)
	p := startProxy(t, cfg, engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for i, want := range []string{"STORED\r\n", "STORED\r\n", "NOT_STORED\r\n", "NOT_STORED\r\n"} {
		if got := c.Do(fmt.Sprintf("set k%d 0 0 1\r\nv\r\n", i)); got != want {
			t.Errorf("set %d: %q, want %q", i, got, want)
		}
	}
	for i := 0; i < 5; i++ { // gets are not limited
		if got := c.Do("get k0\r\n"); got != "VALUE k0 0 1\r\nv\r\nEND\r\n" {
			t.Errorf("get %d: %q", i, got)
		}
	}
	rh := c.Do("get __mcrouter__.route_handles(set,k0)\r\n")
	if want := "proxy\n root\n  rate-limit|sets_rate=0.001|sets_burst=2\n   selection|"; !strings.Contains(rh, want) {
		t.Errorf("route_handles %q lacks %q", rh, want)
	}
}
