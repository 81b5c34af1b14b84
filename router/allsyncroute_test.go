package router

import (
	"mcroute/codec/mc"
	"testing"
)

func TestAllSyncRoute(t *testing.T) {
	R := mc.ResNotFound
	cases := []struct {
		name     string
		children []*fakeRoute
		order    []int // completion order of deferred children; nil: all answer at once
		want     string
	}{
		{"all stored", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResStored)}, nil, "mc_res_stored"},
		{"miss beats hit", []*fakeRoute{fake("a", mc.ResFound, "v"), fake("b", R)}, nil, "mc_res_notfound"},
		{"error beats miss", []*fakeRoute{fake("a", R), fake("b", mc.ResTimeout, "Reply timeout"), fake("c", mc.ResFound, "v")}, nil, "mc_res_timeout(Reply timeout)"},
		{"client error is worst", []*fakeRoute{fake("a", mc.ResRemoteError, "x"), fake("b", mc.ResClientError, "bad")}, nil, "mc_res_client_error(bad)"},
		{"ties keep the first to complete", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResFound, "second"), fake("c", mc.ResFound, "first")}, []int{2, 1, 0}, "mc_res_found=first"},
		{"slow child is waited for", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResTimeout)}, []int{0, 1}, "mc_res_timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx()
			var hs []Handle
			for _, c := range tc.children {
				c.deferred = tc.order != nil
				hs = append(hs, c)
			}
			r := &allSyncRoute{children: hs}
			cb := &capture{}
			r.Route(ctx, req("set", "k"), cb)
			for i, o := range tc.order {
				if len(cb.got) != 0 {
					t.Fatalf("answered after %d of %d children", i, len(tc.children))
				}
				tc.children[o].flush()
			}
			if cb.String() != tc.want {
				t.Fatalf("got %s, want %s", cb, tc.want)
			}
			for _, c := range tc.children {
				if len(c.seen) != 1 || c.seen[0] != "set k" {
					t.Errorf("child %s saw %v", c.name, c.seen)
				}
			}
		})
	}
}

func TestAllSyncRouteBuild(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]}},"route":"AllSyncRoute|Pool|A"}`, "all-sync"},
		{`{"pools":{"A":{"servers":["127.0.0.1:1"]}},"route":{"type":"AllSyncRoute","children":"Pool|A"}}`, "host|pool=A|id=0|ap=127.0.0.1:1:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{`{"route":{"type":"AllSyncRoute","children":[]}}`, "null"},
	} {
		cfg, err := Build("", []byte(tc.cfg), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg, err)
		}
		if got := cfg.Root.(*rootRoute).def.Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
}
