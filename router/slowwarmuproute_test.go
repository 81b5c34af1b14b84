package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

// A cold server (hit rate below enable_threshold) gets a share of gets
// that grows with its hit rate, the rest going to failoverTarget; it
// leaves warm-up at disable_threshold. Non-gets always go to it.
func TestSlowWarmUpRoute(t *testing.T) {
	set := slowWarmUpSettings{enable: 0.5, disable: 0.8, start: 0, step: 0, minRequests: 10}
	for _, tc := range []struct {
		name       string
		res        mc.Result
		warm       bool // still warming after 20 replies
		slow       bool
		toFailover bool // a get after the 20 goes to failover
	}{
		{"misses: warming, start 0 sends all to failover", mc.ResNotFound, true, false, true},
		{"hits: never warming", mc.ResFound, false, false, false},
		{"errors count as neither", mc.ResTimeout, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeRoute{name: "d", res: tc.res, deferred: tc.slow}
			fo := fake("fo", mc.ResFound, "f")
			r := &slowWarmUpRoute{target: d, failover: fo, set: set, slot: newLoopSlot()}
			ctx := testCtx()
			for i := 0; i < 20; i++ {
				c := &capture{}
				r.Route(ctx, req("get", "k"), c)
				d.flush()
				if !strings.HasPrefix(c.String(), tc.res.String()) && len(fo.seen) == 0 {
					t.Fatalf("reply %s", c)
				}
			}
			if st := handleState[swuLoop](ctx, r.slot); st.warming != tc.warm {
				t.Errorf("warming %v, want %v", st.warming, tc.warm)
			}
			before := len(fo.seen)
			c := &capture{}
			r.Route(ctx, req("get", "k"), c)
			d.flush()
			if (len(fo.seen) > before) != tc.toFailover {
				t.Errorf("to failover %v, want %v (%s)", len(fo.seen) > before, tc.toFailover, c)
			}
			before = len(fo.seen)
			r.Route(ctx, req("set", "k"), &capture{})
			d.flush()
			if len(fo.seen) != before {
				t.Error("a set went to failover")
			}
		})
	}
	h := built(t, `{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}, "B": {"servers": ["127.0.0.1:3"]}}, "route": {"type": "PoolRoute", "pool": "A", "slow_warmup": {"failoverTarget": "PoolRoute|B", "settings": {"enable_threshold": 0.6, "disable_threshold": 0.8}}}}`)
	if got := h.Children()[0].Name(); got != "slow-warmup" {
		t.Errorf("child %q", got)
	}
	for _, bad := range []string{`{"failoverTarget": "PoolRoute|B", "settings": {"enable_threshold": 0.6}}`, `{"settings": {}}`, `{"failoverTarget": "PoolRoute|B", "settings": {"enable_threshold": 0.9, "disable_threshold": 0.8}}`} {
		if got := buildErr(t, `{"pools": {"A": {"servers": ["127.0.0.1:1"]}, "B": {"servers": ["127.0.0.1:3"]}}, "route": {"type": "PoolRoute", "pool": "A", "slow_warmup": `+bad+`}}`); got == "" {
			t.Errorf("%s accepted", bad)
		}
	}
}
