//go:build !race

package router

import (
	"testing"

	"mcroute/codec/mc"
)

// hitRoute answers every request with a hit, allocating nothing.
type hitRoute struct{ rep mc.Reply }

func (h *hitRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback)    { cb.OnReply(&h.rep) }
func (h *hitRoute) Name() string                                       { return "hit" }
func (h *hitRoute) Children() []Handle                                 { return nil }
func (h *hitRoute) Traverse(req *mc.Request, depth int, visit Visitor) { visit(h, depth) }

// A cache hit is answered without allocating: state, key and reply come
// from the per-Ctx free list.
func TestCarbonLookasideHitAllocs(t *testing.T) {
	cache := &hitRoute{rep: mc.Reply{Result: mc.ResFound, Value: []byte("v"), Flags: 3}}
	child := fake("child", mc.ResFound, "b")
	for _, r := range []*carbonLookasideRoute{
		{child: child, cache: cache, prefix: "reg:", suffix: ":ks1", ttl: 10},
		{child: child, cache: cache, prefix: "reg:", ttl: 100, subSec: true},
	} {
		ctx, rq := testCtx(), req("get", "user:12345:profile")
		var cb mc.Callback = nopCallback{}
		r.Route(ctx, rq, cb)
		if n := testing.AllocsPerRun(1000, func() { r.Route(ctx, rq, cb) }); n != 0 {
			t.Errorf("%s: %v allocs per hit", r.Name(), n)
		}
	}
	if len(child.seen) != 0 {
		t.Errorf("child asked on a hit: %v", child.seen)
	}
}
