package router

import (
	"fmt"
	"testing"

	"mcroute/codec/mc"
)

// At most limit requests are in flight to the child; the rest wait and go
// in order as replies come back, whatever the replies are.
func TestOutstandingLimitRoute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		res   mc.Result
		limit int
		want  string
	}{
		{"hits", mc.ResFound, 2, "mc_res_found"},
		{"misses", mc.ResNotFound, 1, "mc_res_notfound"},
		{"errors", mc.ResTimeout, 3, "mc_res_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRoute{name: "slow", res: tc.res, deferred: true}
			r := newOutstandingLimitRoute(f, tc.limit)
			if r.Name() != fmt.Sprintf("outstanding-limit|limit=%d", tc.limit) {
				t.Errorf("name %q", r.Name())
			}
			ctx := testCtx()
			var cs []*capture
			for i := 0; i < 5; i++ {
				c := &capture{}
				cs = append(cs, c)
				r.Route(ctx, req("get", fmt.Sprint("k", i)), c)
			}
			if len(f.queue) != tc.limit {
				t.Fatalf("%d in flight, want %d", len(f.queue), tc.limit)
			}
			for len(f.queue) > 0 {
				f.flush()
			}
			for i, c := range cs {
				if c.String() != tc.want {
					t.Errorf("request %d: %q", i, c)
				}
			}
			if fmt.Sprint(f.seen) != "[get k0 get k1 get k2 get k3 get k4]" {
				t.Errorf("order %v", f.seen)
			}
			if st := handleState[olLoop](ctx, r.slot); st.inflight != 0 || st.head != 0 || len(st.q) != 0 {
				t.Errorf("state left %+v", st)
			}
		})
	}
	// Through PoolRoute's max_outstanding, around each server.
	h := built(t, `{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": {"type": "PoolRoute", "pool": "A", "max_outstanding": 7}}`)
	if got := h.Children()[0].Name(); got != "outstanding-limit|limit=7" {
		t.Errorf("child %q", got)
	}
	if got := buildErr(t, `{"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": {"type": "PoolRoute", "pool": "A", "max_outstanding": -1}}`); got == "" {
		t.Error("negative max_outstanding accepted")
	}
}
