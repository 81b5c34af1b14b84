package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func TestFailoverWithExptimeRoute(t *testing.T) {
	cases := []struct {
		name    string
		cfg     string
		normal  mc.Result
		op      string
		exptime int64
		want    string // reply
		seen    string // requests the children got
	}{
		{"normal answers", `{"normal":"N","failover":["F1","F2"]}`, mc.ResStored, "set", 0,
			"mc_res_stored", "N:set k exptime=0"},
		{"failover gets the short exptime", `{"normal":"N","failover":["F1","F2"]}`, mc.ResTimeout, "set", 0,
			"mc_res_stored", "N:set k exptime=0,F1:set k exptime=60"},
		{"shorter exptime kept", `{"normal":"N","failover":["F1","F2"],"failover_exptime":100}`, mc.ResTimeout, "set", 30,
			"mc_res_stored", "N:set k exptime=30,F1:set k exptime=30"},
		{"failover_exptime 0: untouched", `{"normal":"N","failover":"F1","failover_exptime":0}`, mc.ResBusy, "touch", 0,
			"mc_res_stored", "N:touch k exptime=0,F1:touch k exptime=0"},
		{"gets are not changed", `{"normal":"N","failover":["F1"]}`, mc.ResTimeout, "get", 0,
			"mc_res_stored", "N:get k exptime=0,F1:get k exptime=0"},
		{"failover_errors apply", `{"normal":"N","failover":["F1"],"failover_errors":["busy"]}`, mc.ResTimeout, "set", 0,
			"mc_res_timeout", "N:set k exptime=0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &reqRec{fakeRoute: fake("N", tc.normal)}
			f1 := &reqRec{fakeRoute: fake("F1", mc.ResStored)}
			f2 := &reqRec{fakeRoute: fake("F2", mc.ResStored)}
			v, err := jsonm.Parse("t.json", []byte(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			b := &builder{named: map[string]Handle{"N": n, "F1": f1, "F2": f2}}
			h, err := newFailoverWithExptimeRoute(b, v, v)
			if err != nil {
				t.Fatal(err)
			}
			r := req(tc.op, "k")
			r.Exptime = tc.exptime
			cb := &capture{}
			h.Route(testCtx(), r, cb)
			if cb.String() != tc.want {
				t.Errorf("reply %s, want %s", cb, tc.want)
			}
			var seen []string
			for _, c := range []*reqRec{n, f1, f2} {
				for _, g := range c.got {
					seen = append(seen, c.name+":"+g)
				}
			}
			if strings.Join(seen, ",") != tc.seen {
				t.Errorf("children got %s, want %s", strings.Join(seen, ","), tc.seen)
			}
		})
	}
}

func TestFailoverWithExptimeRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1"]},"B":{"servers":["127.0.0.1:2","127.0.0.1:3"]}},`
	a, b := builtName(t, pools, `"PoolRoute|A"`), builtName(t, pools, `"PoolRoute|B"`)
	for _, tc := range []struct{ route, want string }{
		{`{"type":"FailoverWithExptimeRoute","normal":"PoolRoute|A","failover":"PoolRoute|B"}`,
			"failover[" + a + " modify-exptime|min|exptime=60]"},
		{`{"type":"FailoverWithExptimeRoute","normal":"PoolRoute|A","failover":"Pool|B","failover_exptime":5,"name":"fo"}`,
			"failover:fo:failover_targets=3[" + a + " modify-exptime|min|exptime=5 modify-exptime|min|exptime=5]"},
		{`{"type":"FailoverWithExptimeRoute","normal":"PoolRoute|A","failover":["PoolRoute|B"],"failover_exptime":-1}`,
			"failover[" + a + " " + b + "]"},
		{`{"type":"FailoverWithExptimeRoute","normal":"PoolRoute|A"}`, a + "[]"},
	} {
		cfg, err := Build("", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.route, err)
		}
		h := cfg.Root.(*rootRoute).def
		var names []string
		if _, ok := h.(*failoverRoute); ok {
			for _, c := range h.Children() {
				names = append(names, c.Name())
			}
		}
		if got := h.Name() + "[" + strings.Join(names, " ") + "]"; got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.route, got, tc.want)
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`"FailoverWithExptimeRoute|PoolRoute|A"`, "FailoverWithExptimeRoute is not an object"},
		{`{"type":"FailoverWithExptimeRoute","failover":"PoolRoute|A"}`, "FailoverWithExptimeRoute: normal not found"},
		{`{"type":"FailoverWithExptimeRoute","normal":"PoolRoute|A","failover_exptime":"60"}`, "FailoverWithExptimeRoute: failover_exptime is not an integer"},
		{`{"type":"FailoverWithExptimeRoute","normal":"PoolRoute|A","failover":"PoolRoute|B","failover_policy":{"type":"LeastFailuresPolicy"}}`, "FailoverWithExptimeRoute: LeastFailuresPolicy must specify 'max_tries'"},
	} {
		_, err := Build("f.json", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") {
			t.Errorf("%s: error %v, want f.json:1: ... %q", tc.route, err, tc.want)
		}
	}
}
