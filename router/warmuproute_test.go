package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

// step answers the oldest deferred request of m only.
func (m *memRoute) step() {
	f := m.queue[0]
	m.queue = m.queue[1:]
	f()
}

func TestWarmUpRoute(t *testing.T) {
	gat := func(op string, exptime int64) *mc.Request {
		r := req(op, "k")
		r.Exptime = exptime
		return r
	}
	cases := []struct {
		name       string
		cold, warm func(m *memRoute)
		req        *mc.Request
		want       string
		wantCold   string // requests cold saw
		wantWarm   string
		coldItem   string // k in cold afterwards
	}{
		{"get: cold hit", func(m *memRoute) { m.put("k", "c", 1) }, func(m *memRoute) { m.put("k", "w", 2) },
			req("get", "k"), "mc_res_found=c/0x1", "get k", "", "c/0x1/0"},
		{"get: cold miss, warm hit fills cold", nil, func(m *memRoute) { m.put("k", "w", 2) },
			req("get", "k"), "mc_res_found=w/0x2", `get k; add k 0x2 500 "w"`, "get k", "w/0x2/500"},
		{"get: both miss", nil, nil,
			req("get", "k"), "mc_res_notfound", "get k", "get k", "-"},
		{"get: cold error, warm hit", func(m *memRoute) { m.err = mc.ResTimeout }, func(m *memRoute) { m.put("k", "w", 2) },
			req("get", "k"), "mc_res_found=w/0x2", `get k; add k 0x2 500 "w"`, "get k", "-"},
		{"get: warm error answers", nil, func(m *memRoute) { m.err = mc.ResConnectError },
			req("get", "k"), "mc_res_connect_error", "get k", "get k", "-"},
		{"gets: cold hit", func(m *memRoute) { m.put("k", "c", 1) }, nil,
			req("gets", "k"), "mc_res_found=c/0x1/cas1", "gets k", "", "c/0x1/0"},
		{"gets: warm hit is added, then cold answers with its cas", func(m *memRoute) { m.nextCas = 40 }, func(m *memRoute) { m.put("k", "w", 2) },
			req("gets", "k"), "mc_res_found=w/0x2/cas41", `gets k; add k 0x2 500 "w"; gets k`, "get k", "w/0x2/500"},
		{"gets: both miss", nil, nil,
			req("gets", "k"), "mc_res_notfound", "gets k", "get k", "-"},
		{"gets: cold error is answered, warm not asked", func(m *memRoute) { m.err = mc.ResTko }, func(m *memRoute) { m.put("k", "w", 2) },
			req("gets", "k"), "mc_res_tko", "gets k", "", "-"},
		{"gat: the fill takes the request's exptime", nil, func(m *memRoute) { m.put("k", "w", 2) },
			gat("gat", 77), "mc_res_found=w/0x2", `gat k; add k 0x2 77 "w"; gat k`, "get k", "w/0x2/77"},
		{"gats: warm error answers cold's miss", nil, func(m *memRoute) { m.err = mc.ResTimeout },
			gat("gats", 77), "mc_res_notfound", "gats k", "get k", "-"},
		{"set: cold only", nil, nil,
			storeReq("set", "k", "v", 3, 9), "mc_res_stored", `set k 0x3 9 "v"`, "", "v/0x3/9"},
		{"delete: cold only", func(m *memRoute) { m.put("k", "c", 1) }, func(m *memRoute) { m.put("k", "w", 2) },
			req("delete", "k"), "mc_res_deleted", "delete k", "", "-"},
		{"incr: cold only", nil, nil,
			req("incr", "k"), "mc_res_notfound", "incr k", "", "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cold, warm := newMem("cold"), newMem("warm")
			if tc.cold != nil {
				tc.cold(cold)
			}
			if tc.warm != nil {
				tc.warm(warm)
			}
			cold.seen, warm.seen = nil, nil
			r := &warmUpRoute{cold: cold, warm: warm, kids: []Handle{cold, warm}, exptime: 500}
			cb := &flagCapture{}
			r.Route(testCtx(), tc.req, cb)
			if cb.String() != tc.want {
				t.Errorf("reply %s, want %s", cb, tc.want)
			}
			if got := cold.seenString(); got != tc.wantCold {
				t.Errorf("cold saw %q, want %q", got, tc.wantCold)
			}
			if got := warm.seenString(); got != tc.wantWarm {
				t.Errorf("warm saw %q, want %q", got, tc.wantWarm)
			}
			if got := cold.get("k"); got != tc.coldItem {
				t.Errorf("cold has %s, want %s", got, tc.coldItem)
			}
		})
	}
}

