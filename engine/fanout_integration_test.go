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

// fanoutConfig returns a config with one single-server pool per memcached
// ("P0", "P1", ...) and route as the route.
func fanoutConfig(t *testing.T, ms []*mctest.Memcached, route any) string {
	t.Helper()
	pools := map[string]any{}
	for i, m := range ms {
		pools[fmt.Sprintf("P%d", i)] = map[string]any{"servers": []string{m.Addr}}
	}
	b, err := json.Marshal(map[string]any{"pools": pools, "route": route})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func startMemcacheds(t *testing.T, n int) []*mctest.Memcached {
	ms := make([]*mctest.Memcached, n)
	for i := range ms {
		ms[i] = mctest.StartMemcached(t)
	}
	return ms
}

// eventually polls cond for up to 3s: for effects of asynchronous sends.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 3s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAllSyncOneChildFails(t *testing.T) {
	ms := startMemcacheds(t, 2)
	ms[1].Kill()
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "AllSyncRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for _, cmd := range []string{"set k 0 0 1\r\nv\r\n", "get k\r\n", "delete k\r\n"} {
		if got := c.Do(cmd); !strings.HasPrefix(got, "SERVER_ERROR ") || strings.Contains(got, "END") {
			t.Errorf("%q: %q, want the dead pool's error alone", cmd, got)
		}
	}
	// The live pool still got the set (and then the delete).
	if got := mctest.Dial(t, ms[0].Addr).Do("get k\r\n"); got != "END\r\n" {
		t.Errorf("live pool after delete: %q", got)
	}

	// An ErrorRoute child: its message is the worst reply.
	ms2 := startMemcacheds(t, 1)
	p = startProxy(t, fanoutConfig(t, ms2, map[string]any{
		"type": "AllSyncRoute", "children": []string{"PoolRoute|P0", "ErrorRoute|boom"},
	}), engine.Options{}, router.Options{})
	c = mctest.Dial(t, p.Addr)
	for _, cmd := range []string{"set k 0 0 1\r\nv\r\n", "get k\r\n", "get a k b\r\n", "incr n 1\r\n"} {
		if got := c.Do(cmd); got != "SERVER_ERROR boom\r\n" {
			t.Errorf("%q: %q, want SERVER_ERROR boom", cmd, got)
		}
	}
	if got := mctest.Dial(t, ms2[0].Addr).Do("get k\r\n"); got != "VALUE k 0 1\r\nv\r\nEND\r\n" {
		t.Errorf("live pool did not get the set: %q", got)
	}
}

func TestAllMajorityOneChildFails(t *testing.T) {
	ms := startMemcacheds(t, 3)
	ms[2].Kill()
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "AllMajorityRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for _, step := range []struct{ cmd, want string }{
		{"set k 0 0 1\r\nv\r\n", "STORED\r\n"},
		{"get k\r\n", "VALUE k 0 1\r\nv\r\nEND\r\n"},
		{"add k 0 0 1\r\nw\r\n", "NOT_STORED\r\n"},
		{"delete k\r\n", "DELETED\r\n"},
		{"get k\r\n", "END\r\n"},
		{"delete k\r\n", "NOT_FOUND\r\n"},
	} {
		if got := c.Do(step.cmd); got != step.want {
			t.Errorf("%q: %q, want %q", step.cmd, got, step.want)
		}
	}

	// Two children, one an ErrorRoute: one vote each, the worse wins.
	ms2 := startMemcacheds(t, 1)
	p = startProxy(t, fanoutConfig(t, ms2, map[string]any{
		"type": "AllMajorityRoute", "children": []any{"PoolRoute|P0", map[string]any{"type": "ErrorRoute", "response": "minority"}},
	}), engine.Options{}, router.Options{})
	c = mctest.Dial(t, p.Addr)
	for _, cmd := range []string{"set k 0 0 1\r\nv\r\n", "get k\r\n"} {
		if got := c.Do(cmd); got != "SERVER_ERROR minority\r\n" {
			t.Errorf("%q: %q, want SERVER_ERROR minority", cmd, got)
		}
	}
}

func TestAllAsyncDeliversToEveryPool(t *testing.T) {
	ms := startMemcacheds(t, 3)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "AllAsyncRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	// The client gets the default reply at once.
	if got := c.Do("set k 0 0 5\r\nhello\r\n"); got != "NOT_STORED\r\n" {
		t.Fatalf("set: %q, want NOT_STORED", got)
	}
	for i, m := range ms {
		d := mctest.Dial(t, m.Addr)
		eventually(t, fmt.Sprintf("set reaches pool %d", i), func() bool {
			return d.Do("get k\r\n") == "VALUE k 0 5\r\nhello\r\nEND\r\n"
		})
	}
	if got := c.Do("get k\r\n"); got != "END\r\n" {
		t.Errorf("get: %q, want a miss (default reply)", got)
	}
	if got := c.Do("delete k\r\n"); got != "NOT_FOUND\r\n" {
		t.Errorf("delete: %q, want NOT_FOUND", got)
	}
	for i, m := range ms {
		d := mctest.Dial(t, m.Addr)
		eventually(t, fmt.Sprintf("delete reaches pool %d", i), func() bool { return d.Do("get k\r\n") == "END\r\n" })
	}
	// Many in a pipeline: every one arrives everywhere, with its own value
	// (the async copies outlive the client's recycled requests).
	var b strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "set key%d 0 0 %d\r\nval%d\r\n", i, len(fmt.Sprint(i))+3, i)
	}
	c.Send(b.String())
	for i := 0; i < 200; i++ {
		if got := c.ReadReply(); got != "NOT_STORED\r\n" {
			t.Fatalf("pipelined set %d: %q", i, got)
		}
	}
	for i, m := range ms {
		d := mctest.Dial(t, m.Addr)
		eventually(t, fmt.Sprintf("pipelined sets reach pool %d", i), func() bool {
			return d.Do("get key199\r\n") == "VALUE key199 0 6\r\nval199\r\nEND\r\n"
		})
		for k := 0; k < 200; k++ {
			want := fmt.Sprintf("VALUE key%d 0 %d\r\nval%d\r\nEND\r\n", k, len(fmt.Sprint(k))+3, k)
			if got := d.Do(fmt.Sprintf("get key%d\r\n", k)); got != want {
				t.Fatalf("pool %d key%d: %q, want %q", i, k, got, want)
			}
		}
	}
}

