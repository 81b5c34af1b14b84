package router

import (
	"mcroute/codec/mc"
	"strings"
	"testing"
)

func TestAllInitialRoute(t *testing.T) {
	cases := []struct {
		name     string
		children []*fakeRoute
		deferred []bool // per child
		want     string
	}{
		{"first child's hit", []*fakeRoute{fake("a", mc.ResFound, "first"), fake("b", mc.ResFound, "second")}, nil, "mc_res_found=first"},
		{"first child's miss beats a later hit", []*fakeRoute{fake("a", mc.ResNotFound), fake("b", mc.ResFound, "v")}, nil, "mc_res_notfound"},
		{"first child's error", []*fakeRoute{fake("a", mc.ResLocalError, "boom"), fake("b", mc.ResStored)}, nil, "mc_res_local_error(boom)"},
		{"others' errors are not seen", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResTimeout), fake("c", mc.ResClientError, "x")}, nil, "mc_res_stored"},
		{"slow first child is waited for", []*fakeRoute{fake("a", mc.ResTimeout, "Reply timeout"), fake("b", mc.ResStored)}, []bool{true, false}, "mc_res_timeout(Reply timeout)"},
		{"slow others are not", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResStored), fake("c", mc.ResStored)}, []bool{false, true, true}, "mc_res_stored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx()
			var hs []Handle
			for i, c := range tc.children {
				c.deferred = tc.deferred != nil && tc.deferred[i]
				hs = append(hs, c)
			}
			r := &allInitialRoute{children: hs}
			cb := &capture{}
			r.Route(ctx, req("set", "k"), cb)
			if tc.children[0].deferred {
				if len(cb.got) != 0 {
					t.Fatalf("answered %s before the first child", cb)
				}
				tc.children[0].flush()
			}
			if cb.String() != tc.want {
				t.Fatalf("got %q, want %s", cb, tc.want)
			}
			for _, c := range tc.children {
				if len(c.seen) != 1 || c.seen[0] != "set k" {
					t.Errorf("child %s saw %v", c.name, c.seen)
				}
				c.flush()
			}
			if len(cb.got) != 1 {
				t.Fatalf("answered %d times: %s", len(cb.got), cb)
			}
			if n := free[asyncFan](ctx, asyncFanKind); n != 1 {
				t.Fatalf("%d states free after the last reply, want 1", n)
			}
		})
	}
}

// TestAllInitialRouteCopiesRequest: the background children read a good
// request after the client's has been answered and recycled.
func TestAllInitialRouteCopiesRequest(t *testing.T) {
	ctx := testCtx()
	first := fake("a", mc.ResStored)
	b, c := &lateRoute{name: "b", res: mc.ResStored}, &lateRoute{name: "c", res: mc.ResNotStored}
	r := &allInitialRoute{children: []Handle{first, b, c}}
	cb := &capture{}
	rq := setReq("key", "value")
	r.Route(ctx, rq, cb)
	if cb.String() != "mc_res_stored" {
		t.Fatalf("got %s", cb)
	}
	scribble(rq)
	if n := free[asyncFan](ctx, asyncFanKind); n != 0 {
		t.Fatalf("state released with children in flight")
	}
	b.flush()
	c.flush()
	if b.seen[0] != "set key=value" || c.seen[0] != "set key=value" {
		t.Errorf("background children saw %v %v", b.seen, c.seen)
	}
	if n := free[asyncFan](ctx, asyncFanKind); n != 1 {
		t.Errorf("%d states free, want 1", n)
	}
}

func TestAllInitialRouteBuild(t *testing.T) {
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},"B":{"servers":["127.0.0.1:3"]}}`
	for _, tc := range []struct{ cfg, want string }{
		{`{` + pool + `,"route":"AllInitialRoute|Pool|A"}`, "all-initial"},
		{`{` + pool + `,"route":{"type":"AllInitialRoute","children":["PoolRoute|B","PoolRoute|A"]}}`, "all-initial"},
		{`{` + pool + `,"route":{"type":"AllInitialRoute","children":"Pool|B"}}`, "host|pool=B|id=0|ap=127.0.0.1:3:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{`{"route":{"type":"AllInitialRoute","children":[]}}`, "null"},
	} {
		if got := built(t, tc.cfg).Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
	if msg := buildErr(t, `{"route":{"type":"AllInitialRoute","children":"Pool|nope"}}`); !strings.Contains(msg, "nope") {
		t.Errorf("error %q does not name the pool", msg)
	}
}
