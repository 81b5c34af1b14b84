package router

import (
	"mcroute/codec/mc"
	"testing"
)

func TestRandomRoute(t *testing.T) {
	cases := []struct {
		name string
		res  mc.Result
		text string
		want string
	}{
		{"hit", mc.ResFound, "v", "mc_res_found=v"},
		{"miss", mc.ResNotFound, "", "mc_res_notfound"},
		{"error", mc.ResLocalError, "boom", "mc_res_local_error(boom)"},
		{"timeout", mc.ResTimeout, "Reply timeout", "mc_res_timeout(Reply timeout)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx()
			var fs []*fakeRoute
			var hs []Handle
			for _, n := range []string{"a", "b", "c"} {
				f := fake(n, tc.res)
				if tc.text != "" {
					f = fake(n, tc.res, tc.text)
				}
				f.deferred = true // a slow child answers when it answers
				fs = append(fs, f)
				hs = append(hs, f)
			}
			r := &randomRoute{children: hs, n: uint64(len(hs))}
			const N = 3000
			for i := 0; i < N; i++ {
				r.Route(ctx, req("get", "k"), &capture{})
			}
			total := 0
			for _, f := range fs {
				// uniform: expect 1000 each; 800 is > 10 sigma away
				if len(f.seen) < 800 {
					t.Errorf("child %s got %d of %d", f.name, len(f.seen), N)
				}
				total += len(f.seen)
			}
			if total != N {
				t.Fatalf("%d requests sent for %d", total, N)
			}
			cb := &capture{}
			r.Route(ctx, req("get", "k"), cb)
			for _, f := range fs {
				f.flush()
			}
			if cb.String() != tc.want {
				t.Fatalf("got %q, want %s", cb, tc.want)
			}
		})
	}
}

func TestRandomRouteBuild(t *testing.T) {
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},"B":{"servers":["127.0.0.1:3"]}}`
	for _, tc := range []struct{ cfg, want string }{
		{`{` + pool + `,"route":"RandomRoute|Pool|A"}`, "random"},
		{`{` + pool + `,"route":{"type":"RandomRoute","children":["PoolRoute|A","PoolRoute|B"]}}`, "random"},
		{`{` + pool + `,"route":{"type":"RandomRoute","children":"Pool|B"}}`, "host|pool=B|id=0|ap=127.0.0.1:3:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{`{"route":{"type":"RandomRoute","children":[]}}`, "null"},
	} {
		if got := built(t, tc.cfg).Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
	var names []string
	built(t, `{`+pool+`,"route":"RandomRoute|Pool|A"}`).Traverse(req("get", "k"), 0, func(h Handle, d int) { names = append(names, h.Name()) })
	if len(names) != 3 {
		t.Errorf("traverse visits %v, want the route and both children", names)
	}
}
