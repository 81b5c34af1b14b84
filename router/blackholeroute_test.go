package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestBlackholeRoute(t *testing.T) {
	mk := func(op, key string, flags uint64, exptime int64) *mc.Request {
		r := req(op, key)
		r.Flags, r.Exptime = flags, exptime
		return r
	}
	for _, tc := range []struct {
		name, policies string
		req            *mc.Request
		hole           bool
	}{
		{"flags equals", `{"flags":[{"op":"equals","value":1234}]}`, mk("get", "k", 1234, 0), true},
		{"flags differ", `{"flags":[{"op":"equals","value":1234}]}`, mk("get", "k", 1, 0), false},
		{"not_equals", `{"flags":[{"op":"not_equals","value":5678}]}`, mk("set", "k", 1, 0), true},
		{"or within a field", `{"flags":[{"op":"equals","value":1},{"op":"equals","value":2}]}`, mk("get", "k", 2, 0), true},
		{"and across fields", `{"flags":[{"op":"equals","value":1}],"exptime":[{"op":"equals","value":9}]}`, mk("set", "k", 1, 8), false},
		{"both fields", `{"flags":[{"op":"equals","value":1}],"exptime":[{"op":"equals","value":9}]}`, mk("set", "k", 1, 9), true},
		{"field absent for op is skipped", `{"exptime":[{"op":"equals","value":9}]}`, mk("get", "k", 0, 0), true},
		{"key", `{"key":[{"op":"equals","value":"bad"}]}`, mk("get", "bad", 0, 0), true},
		{"key differs", `{"key":[{"op":"equals","value":"bad"}]}`, mk("get", "good", 0, 0), false},
		{"key int never matches", `{"key":[{"op":"equals","value":1}]}`, mk("get", "1", 0, 0), false},
		{"value never matches", `{"value":[{"op":"not_equals","value":"x"}]}`, mk("set", "k", 0, 0), false},
		{"bool", `{"flags":[{"op":"equals","value":true}]}`, mk("get", "k", 5, 0), true},
		{"double", `{"flags":[{"op":"equals","value":2.0}]}`, mk("get", "k", 2, 0), true},
		{"empty policies", `{}`, mk("get", "k", 0, 0), true},
		{"unknown field", `{"nope":[{"op":"equals","value":1}]}`, mk("get", "k", 0, 0), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := fake("def", mc.ResFound, "v")
			hole := fake("hole", mc.ResNotFound)
			h := mustBuildNamed(t, "BlackholeRoute", `{"default":"D","blackhole_child":"H","policies":`+tc.policies+`}`,
				map[string]Handle{"D": def, "H": hole})
			cb := &capture{}
			h.Route(testCtx(), tc.req, cb)
			want := map[bool]string{true: "mc_res_notfound", false: "mc_res_found=v"}[tc.hole]
			if cb.String() != want {
				t.Errorf("%s, want %s", cb, want)
			}
			wantPath := map[bool]string{true: "blackhole,hole", false: "blackhole,def"}[tc.hole]
			if p := strings.Join(path(h, tc.req), ","); p != wantPath {
				t.Errorf("traverses %s", p)
			}
		})
	}
}

func TestBlackholeRouteChildren(t *testing.T) {
	// Default blackhole child is NullRoute; slow and failing defaults pass through.
	slow := &fakeRoute{name: "d", res: mc.ResTimeout, msg: "Reply timeout", deferred: true}
	h := mustBuildNamed(t, "BlackholeRoute", `{"default":"D","policies":{"flags":[{"op":"equals","value":1}]}}`, map[string]Handle{"D": slow})
	cb := &capture{}
	r := req("set", "k")
	r.Flags = 1
	h.Route(testCtx(), r, cb)
	if cb.String() != "mc_res_notstored" {
		t.Errorf("blackholed set: %s", cb)
	}
	cb = &capture{}
	h.Route(testCtx(), req("get", "k"), cb)
	slow.flush()
	if cb.String() != "mc_res_timeout(Reply timeout)" {
		t.Errorf("default: %s", cb)
	}
	if h.Name() != "blackhole" {
		t.Errorf("name %q", h.Name())
	}
}

func TestBlackholeRouteBuildErrors(t *testing.T) {
	named := map[string]Handle{"D": fake("d", mc.ResFound)}
	for _, tc := range []struct{ cfg, want string }{
		{`"D"`, "BlackholeRoute: config is not an object."},
		{`{"policies":{}}`, "BlackholeRoute: 'default' property is missing."},
		{`{"default":"D"}`, "BlackholeRoute must specify 'policies'"},
		{`{"default":"D","policies":[]}`, "'policies' must be an object."},
		{`{"default":"D","policies":{"flags":{}}}`, "policies for 'flags' must be in an array."},
		{`{"default":"D","policies":{"flags":[1]}}`, "must be an object."},
		{`{"default":"D","policies":{"flags":[{"value":1}]}}`, "must contain an \"op\" option"},
		{`{"default":"D","policies":{"flags":[{"op":"lt","value":1}]}}`, "policy op for 'flags' is not supported"},
		{`{"default":"D","policies":{"flags":[{"op":"equals"}]}}`, "must contain an \"value\" option"},
	} {
		_, err := buildNamedWith(t, "BlackholeRoute", tc.cfg, named)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
