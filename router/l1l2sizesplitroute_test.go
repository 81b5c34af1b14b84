package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestL1L2SizeSplitRoute(t *testing.T) {
	big := strings.Repeat("x", 10)
	long := strings.Repeat("k", 240)
	cases := []struct {
		name   string
		both   bool
		ttl    int64 // ttl_threshold
		l1, l2 func(m *memRoute)
		req    *mc.Request
		want   string
		wantL1 string
		wantL2 string
	}{
		{"small set: l1", false, 0, nil, nil,
			storeReq("set", "k", "abc", 1, 0), "mc_res_stored", `set k 0x1 0 "abc"`, ""},
		{"large set: l2, then the sentinel in l1", false, 0, nil, nil,
			storeReq("set", "k", big, 1, 9), "mc_res_stored", `set k 0x21 9 ""`, `set k 0x1 9 "xxxxxxxxxx"`},
		{"large set, l2 down: its error, l1 untouched", false, 0, nil, func(m *memRoute) { m.err = mc.ResConnectError },
			storeReq("set", "k", big, 1, 9), "mc_res_connect_error", "", `set k 0x1 9 "xxxxxxxxxx"`},
		{"large set, short ttl: l1", false, 100, nil, nil,
			storeReq("set", "k", big, 1, 9), "mc_res_stored", `set k 0x1 9 "xxxxxxxxxx"`, ""},
		{"large set, long key: l1", false, 0, nil, nil,
			storeReq("set", long, big, 1, 0), "mc_res_stored", `set ` + long + ` 0x1 0 "xxxxxxxxxx"`, ""},
		{"large set, both_full_set: l1 then l2", true, 0, nil, nil,
			storeReq("set", "k", big, 1, 0), "mc_res_stored", `set k 0x1 0 "xxxxxxxxxx"`, `set k 0x1 0 "xxxxxxxxxx"`},
		{"large set, both_full_set, l1 down: l2 not written", true, 0, func(m *memRoute) { m.err = mc.ResTimeout }, nil,
			storeReq("set", "k", big, 1, 0), "mc_res_timeout", `set k 0x1 0 "xxxxxxxxxx"`, ""},
		{"add: l1 only", false, 0, nil, nil,
			storeReq("add", "k", big, 1, 0), "mc_res_stored", `add k 0x1 0 "xxxxxxxxxx"`, ""},
		{"get: plain l1 hit", false, 0, func(m *memRoute) { m.put("k", "v", 4) }, nil,
			req("get", "k"), "mc_res_found=v/0x4", "get k", ""},
		{"get: l1 miss", false, 0, nil, func(m *memRoute) { m.put("k", "v", 4) },
			req("get", "k"), "mc_res_notfound", "get k", ""},
		{"get: sentinel reads l2, client sees its flags", false, 0, func(m *memRoute) { m.put("k", "", 0x21) }, func(m *memRoute) { m.put("k", big, 1) },
			req("get", "k"), "mc_res_found=xxxxxxxxxx/0x1", "get k", "get k"},
		{"get: sentinel, l2 down", false, 0, func(m *memRoute) { m.put("k", "", 0x21) }, func(m *memRoute) { m.err = mc.ResConnectError },
			req("get", "k"), "mc_res_connect_error", "get k", "get k"},
		{"get: sentinel with a value reads <key>|==|<value>", false, 0, func(m *memRoute) { m.put("k", "42", 0x21) }, func(m *memRoute) { m.put("k|==|42", big, 1) },
			req("get", "k"), "mc_res_found=xxxxxxxxxx/0x1", "get k", "get k|==|42"},
		{"get: sentinel with a value, l2 miss: sentinel deleted, LOCAL_ERROR", false, 0, func(m *memRoute) { m.put("k", "42", 0x21) }, nil,
			req("get", "k"), "mc_res_local_error", `get k; gets k; cas k 0x0 -1 ""`, "get k|==|42"},
		{"get: sentinel with a value, l2 times out: sentinel deleted", false, 0, func(m *memRoute) { m.put("k", "42", 0x21) }, func(m *memRoute) { m.err = mc.ResTimeout },
			req("get", "k"), "mc_res_timeout", `get k; gets k; cas k 0x0 -1 ""`, "get k|==|42"},
		{"gets: sentinel answers l2's value with l1's cas", false, 0, func(m *memRoute) { m.nextCas = 9; m.put("k", "", 0x21) }, func(m *memRoute) { m.put("k", big, 1) },
			req("gets", "k"), "mc_res_found=xxxxxxxxxx/0x1/cas10", "gets k", "get k"},
		{"gets: l2 miss retries once, then l1's miss", false, 0, func(m *memRoute) { m.put("k", "", 0x21) }, nil,
			req("gets", "k"), "mc_res_notfound", `gets k; gets k; cas k 0x0 -1 ""; gets k`, "get k"},
		{"gets: plain hit", false, 0, func(m *memRoute) { m.put("k", "v", 4) }, nil,
			req("gets", "k"), "mc_res_found=v/0x4/cas1", "gets k", ""},
		{"delete: l1 only", false, 0, func(m *memRoute) { m.put("k", "", 0x21) }, func(m *memRoute) { m.put("k", big, 1) },
			req("delete", "k"), "mc_res_deleted", "delete k", ""},
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
			r := &l1l2SizeSplitRoute{l1: l1, l2: l2, kids: []Handle{l1, l2}, threshold: 5, ttlThreshold: tc.ttl, failureTTL: 60, bothFullSet: tc.both, retries: 1}
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
		})
	}
}

