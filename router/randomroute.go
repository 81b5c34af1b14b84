package router

import (
	"math/rand/v2"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("RandomRoute", newRandomRoute) }

// randomRoute sends each request to a uniformly random child
// (mcrouter-behaviour.md §2.1). The numbers come from math/rand/v2's
// top-level functions: the runtime's per-thread ChaCha8 generator, which
// takes no lock and allocates nothing.
type randomRoute struct {
	children []Handle // len >= 2
	n        uint64
}

func (r *randomRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	r.children[rand.Uint64N(r.n)].Route(ctx, req, cb)
}

func (r *randomRoute) Name() string       { return "random" }
func (r *randomRoute) Children() []Handle { return r.children }

// Traverse visits every child, as mcrouter's does: any of them may be
// picked.
func (r *randomRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newRandomRoute: {"type": "RandomRoute", "children": [...]} or
// "RandomRoute|Pool|A". No children → NullRoute; one → that child.
func newRandomRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("RandomRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	return fanIn(hs, func(hs []Handle) Handle { return &randomRoute{children: hs, n: uint64(len(hs))} }), nil
}
