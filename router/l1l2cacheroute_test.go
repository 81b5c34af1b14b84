package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestL1L2CacheRoute(t *testing.T) {
	cases := []struct {
		name   string
		period int64 // ncacheUpdatePeriod
		l1, l2 func(m *memRoute)
		req    *mc.Request
		want   string
		wantL1 string
		wantL2 string
		l1Item string
	}{
		{"l1 hit", 0, func(m *memRoute) { m.put("k", "one", 1) }, func(m *memRoute) { m.put("k", "two", 2) },
			req("get", "k"), "mc_res_found=one/0x1", "get k", "", "one/0x1/0"},
		{"l1 miss, l2 hit fills l1", 0, nil, func(m *memRoute) { m.put("k", "two", 2) },
			req("get", "k"), "mc_res_found=two/0x2", `get k; add k 0x2 300 "two"`, "get k", "two/0x2/300"},
		{"l1 down, l2 hit", 0, func(m *memRoute) { m.err = mc.ResConnectError }, func(m *memRoute) { m.put("k", "two", 2) },
			req("get", "k"), "mc_res_found=two/0x2", `get k; add k 0x2 300 "two"`, "get k", "-"},
		{"l2 down answers its error", 0, nil, func(m *memRoute) { m.err = mc.ResConnectError },
			req("get", "k"), "mc_res_connect_error", "get k", "get k", "-"},
		{"both miss, no negative caching", 0, nil, nil,
			req("get", "k"), "mc_res_notfound", "get k", "get k", "-"},
		{"both miss, negative caching adds ncache", 5, nil, nil,
			req("get", "k"), "mc_res_notfound", `get k; add k 0x10000 30 "ncache"`, "get k", "ncache/0x10000/30"},
		{"l2 error is not negatively cached", 5, nil, func(m *memRoute) { m.err = mc.ResTimeout },
			req("get", "k"), "mc_res_timeout", "get k", "get k", "-"},
		{"ncache hit is a miss", 5, func(m *memRoute) { m.put("k", "ncache", ncacheFlag) }, func(m *memRoute) { m.put("k", "two", 2) },
			req("get", "k"), "mc_res_notfound", "get k", "", "ncache/0x10000/0"},
		{"ncache hit, period 1: refresh from l2", 1, func(m *memRoute) { m.put("k", "ncache", ncacheFlag) }, func(m *memRoute) { m.put("k", "two", 2) },
			req("get", "k"), "mc_res_notfound", `get k; set k 0x2 300 "two"`, "get k", "two/0x2/300"},
		{"ncache hit, period 1, l2 still misses: ncache bumped", 1, func(m *memRoute) { m.put("k", "ncache", ncacheFlag) }, nil,
			req("get", "k"), "mc_res_notfound", `get k; set k 0x10000 30 "ncache"`, "get k", "ncache/0x10000/30"},
		{"gets: l2's reply as is", 0, nil, func(m *memRoute) { m.put("k", "two", 2) },
			req("gets", "k"), "mc_res_found=two/0x2/cas1", `gets k; add k 0x2 300 "two"`, "gets k", "two/0x2/300"},
		{"set: l1 only", 0, nil, nil,
			storeReq("set", "k", "v", 7, 0), "mc_res_stored", `set k 0x7 0 "v"`, "", "v/0x7/0"},
		{"delete: l1 only", 0, func(m *memRoute) { m.put("k", "one", 1) }, func(m *memRoute) { m.put("k", "two", 2) },
			req("delete", "k"), "mc_res_deleted", "delete k", "", "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l1, l2 := newMem("l1"), newMem("l2")
			if tc.l1 != nil {
				tc.l1(l1)
			}
			if tc.l2 != nil {
				tc.l2(l2)
			}
			r := &l1l2CacheRoute{l1: l1, l2: l2, kids: []Handle{l1, l2}, upgradingExp: 300, ncacheExp: 30, ncachePeriod: tc.period}
			cb := &flagCapture{}
			r.Route(testCtx(), tc.req, cb)
			if cb.String() != tc.want {
				t.Errorf("reply %s, want %s", cb, tc.want)
			}
			if got := l1.seenString(); got != tc.wantL1 {
				t.Errorf("l1 saw %q, want %q", got, tc.wantL1)
			}
			if got := l2.seenString(); got != tc.wantL2 {
				t.Errorf("l2 saw %q, want %q", got, tc.wantL2)
			}
			if got := l1.get("k"); got != tc.l1Item {
				t.Errorf("l1 has %s, want %s", got, tc.l1Item)
			}
		})
	}
}

