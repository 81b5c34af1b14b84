package router

import (
	"mcroute/codec/mc"
	"testing"
)

func TestAllFastestRoute(t *testing.T) {
	cases := []struct {
		name     string
		children []*fakeRoute
		order    []int // completion order of the (deferred) children
		after    int   // replies seen when the client is answered
		want     string
	}{
		{"fastest hit", []*fakeRoute{fake("a", mc.ResFound, "slow"), fake("b", mc.ResFound, "fast")}, []int{1, 0}, 1, "mc_res_found=fast"},
		{"a miss is not a failover error", []*fakeRoute{fake("a", mc.ResFound, "v"), fake("b", mc.ResNotFound)}, []int{1, 0}, 1, "mc_res_notfound"},
		{"timeout skipped", []*fakeRoute{fake("a", mc.ResTimeout, "Reply timeout"), fake("b", mc.ResStored)}, []int{0, 1}, 2, "mc_res_stored"},
		{"failover errors skipped", []*fakeRoute{fake("a", mc.ResConnectError), fake("b", mc.ResBusy), fake("c", mc.ResDeleted), fake("d", mc.ResDeleted)}, []int{0, 1, 2, 3}, 3, "mc_res_deleted"},
		{"all fail: the last one", []*fakeRoute{fake("a", mc.ResTimeout), fake("b", mc.ResConnectError, "refused"), fake("c", mc.ResTko)}, []int{2, 0, 1}, 3, "mc_res_connect_error(refused)"},
		{"client error is not a failover error", []*fakeRoute{fake("a", mc.ResClientError, "bad"), fake("b", mc.ResStored)}, []int{0, 1}, 1, "mc_res_client_error(bad)"},
		{"answering at once", []*fakeRoute{fake("a", mc.ResRemoteError, "x"), fake("b", mc.ResFound, "v"), fake("c", mc.ResFound, "w")}, nil, 0, "mc_res_found=v"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx()
			var hs []Handle
			for _, c := range tc.children {
				c.deferred = tc.order != nil
				hs = append(hs, c)
			}
			r := &allFastestRoute{children: hs}
			cb := &capture{}
			rq := req("get", "k")
			r.Route(ctx, rq, cb)
			for i, o := range tc.order {
				if i < tc.after && len(cb.got) != 0 {
					t.Fatalf("answered %s after %d replies, want after %d", cb, i, tc.after)
				}
				if i == tc.after {
					if len(cb.got) != 1 {
						t.Fatalf("not answered after %d replies", i)
					}
					if n := free[allFastestState](ctx, allFastestKind); n != 0 {
						t.Fatalf("state released with children in flight")
					}
					scribble(rq) // the client's request may be gone now
				}
				tc.children[o].flush()
			}
			if cb.String() != tc.want {
				t.Fatalf("got %q, want %s", cb, tc.want)
			}
			for _, c := range tc.children {
				if len(c.seen) != 1 || c.seen[0] != "get k" {
					t.Errorf("child %s saw %v", c.name, c.seen)
				}
			}
			if n := free[allFastestState](ctx, allFastestKind); n != 1 {
				t.Fatalf("%d states free after the last reply, want 1", n)
			}
		})
	}
}

func TestAllFastestRouteCopiesRequest(t *testing.T) {
	ctx := testCtx()
	a, b := fake("a", mc.ResStored), &lateRoute{name: "b", res: mc.ResStored}
	r := &allFastestRoute{children: []Handle{a, b}}
	cb := &capture{}
	rq := setReq("key", "value")
	r.Route(ctx, rq, cb)
	scribble(rq)
	b.flush()
	if cb.String() != "mc_res_stored" || b.seen[0] != "set key=value" {
		t.Fatalf("reply %s, slow child saw %v", cb, b.seen)
	}
}

func TestAllFastestRouteBuild(t *testing.T) {
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},"B":{"servers":["127.0.0.1:3"]}}`
	for _, tc := range []struct{ cfg, want string }{
		{`{` + pool + `,"route":"AllFastestRoute|Pool|A"}`, "all-fastest"},
		{`{` + pool + `,"route":{"type":"AllFastestRoute","children":["PoolRoute|A","PoolRoute|B"]}}`, "all-fastest"},
		{`{` + pool + `,"route":{"type":"AllFastestRoute","children":["Pool|B"]}}`, "host|pool=B|id=0|ap=127.0.0.1:3:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{`{"route":{"type":"AllFastestRoute","children":""}}`, "null"},
	} {
		if got := built(t, tc.cfg).Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
}
