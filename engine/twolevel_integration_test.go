package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// addrConfig returns a config with one single-server pool per address
// ("P0", "P1", ...) and route as the route.
func addrConfig(t *testing.T, route any, addrs ...string) string {
	t.Helper()
	pools := map[string]any{}
	for i, a := range addrs {
		pools[fmt.Sprintf("P%d", i)] = map[string]any{"servers": []string{a}}
	}
	b, err := json.Marshal(map[string]any{"pools": pools, "route": route})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// deadAddr is a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	return fmt.Sprintf("127.0.0.1:%d", mctest.FreePort(t, "127.0.0.1"))
}

func TestWarmUpRouteFillsCold(t *testing.T) {
	ms := startMemcacheds(t, 2)
	cold, warm := mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "WarmUpRoute", "cold": "PoolRoute|P0", "warm": "PoolRoute|P1", "exptime": 20000,
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	warm.Do("set k 7 0 4\r\nwarm\r\n")
	warm.Do("set k2 8 0 5\r\nwarm2\r\n")
	if got := c.Do("get k\r\n"); got != "VALUE k 7 4\r\nwarm\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	eventually(t, "cold filled from warm", func() bool { return cold.Do("get k\r\n") == "VALUE k 7 4\r\nwarm\r\nEND\r\n" })
	// Cold answers from now on.
	cold.Do("set k 7 0 4\r\ncold\r\n")
	if got := c.Do("get k\r\n"); got != "VALUE k 7 4\r\ncold\r\nEND\r\n" {
		t.Fatalf("get after the fill: %q", got)
	}
	// gets fills cold before answering, with cold's cas unique.
	got := c.Do("gets k2\r\n")
	if !strings.HasPrefix(got, "VALUE k2 8 5 ") || !strings.HasSuffix(got, "\r\nwarm2\r\nEND\r\n") {
		t.Fatalf("gets: %q", got)
	}
	if g := cold.Do("gets k2\r\n"); g != got {
		t.Fatalf("cold has %q, proxy answered %q", g, got)
	}
	// Writes go to cold only.
	if got := c.Do("set k3 0 0 1\r\nx\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := warm.Do("get k3\r\n"); got != "END\r\n" {
		t.Fatalf("warm got the set: %q", got)
	}
	if got := c.Do("get nothing\r\n"); got != "END\r\n" {
		t.Fatalf("miss: %q", got)
	}
}

func TestMigrateRouteWindow(t *testing.T) {
	const interval = 1000
	now := time.Now().Unix()
	for _, tc := range []struct {
		name  string
		start int64
		get   int // which memcached answers a get (0 from, 1 to)
		del   []bool
	}{
		{"before", now + 10*interval, 0, []bool{true, false}},
		{"during", now - interval/2, 0, []bool{true, true}},
		{"after", now - 3*interval, 1, []bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := startMemcacheds(t, 2)
			direct := []*mctest.Client{mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)}
			p := startProxy(t, fanoutConfig(t, ms, map[string]any{
				"type": "MigrateRoute", "from": "PoolRoute|P0", "to": "PoolRoute|P1",
				"start_time": tc.start, "interval": interval,
			}), engine.Options{}, router.Options{})
			c := mctest.Dial(t, p.Addr)
			direct[0].Do("set k 0 0 4\r\nfrom\r\n")
			direct[1].Do("set k 0 0 2\r\nto\r\n")
			want := []string{"VALUE k 0 4\r\nfrom\r\nEND\r\n", "VALUE k 0 2\r\nto\r\nEND\r\n"}
			if got := c.Do("get k\r\n"); got != want[tc.get] {
				t.Fatalf("get: %q, want %q", got, want[tc.get])
			}
			if got := c.Do("delete k\r\n"); got != "DELETED\r\n" {
				t.Fatalf("delete: %q", got)
			}
			for i, d := range tc.del {
				if gone := direct[i].Do("get k\r\n") == "END\r\n"; gone != d {
					t.Errorf("server %d: deleted %v, want %v", i, gone, d)
				}
			}
		})
	}
}