// TestL1L2SizeSplitRouteSlow: with slow children the set waits for L2 and
// then the sentinel; with both_full_set the copy to L2 does not hold up
// the reply.
func TestL1L2SizeSplitRouteSlow(t *testing.T) {
	l1, l2 := newMem("l1"), newMem("l2")
	l1.deferred, l2.deferred = true, true
	r := &l1l2SizeSplitRoute{l1: l1, l2: l2, kids: []Handle{l1, l2}, threshold: 5, retries: 1}
	cb := &flagCapture{}
	r.Route(testCtx(), storeReq("set", "k", "0123456789", 3, 0), cb)
	l2.step()
	if len(cb.got) != 0 || len(l1.queue) != 1 {
		t.Fatalf("reply %v before the sentinel was stored", cb.got)
	}
	l1.step()
	if cb.String() != "mc_res_stored" || l1.get("k") != "/0x23/0" || l2.get("k") != "0123456789/0x3/0" {
		t.Fatalf("reply %s, l1 %s, l2 %s", cb, l1.get("k"), l2.get("k"))
	}
	cb.got = nil
	r.Route(testCtx(), req("get", "k"), cb)
	l1.step()
	l2.step()
	if cb.String() != "mc_res_found=0123456789/0x3" {
		t.Fatalf("get: %s", cb)
	}

	r.bothFullSet = true
	cb.got = nil
	r.Route(testCtx(), storeReq("set", "j", "0123456789", 3, 0), cb)
	l1.step()
	if cb.String() != "mc_res_stored" || len(l2.queue) != 1 {
		t.Fatalf("both_full_set: reply %s, l2 pending %d", cb, len(l2.queue))
	}
	l2.flush()
	if l2.get("j") != "0123456789/0x3/0" {
		t.Fatalf("l2 has %s", l2.get("j"))
	}
}

func TestL1L2SizeSplitRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1"]},"B":{"servers":["127.0.0.1:2"]}}`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"L1L2SizeSplitRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","threshold":100,"ttl_threshold":10,"failure_ttl":5,"both_full_set":true,"retries":3}`, ""},
		{`{"type":"L1L2SizeSplitRoute","l1":"PoolRoute|A","l2":"PoolRoute|B"}`, "<config>:1: L1L2SizeSplitRoute: no threshold"},
		{`{"type":"L1L2SizeSplitRoute","l2":"PoolRoute|B","threshold":1}`, "<config>:1: L1L2SizeSplitRoute: no l1 route"},
		{`{"type":"L1L2SizeSplitRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","threshold":1,"failure_ttl":0}`, "<config>:1: L1L2SizeSplitRoute: failure_ttl must not be zero"},
		{`{"type":"L1L2SizeSplitRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","threshold":1,"retries":11}`, "<config>:1: L1L2SizeSplitRoute: number of retries must be 1..10"},
		{`{"type":"L1L2SizeSplitRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","threshold":1,"both_full_set":1}`, "<config>:1: L1L2SizeSplitRoute: both_full_set is not a boolean"},
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
		if got := cfg.Root.(*rootRoute).def.Name(); got != "l1l2-sizesplit" {
			t.Errorf("%s: built %s", tc.route, got)
		}
	}
}
