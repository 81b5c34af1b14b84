package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("AllFastestRoute", newAllFastestRoute) }

// allFastestRoute sends a request to every child and answers the first
// reply that is not a failover error; when every reply is one, the last
// (mcrouter-behaviour.md §2.1). The children still in flight after the
// answer finish in the background.
type allFastestRoute struct {
	children []Handle // len >= 2
}

var allFastestKind = newStateKind()

// allFastestState is one request in flight through an allFastestRoute. It
// outlives the client's answer until the last child has replied, so the
// children are sent a copy of the request that it owns.
type allFastestState struct {
	ctx     *Ctx
	cb      mc.Callback // nil once the client is answered
	req     RequestCopy
	pending int
}

func (r *allFastestRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[allFastestState](ctx, allFastestKind)
	st.ctx, st.cb, st.pending = ctx, cb, len(r.children)
	st.req.Set(req)
	// st may be released during the last Route call: do not touch it after
	// the loop.
	for _, c := range r.children {
		c.Route(ctx, &st.req.R, st)
	}
}

func (st *allFastestState) OnReply(rep *mc.Reply) {
	st.pending--
	last := st.pending == 0
	if cb := st.cb; cb != nil && (last || !rep.Result.IsFailoverError()) {
		st.cb = nil
		cb.OnReply(rep)
	}
	if last {
		ctx := st.ctx
		st.ctx = nil
		release(ctx, allFastestKind, st)
	}
}

func (r *allFastestRoute) Name() string       { return "all-fastest" }
func (r *allFastestRoute) Children() []Handle { return r.children }
func (r *allFastestRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newAllFastestRoute: {"type": "AllFastestRoute", "children": [...]} or
// "AllFastestRoute|Pool|A". No children → NullRoute; one → that child.
func newAllFastestRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("AllFastestRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	return fanIn(hs, func(hs []Handle) Handle { return &allFastestRoute{children: hs} }), nil
}
