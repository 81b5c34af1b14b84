package router

import (
	"mcroute/codec/mc"
	"testing"
)

func TestAllMajorityRoute(t *testing.T) {
	D, N, S := mc.ResDeleted, mc.ResNotFound, mc.ResStored
	cases := []struct {
		name     string
		children []*fakeRoute
		order    []int // completion order; nil: all answer at once
		after    int   // replies seen when the client is answered
		want     string
	}{
		{"2 DELETED + 2 NOT_FOUND → NOT_FOUND", []*fakeRoute{fake("a", D), fake("b", D), fake("c", N), fake("d", N)}, []int{0, 1, 2, 3}, 4, "mc_res_notfound"},
		{"same, misses first", []*fakeRoute{fake("a", D), fake("b", D), fake("c", N), fake("d", N)}, []int{2, 3, 0, 1}, 4, "mc_res_notfound"},
		{"same, interleaved", []*fakeRoute{fake("a", D), fake("b", D), fake("c", N), fake("d", N)}, []int{0, 2, 1, 3}, 4, "mc_res_notfound"},
		{"majority of 3 stops early", []*fakeRoute{fake("a", S), fake("b", mc.ResTimeout, "Reply timeout"), fake("c", S)}, []int{0, 2, 1}, 2, "mc_res_stored"},
		{"majority beats a worse minority", []*fakeRoute{fake("a", mc.ResTimeout), fake("b", S), fake("c", S)}, []int{0, 1, 2}, 3, "mc_res_stored"},
		{"tie of 2: the worse (error)", []*fakeRoute{fake("a", S), fake("b", mc.ResLocalError, "boom")}, []int{0, 1}, 2, "mc_res_local_error(boom)"},
		{"tie of 2: the worse, error first", []*fakeRoute{fake("a", S), fake("b", mc.ResLocalError, "boom")}, []int{1, 0}, 2, "mc_res_local_error(boom)"},
		{"all different: the worst", []*fakeRoute{fake("a", mc.ResFound, "v"), fake("b", N), fake("c", mc.ResTimeout)}, []int{2, 1, 0}, 3, "mc_res_timeout"},
		{"the leading result's latest reply", []*fakeRoute{fake("a", mc.ResFound, "first"), fake("b", mc.ResFound, "second"), fake("c", N)}, []int{0, 1, 2}, 2, "mc_res_found=second"},
		{"all miss", []*fakeRoute{fake("a", N), fake("b", N), fake("c", N)}, nil, 0, "mc_res_notfound"},
		{"5 children, 3 agree", []*fakeRoute{fake("a", S), fake("b", mc.ResNotStored), fake("c", S), fake("d", mc.ResConnectError), fake("e", S)}, []int{1, 0, 3, 2, 4}, 5, "mc_res_stored"},
		{"5 children stop at 3 of 5", []*fakeRoute{fake("a", S), fake("b", S), fake("c", S), fake("d", mc.ResTimeout), fake("e", mc.ResTimeout)}, []int{0, 1, 2, 3, 4}, 3, "mc_res_stored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx()
			var hs []Handle
			for _, c := range tc.children {
				c.deferred = tc.order != nil
				hs = append(hs, c)
			}
			r := &allMajorityRoute{children: hs, need: len(hs)/2 + 1}
			cb := &capture{}
			rq := req("delete", "k")
			r.Route(ctx, rq, cb)
			for i, o := range tc.order {
				if i < tc.after && len(cb.got) != 0 {
					t.Fatalf("answered %s after %d replies, want after %d", cb, i, tc.after)
				}
				if i == tc.after {
					if len(cb.got) != 1 {
						t.Fatalf("not answered after %d replies", i)
					}
					if n := free[allMajorityState](ctx, allMajorityKind); n != 0 {
						t.Fatalf("state released with children in flight")
					}
					scribble(rq)
				}
				tc.children[o].flush()
			}
			if cb.String() != tc.want {
				t.Fatalf("got %q, want %s", cb, tc.want)
			}
			for _, c := range tc.children {
				if len(c.seen) != 1 || c.seen[0] != "delete k" {
					t.Errorf("child %s saw %v", c.name, c.seen)
				}
			}
			if n := free[allMajorityState](ctx, allMajorityKind); n != 1 {
				t.Fatalf("%d states free after the last reply, want 1", n)
			}
		})
	}
}

// TestAllMajorityRouteReuse: a reused state starts from zero counts.
func TestAllMajorityRouteReuse(t *testing.T) {
	ctx := testCtx()
	a, b, c := fake("a", mc.ResStored), fake("b", mc.ResStored), fake("c", mc.ResNotStored)
	r := &allMajorityRoute{children: []Handle{a, b, c}, need: 2}
	cb := &capture{}
	r.Route(ctx, req("set", "k"), cb)
	a.res, b.res, c.res = mc.ResNotStored, mc.ResExists, mc.ResStored
	r.Route(ctx, req("set", "k"), cb)
	// Second request: NOT_STORED, EXISTS, STORED all once; ties go to the
	// worse: NOT_STORED (4) over EXISTS and STORED (1).
	if cb.String() != "mc_res_stored,mc_res_notstored" {
		t.Fatalf("got %s", cb)
	}
}

func TestAllMajorityRouteCopiesRequest(t *testing.T) {
	ctx := testCtx()
	a, b := fake("a", mc.ResStored), fake("b", mc.ResStored)
	slow := &lateRoute{name: "c", res: mc.ResStored}
	r := &allMajorityRoute{children: []Handle{a, b, slow}, need: 2}
	cb := &capture{}
	rq := setReq("key", "value")
	r.Route(ctx, rq, cb)
	if cb.String() != "mc_res_stored" {
		t.Fatalf("got %s", cb)
	}
	scribble(rq)
	slow.flush()
	if slow.seen[0] != "set key=value" {
		t.Fatalf("slow child saw %v", slow.seen)
	}
	if n := free[allMajorityState](ctx, allMajorityKind); n != 1 {
		t.Fatalf("%d states free, want 1", n)
	}
}

func TestAllMajorityRouteBuild(t *testing.T) {
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2","127.0.0.1:4","127.0.0.1:5"]},"B":{"servers":["127.0.0.1:3"]}}`
	for _, tc := range []struct {
		cfg, want string
		need      int
	}{
		{`{` + pool + `,"route":"AllMajorityRoute|Pool|A"}`, "all-majority", 3},
		{`{` + pool + `,"route":{"type":"AllMajorityRoute","children":["PoolRoute|A","PoolRoute|B","Pool|B"]}}`, "all-majority", 2},
		{`{` + pool + `,"route":{"type":"AllMajorityRoute","children":"Pool|B"}}`, "host|pool=B|id=0|ap=127.0.0.1:3:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0", 0},
		{`{"route":{"type":"AllMajorityRoute","children":[]}}`, "null", 0},
	} {
		h := built(t, tc.cfg)
		if got := h.Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
		if m, ok := h.(*allMajorityRoute); ok && m.need != tc.need {
			t.Errorf("%s: need %d, want %d", tc.cfg, m.need, tc.need)
		}
	}
}
