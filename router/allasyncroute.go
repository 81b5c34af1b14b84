package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("AllAsyncRoute", newAllAsyncRoute) }

// allAsyncRoute sends a request to every child in the background and
// answers the default reply at once (NOT_STORED for updates, NOT_FOUND
// otherwise), mcrouter-behaviour.md §2.1.
type allAsyncRoute struct {
	children []Handle
}

func (r *allAsyncRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	sendAsync(ctx, req, r.children)
	ctx.replyLocal(cb, defaultResult(req), nil)
}

func (r *allAsyncRoute) Name() string       { return "all-async" }
func (r *allAsyncRoute) Children() []Handle { return r.children }
func (r *allAsyncRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newAllAsyncRoute: {"type": "AllAsyncRoute", "children": [...]} or
// "AllAsyncRoute|Pool|A". No children → NullRoute. Unlike the other All*
// routes a single child is still wrapped (mcrouter's makeAllAsyncRoute has
// no one-child shortcut): the client gets the default reply, not the
// child's.
func newAllAsyncRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("AllAsyncRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nullRoute{}, nil
	}
	return &allAsyncRoute{children: hs}, nil
}

var asyncFanKind = newStateKind()

// asyncFan is one request sent to children whose replies nobody waits for
// (AllAsync's children, all but the first of AllInitial's). The client may
// have been answered and its request recycled long before they reply, so
// they are sent a copy that the asyncFan owns; it releases itself when the
// last of them has answered.
type asyncFan struct {
	ctx     *Ctx
	req     RequestCopy
	pending int
}

// sendAsync sends a copy of req to every one of children, ignoring their
// replies. req is not used after sendAsync returns.
func sendAsync(ctx *Ctx, req *mc.Request, children []Handle) {
	if len(children) == 0 {
		return
	}
	st := acquire[asyncFan](ctx, asyncFanKind)
	st.ctx, st.pending = ctx, len(children)
	st.req.Set(req)
	// st may be released during the last Route call: do not touch it after
	// the loop.
	for _, c := range children {
		c.Route(ctx, &st.req.R, st)
	}
}

func (st *asyncFan) OnReply(*mc.Reply) {
	st.pending--
	if st.pending > 0 {
		return
	}
	ctx := st.ctx
	st.ctx = nil
	release(ctx, asyncFanKind, st)
}
