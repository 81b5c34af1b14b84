package router

import (
	"mcroute/codec/mc"
	"strings"
	"testing"
)

func TestMissFailoverRoute(t *testing.T) {
	const (
		hit  = mc.ResFound
		miss = mc.ResNotFound
		tmo  = mc.ResTimeout
	)
	cases := []struct {
		name     string
		best     bool
		results  []mc.Result
		op       string
		deferred bool
		want     string
		seen     string
	}{
		{"hit on the first", false, []mc.Result{hit, hit}, "get", false, "mc_res_found=a", "a:get k"},
		{"miss then hit", false, []mc.Result{miss, tmo, hit}, "gets", false, "mc_res_found=c", "a:gets k,b:gets k,c:gets k"},
		{"all miss: last reply", false, []mc.Result{miss, miss, miss}, "get", false, "mc_res_notfound=c", "a:get k,b:get k,c:get k"},
		{"error last: last reply", false, []mc.Result{miss, tmo}, "get", false, "mc_res_timeout(b)", "a:get k,b:get k"},
		{"best: miss beats a later error", true, []mc.Result{tmo, miss, tmo}, "get", false, "mc_res_notfound=b", "a:get k,b:get k,c:get k"},
		{"best: ties keep the later", true, []mc.Result{miss, miss, mc.ResRemoteError}, "get", false, "mc_res_notfound=b", "a:get k,b:get k,c:get k"},
		{"best: first error kept when all worse", true, []mc.Result{tmo, mc.ResLocalError}, "gat", false, "mc_res_timeout(a)", "a:gat k,b:gat k"},
		{"delete fails over on miss", false, []mc.Result{miss, mc.ResDeleted}, "delete", false, "mc_res_deleted=b", "a:delete k,b:delete k"},
		{"OK stops", false, []mc.Result{mc.ResOK, hit}, "get", false, "mc_res_ok=a", "a:get k"},
		{"set goes to the first only", false, []mc.Result{tmo, mc.ResStored}, "set", false, "mc_res_timeout(a)", "a:set k"},
		{"touch goes to the first only", false, []mc.Result{miss, mc.ResTouched}, "touch", false, "mc_res_notfound=a", "a:touch k"},
		{"slow children", true, []mc.Result{miss, tmo, hit}, "get", true, "mc_res_found=c", "a:get k,b:get k,c:get k"},
		{"slow children, none hit", true, []mc.Result{tmo, miss, tmo}, "get", true, "mc_res_notfound=b", "a:get k,b:get k,c:get k"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var fs []*fakeRoute
			for i, res := range tc.results {
				name := string(rune('a' + i))
				f := fake(name, res, name)
				f.deferred = tc.deferred
				fs = append(fs, f)
			}
			r := &missFailoverRoute{children: fakeHandles(fs), best: tc.best}
			cb := &capture{}
			r.Route(testCtx(), req(tc.op, "k"), cb)
			for i := 0; tc.deferred && len(cb.got) == 0; i++ {
				if i >= len(fs) || len(fs[i].queue) != 1 {
					t.Fatalf("child %d not in flight", i)
				}
				for _, f := range fs[i+1:] {
					if len(f.seen) > 0 {
						t.Fatalf("%s sent before %s answered", f.name, fs[i].name)
					}
				}
				fs[i].flush()
			}
			if cb.String() != tc.want {
				t.Errorf("reply %s, want %s", cb, tc.want)
			}
			if got := seenBy(fs); got != tc.seen {
				t.Errorf("children saw %s, want %s", got, tc.seen)
			}
		})
	}
}

func TestMissFailoverRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},"B":{"servers":["127.0.0.1:3"]}},`
	for _, tc := range []struct{ cfg, want string }{
		{`{` + pools + `"route":"MissFailoverRoute|Pool|A"}`, "miss-failover"},
		{`{` + pools + `"route":{"type":"MissFailoverRoute","children":["PoolRoute|A","PoolRoute|B"],"return_best_on_error":true}}`, "miss-failover"},
		{`{` + pools + `"route":{"type":"MissFailoverRoute","children":"Pool|B"}}`, builtName(t, pools, `"Pool|B"`)},
		{`{"route":{"type":"MissFailoverRoute","children":[]}}`, "null"},
	} {
		cfg, err := Build("", []byte(tc.cfg), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg, err)
		}
		h := cfg.Root.(*rootRoute).def
		if got := h.Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
		if r, ok := h.(*missFailoverRoute); ok && strings.Contains(tc.cfg, "return_best_on_error") != r.best {
			t.Errorf("%s: return_best_on_error not taken", tc.cfg)
		}
	}
	_, err := Build("f.json", []byte(`{`+pools+`"route":{"type":"MissFailoverRoute","children":"Pool|A","return_best_on_error":"yes"}}`), Options{})
	if err == nil || !strings.Contains(err.Error(), "f.json:1: MissFailoverRoute: return_best_on_error is not a boolean") {
		t.Errorf("error %v", err)
	}
}
