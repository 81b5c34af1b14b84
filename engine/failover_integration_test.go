package engine_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// configJSON marshals a config.
func configJSON(t *testing.T, cfg map[string]any) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// memcachedTTL asks memcached (meta get) for the remaining TTL of key: -1 when it
// never expires, -2 when it is not there.
func memcachedTTL(t *testing.T, c *mctest.Client, key string) int {
	t.Helper()
	got := c.Do("mg " + key + " t\r\n")
	if got == "EN\r\n" {
		return -2
	}
	m := regexp.MustCompile(`^HD t(-?\d+)\r\n$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("mg %s t: %q", key, got)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestFailoverRouteDeadServer(t *testing.T) {
	ms := startMemcacheds(t, 2)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "FailoverRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1"},
	}), engine.Options{}, router.Options{ServerTimeout: 300 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	d0, d1 := mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)
	if got := c.Do("set k1 0 0 2\r\nv1\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if d0.Do("get k1\r\n") != "VALUE k1 0 2\r\nv1\r\nEND\r\n" || d1.Do("get k1\r\n") != "END\r\n" {
		t.Fatal("a healthy first child did not take the set alone")
	}
	ms[0].Kill()
	for i := range 3 {
		start := time.Now()
		if got := c.Do("set k2 0 0 2\r\nv" + strconv.Itoa(i) + "\r\n"); got != "STORED\r\n" {
			t.Fatalf("set with the first server dead: %q", got)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("failover took %v", d)
		}
		want := "VALUE k2 0 2\r\nv" + strconv.Itoa(i) + "\r\nEND\r\n"
		if got := d1.Do("get k2\r\n"); got != want {
			t.Errorf("second server has %q, want %q", got, want)
		}
		if got := c.Do("get k2\r\n"); got != want {
			t.Errorf("get through the proxy: %q, want %q", got, want)
		}
	}
	// Both dead: the last child's error.
	ms[1].Kill()
	if got := c.Do("get k2\r\n"); !strings.HasPrefix(got, "SERVER_ERROR ") {
		t.Errorf("all dead: %q", got)
	}
}

func TestFailoverWithExptimeRouteShortensTTL(t *testing.T) {
	ms := startMemcacheds(t, 2)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|P0", "failover": "PoolRoute|P1", "failover_exptime": 5,
	}), engine.Options{}, router.Options{ServerTimeout: 300 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	d1 := mctest.Dial(t, ms[1].Addr)
	ms[0].Kill()
	if got := c.Do("set k 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if n := memcachedTTL(t, d1, "k"); n < 1 || n > 5 {
		t.Errorf("failover copy TTL %d, want 1..5", n)
	}
}

func TestMissFailoverRoute(t *testing.T) {
	ms := startMemcacheds(t, 2)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "MissFailoverRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	d0, d1 := mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr)
	d1.Do("set only1 0 0 1\r\nb\r\n")
	d0.Do("set both 0 0 1\r\na\r\n")
	d1.Do("set both 0 0 1\r\nb\r\n")
	d1.Do("set del 0 0 1\r\nb\r\n")
	for _, tc := range []struct{ cmd, want string }{
		{"get only1\r\n", "VALUE only1 0 1\r\nb\r\nEND\r\n"},
		{"get both\r\n", "VALUE both 0 1\r\na\r\nEND\r\n"},
		{"get none\r\n", "END\r\n"},
		{"get only1 both none\r\n", "VALUE only1 0 1\r\nb\r\nVALUE both 0 1\r\na\r\nEND\r\n"},
		{"delete del\r\n", "DELETED\r\n"},
		{"set s 0 0 1\r\nx\r\n", "STORED\r\n"},
	} {
		if got := c.Do(tc.cmd); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if got := d1.Do("get del\r\n"); got != "END\r\n" {
		t.Errorf("delete did not reach the second pool: %q", got)
	}
	if d0.Do("get s\r\n") != "VALUE s 0 1\r\nx\r\nEND\r\n" || d1.Do("get s\r\n") != "END\r\n" {
		t.Error("a set went elsewhere than the first child")
	}
}

func TestModifyKeyRouteLandsOnMemcached(t *testing.T) {
	long := strings.Repeat("p", 2040)
	for _, tc := range []struct {
		name  string
		route map[string]any
		keep  bool   // keep_routing_prefix on the pool
		key   string // client key
		lands string // key memcached stores; "" for an error
		reply string // reply to the set
	}{
		{"ensure prefix and suffix", map[string]any{"ensure_key_prefix": "pre:", "set_key_suffix": ":s"}, false, "k", "pre:k:s", "STORED\r\n"},
		{"prefix present", map[string]any{"ensure_key_prefix": "pre:"}, false, "pre:k", "pre:k", "STORED\r\n"},
		{"modify in place", map[string]any{"ensure_key_prefix": "ab", "modify_inplace": true}, false, "xyk", "abk", "STORED\r\n"},
		{"replace prefix", map[string]any{"replace_key_prefix": "old:", "ensure_key_prefix": "new:"}, false, "old:k", "new:k", "STORED\r\n"},
		{"routing prefix is stripped by the pool", map[string]any{"set_routing_prefix": "/x/y/", "ensure_key_prefix": "pre:"}, false, "k", "pre:k", "STORED\r\n"},
		{"routing prefix kept by the pool", map[string]any{"set_routing_prefix": "/x/y/", "ensure_key_prefix": "pre:"}, true, "k", "/x/y/pre:k", "STORED\r\n"},
		{"too long", map[string]any{"ensure_key_prefix": long}, false, "key123456", "", "SERVER_ERROR ModifyKeyRoute: invalid key: invalid key: too long\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mctest.StartMemcached(t)
			route := map[string]any{"type": "ModifyKeyRoute", "target": "PoolRoute|A"}
			for k, v := range tc.route {
				route[k] = v
			}
			cfg := configJSON(t, map[string]any{
				"pools": map[string]any{"A": map[string]any{"servers": []string{m.Addr}, "keep_routing_prefix": tc.keep}},
				"route": route,
			})
			p := startProxy(t, cfg, engine.Options{}, router.Options{})
			c, d := mctest.Dial(t, p.Addr), mctest.Dial(t, m.Addr)
			if got := c.Do("set " + tc.key + " 5 0 1\r\nv\r\n"); got != tc.reply {
				t.Fatalf("set: %q, want %q", got, tc.reply)
			}
			if tc.lands == "" {
				return
			}
			if got := d.Do("get " + tc.lands + "\r\n"); got != "VALUE "+tc.lands+" 5 1\r\nv\r\nEND\r\n" {
				t.Errorf("memcached has %q under %q", got, tc.lands)
			}
			// The client sees its own key.
			if got := c.Do("get " + tc.key + "\r\n"); got != "VALUE "+tc.key+" 5 1\r\nv\r\nEND\r\n" {
				t.Errorf("get: %q", got)
			}
		})
	}
}

func TestModifyExptimeRouteTTL(t *testing.T) {
	for _, tc := range []struct {
		name           string
		exptime        int
		action         string
		cmd            string // sets key k through the proxy
		reply          string
		minTTL, maxTTL int // TTL memcached reports afterwards (-2: gone)
	}{
		{"exptime -1 expires at once", -1, "set", "set k 0 0 1\r\nv\r\n", "STORED\r\n", -2, -2},
		{"set replaces infinite", 100, "set", "set k 0 0 1\r\nv\r\n", "STORED\r\n", 95, 100},
		{"set replaces longer", 100, "set", "set k 0 5000 1\r\nv\r\n", "STORED\r\n", 95, 100},
		{"min lowers infinite", 50, "min", "set k 0 0 1\r\nv\r\n", "STORED\r\n", 45, 50},
		{"min keeps shorter", 50, "min", "set k 0 10 1\r\nv\r\n", "STORED\r\n", 5, 10},
		{"touch too", 100, "set", "touch k 0\r\n", "TOUCHED\r\n", 95, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mctest.StartMemcached(t)
			d := mctest.Dial(t, m.Addr)
			d.Do("set k 0 0 1\r\nx\r\n") // for touch
			p := startProxy(t, fanoutConfig(t, []*mctest.Memcached{m}, map[string]any{
				"type": "ModifyExptimeRoute", "target": "PoolRoute|P0", "exptime": tc.exptime, "action": tc.action,
			}), engine.Options{}, router.Options{})
			c := mctest.Dial(t, p.Addr)
			if got := c.Do(tc.cmd); got != tc.reply {
				t.Fatalf("%q: %q", tc.cmd, got)
			}
			if n := memcachedTTL(t, d, "k"); n < tc.minTTL || n > tc.maxTTL {
				t.Errorf("TTL %d, want %d..%d", n, tc.minTTL, tc.maxTTL)
			}
		})
	}
}

func TestLatencyInjectionRouteDelays(t *testing.T) {
	m := mctest.StartMemcached(t)
	for _, tc := range []struct {
		route map[string]any
		least time.Duration
	}{
		{map[string]any{"before_latency_ms": 50}, 50 * time.Millisecond},
		{map[string]any{"after_latency_ms": 40}, 40 * time.Millisecond},
		{map[string]any{"before_latency_ms": 10, "total_latency_ms": 80}, 80 * time.Millisecond},
	} {
		route := map[string]any{"type": "LatencyInjectionRoute", "child": "PoolRoute|P0"}
		for k, v := range tc.route {
			route[k] = v
		}
		p := startProxy(t, fanoutConfig(t, []*mctest.Memcached{m}, route), engine.Options{}, router.Options{})
		c := mctest.Dial(t, p.Addr)
		for _, cmd := range []string{"set lat 0 0 1\r\nv\r\n", "get lat\r\n"} {
			start := time.Now()
			got := c.Do(cmd)
			if d := time.Since(start); d < tc.least {
				t.Errorf("%v: %q answered after %v, want at least %v", tc.route, cmd, d, tc.least)
			}
			if got != "STORED\r\n" && got != "VALUE lat 0 1\r\nv\r\nEND\r\n" {
				t.Errorf("%v: %q: %q", tc.route, cmd, got)
			}
		}
	}
}

func TestErrorAndDevNullRoutesOnTheWire(t *testing.T) {
	p := startProxy(t, configJSON(t, map[string]any{"routes": []any{
		map[string]any{"aliases": []string{"/e/busy/"}, "route": map[string]any{"type": "ErrorRoute", "result": "mc_res_busy"}},
		map[string]any{"aliases": []string{"/e/msg/"}, "route": "ErrorRoute|go away"},
		map[string]any{"aliases": []string{"/././"}, "route": "DevNullRoute"},
	}}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for _, tc := range []struct{ cmd, want string }{
		{"get /e/busy/k\r\n", "SERVER_ERROR 307 busy\r\n"},
		{"set /e/msg/k 0 0 1\r\nv\r\n", "SERVER_ERROR go away\r\n"},
		{"get k\r\n", "END\r\n"},
		{"set k 0 0 1\r\nv\r\n", "NOT_STORED\r\n"},
		{"delete k\r\n", "NOT_FOUND\r\n"},
	} {
		if got := c.Do(tc.cmd); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	m := regexp.MustCompile(`STAT dev_null_requests (\d+)\r\n`).FindStringSubmatch(c.Do("stats\r\n"))
	if m == nil {
		t.Fatal("stats has no dev_null_requests")
	}
	if n, _ := strconv.Atoi(m[1]); n < 3 {
		t.Errorf("dev_null_requests %d, want at least 3", n)
	}
}
