package router

import (
	"fmt"
	"mcroute/codec/mc"
	"strings"
	"testing"
)

// reqRec is a fake child that also records the full request it got (after
// it answered, too: a deferred child reads the request when it answers).
type reqRec struct {
	*fakeRoute
	got []string // "op key exptime=N"
	req *mc.Request
}

func (r *reqRec) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	r.got = append(r.got, fmt.Sprintf("%s %s exptime=%d", req.Op, req.Key, req.Exptime))
	r.req = req
	r.fakeRoute.Route(ctx, req, cb)
}

func TestModifyExptimeRoute(t *testing.T) {
	cases := []struct {
		name     string
		exptime  int64
		min      bool
		op       string
		in       int64
		res      mc.Result
		deferred bool
		want     string // what the child got
	}{
		{"set on set", 10, false, "set", 100, mc.ResStored, false, "set k exptime=10"},
		{"set on an infinite set", 10, false, "add", 0, mc.ResNotStored, false, "add k exptime=10"},
		{"set on touch", 10, false, "touch", 100, mc.ResTouched, false, "touch k exptime=10"},
		{"set on gat", 10, false, "gat", 100, mc.ResFound, false, "gat k exptime=10"},
		{"set on gats, slow child", 10, false, "gats", 100, mc.ResNotFound, true, "gats k exptime=10"},
		{"get has no exptime", 10, false, "get", 0, mc.ResFound, false, "get k exptime=0"},
		{"delete is left alone", 10, false, "delete", 5, mc.ResDeleted, false, "delete k exptime=5"},
		{"incr is left alone", 10, false, "incr", 0, mc.ResFound, false, "incr k exptime=0"},
		{"min lowers infinite", 60, true, "set", 0, mc.ResStored, false, "set k exptime=60"},
		{"min lowers larger", 60, true, "replace", 3600, mc.ResStored, false, "replace k exptime=60"},
		{"min keeps smaller", 60, true, "append", 30, mc.ResStored, false, "append k exptime=30"},
		{"min keeps negative", 60, true, "prepend", -1, mc.ResStored, false, "prepend k exptime=-1"},
		{"negative set expires", -1, false, "cas", 100, mc.ResExists, false, "cas k exptime=-1"},
		{"min negative", -1, true, "set", 0, mc.ResStored, false, "set k exptime=-1"},
		{"error passes through", 10, false, "set", 100, mc.ResTimeout, true, "set k exptime=10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			child := &reqRec{fakeRoute: fake("c", tc.res)}
			child.deferred = tc.deferred
			h := modifyExptime(child, tc.exptime, tc.min)
			r := req(tc.op, "k")
			r.Exptime = tc.in
			cb := &capture{}
			h.Route(testCtx(), r, cb)
			if tc.deferred {
				if len(cb.got) != 0 {
					t.Fatal("answered before the child")
				}
				// The request the child holds is still the modified one.
				if got := fmt.Sprintf("%s %s exptime=%d", child.req.Op, child.req.Key, child.req.Exptime); got != tc.want {
					t.Errorf("while in flight the child's request is %s", got)
				}
				child.flush()
			}
			if cb.String() != tc.res.String() {
				t.Errorf("reply %s, want %s", cb, tc.res)
			}
			if len(child.got) != 1 || child.got[0] != tc.want {
				t.Errorf("child got %v, want %s", child.got, tc.want)
			}
			if r.Exptime != tc.in {
				t.Errorf("caller's request changed: exptime %d", r.Exptime)
			}
		})
	}
}

func TestModifyExptimeRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1"]}},`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":10}`, "modify-exptime|set|exptime=10"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":-1,"action":"set"}`, "modify-exptime|set|exptime=-1"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":60,"action":"min"}`, "modify-exptime|min|exptime=60"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":0,"action":"min"}`, builtName(t, pools, `"PoolRoute|A"`)},
	} {
		cfg, err := Build("", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.route, err)
		}
		if got := cfg.Root.(*rootRoute).def.Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.route, got, tc.want)
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`"ModifyExptimeRoute|PoolRoute|A"`, "ModifyExptimeRoute: should be an object"},
		{`{"type":"ModifyExptimeRoute","exptime":10}`, "ModifyExptimeRoute: no target"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A"}`, "ModifyExptimeRoute: no exptime"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":"10"}`, "ModifyExptimeRoute: exptime is not an int"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":1.5}`, "ModifyExptimeRoute: exptime is not an int"},
		{`{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":10,"action":"max"}`, "ModifyExptimeRoute: action should be 'set' or 'min'"},
	} {
		_, err := Build("f.json", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") {
			t.Errorf("%s: error %v, want f.json:1: ... %q", tc.route, err, tc.want)
		}
	}
}
