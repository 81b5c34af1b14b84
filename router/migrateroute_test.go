package router

import (
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
)

func TestMigrateRoute(t *testing.T) {
	const start, interval = 1_000_000, 100
	// k's own migration time.
	kT := int64(start + interval + int64(hashfunc.SpookyHash32([]byte("k"), 0))%interval)
	cases := []struct {
		name     string
		now      int64
		req      *mc.Request
		from, to *fakeRoute
		order    []int // completion order of deferred children (0 from, 1 to)
		want     string
		sent     string // "from", "to" or "both"
	}{
		{"get before start", start - 1, req("get", "k"), fake("f", mc.ResFound, "old"), fake("t", mc.ResFound, "new"), nil, "mc_res_found=old", "from"},
		{"get inside the window before its time", kT - 1, req("get", "k"), fake("f", mc.ResFound, "old"), fake("t", mc.ResFound, "new"), nil, "mc_res_found=old", "from"},
		{"get at its time", kT, req("get", "k"), fake("f", mc.ResFound, "old"), fake("t", mc.ResFound, "new"), nil, "mc_res_found=new", "to"},
		{"set after the window", start + 2*interval, req("set", "k"), fake("f", mc.ResStored), fake("t", mc.ResNotStored), nil, "mc_res_notstored", "to"},
		{"routing prefix and hash stop are not hashed", kT, req("get", "/a/b/k|#|x"), fake("f", mc.ResFound, "old"), fake("t", mc.ResFound, "new"), nil, "mc_res_found=new", "to"},
		{"delete before start", start - 1, req("delete", "k"), fake("f", mc.ResDeleted), fake("t", mc.ResNotFound), nil, "mc_res_deleted", "from"},
		{"delete at start: both, worst", start, req("delete", "k"), fake("f", mc.ResDeleted), fake("t", mc.ResNotFound), nil, "mc_res_notfound", "both"},
		{"delete: error from to is worst", start + interval, req("delete", "k"), fake("f", mc.ResNotFound), fake("t", mc.ResTimeout, "slow"), nil, "mc_res_timeout(slow)", "both"},
		{"delete: ties answer from's", start + 1, req("delete", "k"), fake("f", mc.ResDeleted, "from"), fake("t", mc.ResDeleted, "to"), []int{1, 0}, "mc_res_deleted=from", "both"},
		{"delete: slow from is waited for", start + 2*interval - 1, req("delete", "k"), fake("f", mc.ResConnectError), fake("t", mc.ResDeleted), []int{1, 0}, "mc_res_connect_error", "both"},
		{"delete after the window", start + 2*interval, req("delete", "k"), fake("f", mc.ResDeleted), fake("t", mc.ResNotFound), nil, "mc_res_notfound", "to"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			r := &migrateRoute{from: tc.from, to: tc.to, kids: []Handle{tc.from, tc.to}, start: start, interval: interval, now: func() int64 { return now }}
			tc.from.deferred, tc.to.deferred = tc.order != nil, tc.order != nil
			cb := &capture{}
			r.Route(testCtx(), tc.req, cb)
			kids := []*fakeRoute{tc.from, tc.to}
			for i, o := range tc.order {
				if len(cb.got) != 0 {
					t.Fatalf("answered after %d of 2 replies", i)
				}
				kids[o].flush()
			}
			if cb.String() != tc.want {
				t.Errorf("got %s, want %s", cb, tc.want)
			}
			sent := map[[2]int]string{{1, 0}: "from", {0, 1}: "to", {1, 1}: "both"}[[2]int{len(tc.from.seen), len(tc.to.seen)}]
			if sent != tc.sent {
				t.Errorf("sent to %s (from %v, to %v), want %s", sent, tc.from.seen, tc.to.seen, tc.sent)
			}
			var path []string
			r.Traverse(tc.req, 0, func(h Handle, depth int) { path = append(path, h.Name()) })
			wantPath := map[string]string{"from": "migrate f", "to": "migrate t", "both": "migrate f t"}[tc.sent]
			if got := join(path); got != wantPath {
				t.Errorf("traverse %s, want %s", got, wantPath)
			}
		})
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestMigrateRouteSpread: keys move at times spread over the interval.
func TestMigrateRouteSpread(t *testing.T) {
	const start, interval = 5000, 1000
	now := int64(start + interval + interval/2)
	r := &migrateRoute{start: start, interval: interval, now: func() int64 { return now }}
	moved := 0
	for i := 0; i < 1000; i++ {
		if r.mask(req("get", "key"+string(rune('a'+i%26))+string(rune('a'+i/26)))) == migrateTo {
			moved++
		}
	}
	if moved < 400 || moved > 600 {
		t.Fatalf("%d of 1000 keys moved half way through the interval", moved)
	}
}

func TestMigrateRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1"]},"B":{"servers":["127.0.0.1:2"]}}`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"MigrateRoute","from":"PoolRoute|A","to":"PoolRoute|B","start_time":1700000000,"interval":60}`, ""},
		{`{"type":"MigrateRoute","from":"PoolRoute|A","to":"PoolRoute|B","start_time":1700000000}`, ""},
		{`{"type":"MigrateRoute","to":"PoolRoute|B","start_time":1}`, "<config>:1: MigrateRoute: no from route"},
		{`{"type":"MigrateRoute","from":"PoolRoute|A","start_time":1}`, "<config>:1: MigrateRoute: no to route"},
		{`{"type":"MigrateRoute","from":"PoolRoute|A","to":"PoolRoute|B"}`, "<config>:1: MigrateRoute: no start_time"},
		{`{"type":"MigrateRoute","from":"PoolRoute|A","to":"PoolRoute|B","start_time":"now"}`, "<config>:1: MigrateRoute: start_time is not an integer"},
		{`{"type":"MigrateRoute","from":"PoolRoute|A","to":"PoolRoute|B","start_time":1,"interval":0}`, "<config>:1: MigrateRoute: interval must be positive"},
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
		r, ok := cfg.Root.(*rootRoute).def.(*migrateRoute)
		if !ok || r.Name() != "migrate" || (r.interval != 60 && r.interval != 3600) {
			t.Errorf("%s: built %v", tc.route, cfg.Root.(*rootRoute).def.Name())
		}
	}
}
