package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("AllInitialRoute", newAllInitialRoute) }

// allInitialRoute sends a request to every child and answers the first
// child's reply; the others are sent in the background and their replies
// dropped (mcrouter-behaviour.md §2.1).
type allInitialRoute struct {
	children []Handle // len >= 2
}

func (r *allInitialRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	// As mcrouter does: the background sends first (they take their own
	// copy of req), then the first child, whose reply may end req's life.
	sendAsync(ctx, req, r.children[1:])
	r.children[0].Route(ctx, req, cb)
}

func (r *allInitialRoute) Name() string       { return "all-initial" }
func (r *allInitialRoute) Children() []Handle { return r.children }
func (r *allInitialRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newAllInitialRoute: {"type": "AllInitialRoute", "children": [...]} or
// "AllInitialRoute|Pool|A". No children → NullRoute; one → that child.
func newAllInitialRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("AllInitialRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	return fanIn(hs, func(hs []Handle) Handle { return &allInitialRoute{children: hs} }), nil
}