// TestL1L2CacheRouteNcachePeriod: every ncacheUpdatePeriod-th negative
// hit refreshes L1, in the background.
func TestL1L2CacheRouteNcachePeriod(t *testing.T) {
	l1, l2 := newMem("l1"), newMem("l2")
	l1.put("k", "ncache", ncacheFlag)
	l2.deferred = true
	r := &l1l2CacheRoute{l1: l1, l2: l2, kids: []Handle{l1, l2}, upgradingExp: 300, ncacheExp: 30, ncachePeriod: 3}
	ctx := testCtx()
	for i := 1; i <= 6; i++ {
		cb := &flagCapture{}
		r.Route(ctx, req("get", "k"), cb)
		if cb.String() != "mc_res_notfound" {
			t.Fatalf("hit %d: %s", i, cb)
		}
		if want := i / 3; len(l2.seen) != want {
			t.Fatalf("after %d ncache hits l2 got %d refreshes, want %d", i, len(l2.seen), want)
		}
	}
	l2.flush()
	if got := l1.seenString(); strings.Count(got, `set k 0x10000 30 "ncache"`) != 2 {
		t.Fatalf("l1 saw %s", got)
	}
}

// TestL1L2CacheRouteSlow: a slow l2 is waited for; the fill of l1 does not
// hold up the reply.
func TestL1L2CacheRouteSlow(t *testing.T) {
	l1, l2 := newMem("l1"), newMem("l2")
	l2.put("k", "two", 2)
	l1.deferred, l2.deferred = true, true
	r := &l1l2CacheRoute{l1: l1, l2: l2, kids: []Handle{l1, l2}, upgradingExp: 300}
	cb := &flagCapture{}
	r.Route(testCtx(), req("get", "k"), cb)
	l1.step()
	if len(cb.got) != 0 {
		t.Fatalf("answered before l2: %v", cb.got)
	}
	l2.step()
	if cb.String() != "mc_res_found=two/0x2" || len(l1.queue) != 1 {
		t.Fatalf("reply %s, l1 pending %d", cb, len(l1.queue))
	}
	l1.flush()
	if l1.get("k") != "two/0x2/300" {
		t.Fatalf("l1 has %s", l1.get("k"))
	}
}

func TestL1L2CacheRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1"]},"B":{"servers":["127.0.0.1:2"]}}`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"L1L2CacheRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","upgradingL1Exptime":10,"ncacheExptime":5,"ncacheUpdatePeriod":100}`, ""},
		{`{"type":"L1L2CacheRoute","l2":"PoolRoute|B","upgradingL1Exptime":10}`, "<config>:1: L1L2CacheRoute: no l1 route"},
		{`{"type":"L1L2CacheRoute","l1":"PoolRoute|A","upgradingL1Exptime":10}`, "<config>:1: L1L2CacheRoute: no l2 route"},
		{`{"type":"L1L2CacheRoute","l1":"PoolRoute|A","l2":"PoolRoute|B"}`, "<config>:1: L1L2CacheRoute: no upgradingL1Exptime"},
		{`{"type":"L1L2CacheRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","upgradingL1Exptime":1.5}`, "<config>:1: L1L2CacheRoute: upgradingL1Exptime is not an integer"},
		{`{"type":"L1L2CacheRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","upgradingL1Exptime":1,"ncacheUpdatePeriod":-1}`, "<config>:1: L1L2CacheRoute: ncacheUpdatePeriod is out of range (0..4294967295)"},
	} {
		cfg, err := Build("", []byte(`{`+pools+`,"route":`+tc.route+`}`), Options{})
		if tc.want != "" {
			if err == nil || err.Error() != tc.want {
				t.Errorf("%s: error %v, want %s", tc.route, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.route, err)
		}
		if got := cfg.Root.(*rootRoute).def.Name(); got != "l1l2-cache" {
			t.Errorf("%s: built %s", tc.route, got)
		}
	}
}
