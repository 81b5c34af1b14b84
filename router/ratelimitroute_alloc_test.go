//go:build !race

package router

import (
	"testing"

	"mcroute/codec/mc"
)

// TestRateLimitRouteAllocs: passing, limited and fallback requests
// allocate nothing once the loop's buckets exist.
func TestRateLimitRouteAllocs(t *testing.T) {
	var clock int64
	r := mustRateLimit(t, `{"target": "T", "fallback": "F", "rates": {"gets_rate": 1000, "sets_rate": 1}}`,
		map[string]Handle{"T": quietRoute{mc.ResFound}, "F": quietRoute{mc.ResNotFound}}, &clock)
	ctx := testCtx()
	get, set := req("get", "k"), req("set", "k")
	cb := &countCB{}
	r.Route(ctx, get, cb) // creates the loop's buckets
	if n := testing.AllocsPerRun(1000, func() {
		clock += 1e6
		r.Route(ctx, get, cb)
		r.Route(ctx, set, cb)
	}); n != 0 {
		t.Errorf("%v allocs per request pair", n)
	}
	if cb.n != 1+2*1001 { // AllocsPerRun runs once more to warm up
		t.Errorf("%d replies", cb.n)
	}
}

// countCB counts replies without keeping them.
type countCB struct{ n int }

func (c *countCB) OnReply(*mc.Reply) { c.n++ }

// quietRoute answers res at once and records nothing (fakeRoute's records
// allocate).
type quietRoute struct{ res mc.Result }

func (q quietRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) { ctx.replyLocal(cb, q.res, nil) }
func (q quietRoute) Name() string                                    { return "quiet" }
func (q quietRoute) Children() []Handle                              { return nil }
func (q quietRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(q, depth)
}