func TestL1L2CacheRouteServersDown(t *testing.T) {
	route := func(l1, l2 string) map[string]any {
		return map[string]any{"type": "L1L2CacheRoute", "l1": l1, "l2": l2, "upgradingL1Exptime": 100}
	}
	t.Run("l1 down", func(t *testing.T) {
		m := mctest.StartMemcached(t)
		mctest.Dial(t, m.Addr).Do("set k 3 0 2\r\nl2\r\n")
		p := startProxy(t, addrConfig(t, route("PoolRoute|P0", "PoolRoute|P1"), deadAddr(t), m.Addr), engine.Options{}, router.Options{})
		c := mctest.Dial(t, p.Addr)
		if got := c.Do("get k\r\n"); got != "VALUE k 3 2\r\nl2\r\nEND\r\n" {
			t.Fatalf("get: %q", got)
		}
		if got := c.Do("set k 0 0 1\r\nx\r\n"); !strings.HasPrefix(got, "SERVER_ERROR ") {
			t.Fatalf("set goes to the dead l1: %q", got)
		}
	})
	t.Run("l2 down", func(t *testing.T) {
		m := mctest.StartMemcached(t)
		l1 := mctest.Dial(t, m.Addr)
		l1.Do("set k 3 0 2\r\nl1\r\n")
		p := startProxy(t, addrConfig(t, route("PoolRoute|P0", "PoolRoute|P1"), m.Addr, deadAddr(t)), engine.Options{}, router.Options{})
		c := mctest.Dial(t, p.Addr)
		if got := c.Do("get k\r\n"); got != "VALUE k 3 2\r\nl1\r\nEND\r\n" {
			t.Fatalf("l1 hit: %q", got)
		}
		if got := c.Do("get other\r\n"); !strings.HasPrefix(got, "SERVER_ERROR ") {
			t.Fatalf("l1 miss, l2 down: %q", got)
		}
		if got := c.Do("set j 0 0 1\r\nx\r\n"); got != "STORED\r\n" || l1.Do("get j\r\n") != "VALUE j 0 1\r\nx\r\nEND\r\n" {
			t.Fatalf("set: %q", got)
		}
	})
}

func TestL1L2CacheRouteNegativeCaching(t *testing.T) {
	ms := startMemcacheds(t, 2)
	l1, l2 := mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "L1L2CacheRoute", "l1": "PoolRoute|P0", "l2": "PoolRoute|P1",
		"upgradingL1Exptime": 100, "ncacheExptime": 60, "ncacheUpdatePeriod": 2,
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("get k\r\n"); got != "END\r\n" {
		t.Fatalf("get: %q", got)
	}
	eventually(t, "negative-cache item in l1", func() bool { return l1.Do("get k\r\n") == "VALUE k 65536 6\r\nncache\r\nEND\r\n" })
	l2.Do("set k 5 0 3\r\nnew\r\n")
	// Negative hits are misses; the second refreshes l1 from l2.
	for i := 0; i < 2; i++ {
		if got := c.Do("get k\r\n"); got != "END\r\n" {
			t.Fatalf("negative hit %d: %q", i, got)
		}
	}
	eventually(t, "l1 refreshed from l2", func() bool { return l1.Do("get k\r\n") == "VALUE k 5 3\r\nnew\r\nEND\r\n" })
	if got := c.Do("get k\r\n"); got != "VALUE k 5 3\r\nnew\r\nEND\r\n" {
		t.Fatalf("after the refresh: %q", got)
	}
}

func TestL1L2SizeSplitRouteLargeValue(t *testing.T) {
	ms := startMemcacheds(t, 2)
	l1, l2 := mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "L1L2SizeSplitRoute", "l1": "PoolRoute|P0", "l2": "PoolRoute|P1", "threshold": 10,
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	big := strings.Repeat("v", 50)
	if got := c.Do("set big 3 0 50\r\n" + big + "\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := c.Do("set small 3 0 2\r\nhi\r\n"); got != "STORED\r\n" {
		t.Fatalf("set small: %q", got)
	}
	if got := l1.Do("get big small\r\n"); got != "VALUE big 35 0\r\n\r\nVALUE small 3 2\r\nhi\r\nEND\r\n" {
		t.Fatalf("l1 has %q, want the sentinel and the small value", got)
	}
	if got := l2.Do("get big small\r\n"); got != "VALUE big 3 50\r\n"+big+"\r\nEND\r\n" {
		t.Fatalf("l2 has %q, want the large value only", got)
	}
	if got := c.Do("get big\r\n"); got != "VALUE big 3 50\r\n"+big+"\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	got := c.Do("gets big\r\n")
	if !strings.HasPrefix(got, "VALUE big 3 50 ") || !strings.HasSuffix(got, big+"\r\nEND\r\n") {
		t.Fatalf("gets: %q", got)
	}
	if got := c.Do("get big small\r\n"); got != "VALUE big 3 50\r\n"+big+"\r\nVALUE small 3 2\r\nhi\r\nEND\r\n" {
		t.Fatalf("multi-get: %q", got)
	}
}

func TestAllowOnlyGetsIntegration(t *testing.T) {
	m := mctest.StartMemcached(t)
	direct := mctest.Dial(t, m.Addr)
	direct.Do("set k 0 0 1\r\nv\r\n")
	p := startProxy(t, poolConfig(m.Addr), engine.Options{}, router.Options{AllowOnlyGets: true})
	c := mctest.Dial(t, p.Addr)
	for cmd, want := range map[string]string{
		"set j 0 0 1\r\nx\r\n": "NOT_STORED\r\n",
		"delete k\r\n":         "NOT_FOUND\r\n",
		"incr k 1\r\n":         "NOT_FOUND\r\n",
		"get k\r\n":            "VALUE k 0 1\r\nv\r\nEND\r\n",
	} {
		if got := c.Do(cmd); got != want {
			t.Errorf("%q: %q, want %q", cmd, got, want)
		}
	}
	if got := direct.Do("get j k\r\n"); got != "VALUE k 0 1\r\nv\r\nEND\r\n" {
		t.Errorf("memcached was written: %q", got)
	}
}