func TestAllInitialDeliversToEveryPool(t *testing.T) {
	ms := startMemcacheds(t, 3)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "AllInitialRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set k 0 0 5\r\nhello\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	for i, m := range ms {
		d := mctest.Dial(t, m.Addr)
		eventually(t, fmt.Sprintf("set reaches pool %d", i), func() bool {
			return d.Do("get k\r\n") == "VALUE k 0 5\r\nhello\r\nEND\r\n"
		})
	}
	// The first pool's reply is the answer: a key only the others have is
	// a miss.
	if got := mctest.Dial(t, ms[1].Addr).Do("set only1 0 0 1\r\nx\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	if got := c.Do("get only1\r\n"); got != "END\r\n" {
		t.Errorf("get only1: %q, want the first pool's miss", got)
	}
	// First pool dead: its error, though the others store.
	ms[0].Kill()
	if got := c.Do("set k2 0 0 1\r\nv\r\n"); !strings.HasPrefix(got, "SERVER_ERROR ") {
		t.Errorf("set with the first pool dead: %q", got)
	}
	d := mctest.Dial(t, ms[2].Addr)
	eventually(t, "set reaches the last pool", func() bool { return d.Do("get k2\r\n") == "VALUE k2 0 1\r\nv\r\nEND\r\n" })
}

func TestAllFastestSkipsDeadPool(t *testing.T) {
	ms := startMemcacheds(t, 2)
	ms[0].Kill()
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "AllFastestRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set k 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Errorf("set: %q", got)
	}
	if got := c.Do("get k\r\n"); got != "VALUE k 0 1\r\nv\r\nEND\r\n" {
		t.Errorf("get: %q", got)
	}
}

// TestWeightZeroServer: a pool whose "weights" give a server 0 (PoolRoute
// then hashes with WeightedCh3): no key lands on that server.
func TestWeightZeroServer(t *testing.T) {
	ms := startMemcacheds(t, 3)
	cfg, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": addrs(ms), "weights": []float64{1, 0, 1}}},
		"route": "PoolRoute|A",
	})
	p := startProxy(t, string(cfg), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	direct := []*mctest.Client{mctest.Dial(t, ms[0].Addr), mctest.Dial(t, ms[1].Addr), mctest.Dial(t, ms[2].Addr)}
	hits := make([]int, 3)
	for i := 0; i < 300; i++ {
		key := fmt.Sprintf("user:%d", i)
		if got := c.Do("set " + key + " 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
			t.Fatalf("set %s: %q", key, got)
		}
		for j, d := range direct {
			if strings.HasPrefix(d.Do("get "+key+"\r\n"), "VALUE ") {
				hits[j]++
			}
		}
	}
	if hits[1] != 0 || hits[0]+hits[2] != 300 || hits[0] < 50 || hits[2] < 50 {
		t.Errorf("keys per server %v, want none on the weight-0 server", hits)
	}
}

// TestOperationSelectorNoRoute: an op with no policy and no default gets
// mcrouter's empty reply, result UNKNOWN.
func TestOperationSelectorNoRoute(t *testing.T) {
	ms := startMemcacheds(t, 1)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "OperationSelectorRoute", "operation_policies": map[string]any{"set": "PoolRoute|P0", "gets": "PoolRoute|P0"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for _, step := range []struct{ cmd, want string }{
		{"set k 0 0 1\r\nv\r\n", "STORED\r\n"},
		{"gets k\r\n", "VALUE k 0 1 "},
		{"get k\r\n", "SERVER_ERROR unexpected result mc_res_unknown (0) for get\r\n"},
		{"get a k b\r\n", "SERVER_ERROR unexpected result mc_res_unknown (0) for get\r\n"},
		{"delete k\r\n", "SERVER_ERROR unexpected result mc_res_unknown (0) for delete\r\n"},
		{"add k 0 0 1\r\nv\r\n", "SERVER_ERROR unexpected result mc_res_unknown (0) for add\r\n"},
		{"incr k 1\r\n", "SERVER_ERROR unexpected result mc_res_unknown (0) for incr\r\n"},
		{"touch k 10\r\n", "SERVER_ERROR unexpected result mc_res_unknown (0) for touch\r\n"},
	} {
		if got := c.Do(step.cmd); !strings.HasPrefix(got, step.want) {
			t.Errorf("%q: %q, want %q", step.cmd, got, step.want)
		}
	}
}
