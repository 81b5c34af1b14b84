package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/router/hashfunc"
)

// shadowConfig: pool "main" of two servers, shadowed (server 0 only, keys
// in the fraction range) to pool "shadow".
func shadowConfig(t *testing.T, main []*mctest.Memcached, shadow *mctest.Memcached, extra map[string]any) string {
	t.Helper()
	sh := map[string]any{"target": "PoolRoute|shadow", "index_range": []int{0, 1}, "key_fraction_range": []float64{0, 0.1}}
	for k, v := range extra {
		sh[k] = v
	}
	b, err := json.Marshal(map[string]any{
		"pools": map[string]any{
			"main":   map[string]any{"servers": addrs(main)},
			"shadow": map[string]any{"servers": []string{shadow.Addr}},
		},
		"route": map[string]any{"type": "PoolRoute", "pool": "main", "shadows": []any{sh}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantShadowed lists the keys f0..f99 that go to main server 0 and hash
// into [lo, hi] of the key fraction space.
func wantShadowed(lo, hi float64) []string {
	var out []string
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("f%d", i)
		h := hashfunc.SpookyHash32([]byte(k), 0)
		if hashfunc.Ch3([]byte(k), 2) == 0 && uint64(h) >= uint64(lo*0xFFFFFFFF) && uint64(h) <= uint64(hi*0xFFFFFFFF) {
			out = append(out, k)
		}
	}
	return out
}

// setAllAndCollect sets f0..f99 through the proxy and returns, once the
// shadow has settled, which of them the shadow server holds.
func setAllAndCollect(t *testing.T, proxy, shadow string, want []string) []string {
	t.Helper()
	c := mctest.Dial(t, proxy)
	for i := 0; i < 100; i++ {
		if got := c.Do(fmt.Sprintf("set f%d 0 0 1\r\nv\r\n", i)); got != "STORED\r\n" {
			t.Fatalf("set f%d: %q", i, got)
		}
	}
	s := mctest.Dial(t, shadow)
	var have []string
	eventually(t, "shadow copies", func() bool {
		have = have[:0]
		for i := 0; i < 100; i++ {
			if s.Do(fmt.Sprintf("get f%d\r\n", i)) != "END\r\n" {
				have = append(have, fmt.Sprintf("f%d", i))
			}
		}
		return fmt.Sprint(have) == fmt.Sprint(want)
	})
	return have
}

// A shadowed PoolRoute copies the keys of server 0 in the key fraction to
// the shadow pool; the client's replies do not change when the shadow
// dies.
func TestPoolRouteShadows(t *testing.T) {
	main := startMemcacheds(t, 2)
	shadow := mctest.StartMemcached(t)
	p := startProxy(t, shadowConfig(t, main, shadow, nil), engine.Options{}, router.Options{})
	want := wantShadowed(0, 0.1)
	if len(want) == 0 {
		t.Fatal("no key to shadow")
	}
	setAllAndCollect(t, p.Addr, shadow.Addr, want)

	shadow.Kill()
	c := mctest.Dial(t, p.Addr)
	for _, k := range want {
		start := time.Now()
		if got := c.Do("set " + k + " 0 0 2\r\nv2\r\n"); got != "STORED\r\n" {
			t.Errorf("set %s with a dead shadow: %q", k, got)
		}
		if got := c.Do("get " + k + "\r\n"); got != "VALUE "+k+" 0 2\r\nv2\r\nEND\r\n" {
			t.Errorf("get %s with a dead shadow: %q", k, got)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s took %v with a dead shadow", k, d)
		}
	}
}

// Changing the runtime-vars file moves the shadowed key fraction without
// a config reload.
func TestShadowRuntimeVarsFile(t *testing.T) {
	main := startMemcacheds(t, 2)
	shadow := mctest.StartMemcached(t)
	path := filepath.Join(t.TempDir(), "rv.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"key_fraction_range_test": [0, 0.1]}`)
	rv := router.NewRuntimeVars(path)
	if _, err := rv.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rv.Watch(ctx, 20*time.Millisecond)
	cfg := shadowConfig(t, main, shadow, map[string]any{"key_fraction_range": []float64{0, 1}, "key_fraction_range_rv": "key_fraction_range_test"})
	p := startProxy(t, cfg, engine.Options{}, router.Options{RuntimeVars: rv})
	setAllAndCollect(t, p.Addr, shadow.Addr, wantShadowed(0, 0.1))

	if got := mctest.Dial(t, shadow.Addr).Do("flush_all\r\n"); got != "OK\r\n" {
		t.Fatal(got)
	}
	write(`{"key_fraction_range_test": [0.4, 0.5]}`)
	eventually(t, "runtime vars reload", func() bool {
		changed, _ := rv.Load()
		return !changed // Watch got there first, or this Load did
	})
	setAllAndCollect(t, p.Addr, shadow.Addr, wantShadowed(0.4, 0.5))
}

// PoolRoute shard_splits stores a key of a split shard under this host's
// split key, and fans deletes out to every split.
func TestShardSplitPlacement(t *testing.T) {
	m := mctest.StartMemcached(t)
	cfg := `{"pools": {"A": {"servers": ["` + m.Addr + `"]}}, "route": {"type": "PoolRoute", "pool": "A", "shard_splits": {"1": 3, "2": 1}}}`
	for _, tc := range []struct {
		host       uint32
		key, where string
	}{{1, "a:1:x", "a:1aa:x"}, {2, "b:1:y", "b:1ba:y"}, {3, "c:1:z", "c:1:z"}, {1, "d:2:w", "d:2:w"}} {
		p := startProxy(t, cfg, engine.Options{}, router.Options{HostID: tc.host})
		c := mctest.Dial(t, p.Addr)
		if got := c.Do("set " + tc.key + " 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
			t.Fatalf("set: %q", got)
		}
		if got := c.Do("get " + tc.key + "\r\n"); got != "VALUE "+tc.key+" 0 1\r\nv\r\nEND\r\n" {
			t.Errorf("get through the proxy: %q", got)
		}
		d := mctest.Dial(t, m.Addr)
		if got := d.Do("get " + tc.where + "\r\n"); got != "VALUE "+tc.where+" 0 1\r\nv\r\nEND\r\n" {
			t.Errorf("host %d: %s not stored as %s: %q", tc.host, tc.key, tc.where, got)
		}
	}
	// A delete reaches every split of shard 1.
	d := mctest.Dial(t, m.Addr)
	for _, k := range []string{"e:1:q", "e:1aa:q", "e:1ba:q"} {
		d.Do("set " + k + " 0 0 1\r\nv\r\n")
	}
	p := startProxy(t, cfg, engine.Options{}, router.Options{HostID: 1})
	if got := mctest.Dial(t, p.Addr).Do("delete e:1:q\r\n"); got != "DELETED\r\n" && got != "NOT_FOUND\r\n" {
		t.Errorf("delete: %q", got)
	}
	eventually(t, "deletes to every split", func() bool {
		for _, k := range []string{"e:1:q", "e:1aa:q", "e:1ba:q"} {
			if !strings.HasPrefix(d.Do("get "+k+"\r\n"), "END") {
				return false
			}
		}
		return true
	})
}