// TestWarmUpRouteSlow: slow children are waited for, and the fill of cold
// does not hold up the client's reply.
func TestWarmUpRouteSlow(t *testing.T) {
	cold, warm := newMem("cold"), newMem("warm")
	warm.put("k", "w", 2)
	cold.deferred, warm.deferred = true, true
	r := &warmUpRoute{cold: cold, warm: warm, kids: []Handle{cold, warm}}
	ctx := testCtx()
	cb := &flagCapture{}
	r.Route(ctx, req("get", "k"), cb)
	cold.step()
	if len(cb.got) != 0 || len(warm.queue) != 1 {
		t.Fatalf("answered %v before warm replied", cb.got)
	}
	warm.step()
	if cb.String() != "mc_res_found=w/0x2" {
		t.Fatalf("reply %s", cb)
	}
	// The add is in flight (unanswered) although the client has its reply.
	if len(cold.queue) != 1 || !strings.HasPrefix(cold.seen[1], "add k 0x2 0 ") {
		t.Fatalf("cold: %v, %d pending", cold.seen, len(cold.queue))
	}
	cold.flush()
	if cold.get("k") != "w/0x2/0" {
		t.Fatalf("cold has %s", cold.get("k"))
	}

	// gets: the add is waited for, then gets again.
	cold.items, cold.seen, cb.got = map[string]memItem{}, nil, nil
	r.Route(ctx, req("gets", "k2"), cb)
	warm.put("k2", "w2", 5)
	cold.step()
	warm.step()
	cold.step() // the add
	if len(cb.got) != 0 {
		t.Fatalf("gets answered before cold was asked again: %v", cb.got)
	}
	cold.step()
	if !strings.HasPrefix(cb.String(), "mc_res_found=w2/0x5/cas") {
		t.Fatalf("gets: %s (cold saw %v)", cb, cold.seen)
	}
}

func TestWarmUpRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1"]},"B":{"servers":["127.0.0.1:2"]}}`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"WarmUpRoute","cold":"PoolRoute|A","warm":"PoolRoute|B","exptime":20}`, ""},
		{`{"type":"WarmUpRoute","cold":"PoolRoute|A","warm":"PoolRoute|B"}`, ""},
		{`{"type":"WarmUpRoute","warm":"PoolRoute|B"}`, "<config>:1: WarmUpRoute: no cold route"},
		{`{"type":"WarmUpRoute","cold":"PoolRoute|A"}`, "<config>:1: WarmUpRoute: no warm route"},
		{`{"type":"WarmUpRoute","cold":"PoolRoute|A","warm":"PoolRoute|B","exptime":"x"}`, "<config>:1: WarmUpRoute: exptime is not an integer"},
		{`"WarmUpRoute|PoolRoute|A"`, "<config>:1: WarmUpRoute should be object"},
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
		if got := cfg.Root.(*rootRoute).def.Name(); got != "warm-up" {
			t.Errorf("%s: built %s", tc.route, got)
		}
	}
	cfg, err := Build("", []byte(`{`+pools+`,"route":{"type":"WarmUpRoute","cold":"PoolRoute|A","warm":"PoolRoute|B","enable_metaget":true}}`), Options{})
	if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "enable_metaget") {
		t.Fatalf("enable_metaget: %v %v", err, cfg.Warnings)
	}
}
