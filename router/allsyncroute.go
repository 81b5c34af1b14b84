package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("AllSyncRoute", newAllSyncRoute) }

// allSyncRoute sends a request to every child in parallel, waits for all
// of them and answers the worst reply (ties: the one that came first),
// mcrouter-behaviour.md §2.1.
type allSyncRoute struct {
	children []Handle
}

var allSyncKind = newStateKind()

// allSyncState is one request in flight through an allSyncRoute.
type allSyncState struct {
	ctx     *Ctx
	cb      mc.Callback
	pending int
	have    bool
	worst   ReplyCopy
}

func (r *allSyncRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[allSyncState](ctx, allSyncKind)
	st.ctx, st.cb, st.pending, st.have = ctx, cb, len(r.children), false
	// st may be answered and released during the last Route call: do not
	// touch it after the loop.
	for _, c := range r.children {
		c.Route(ctx, req, st)
	}
}

func (st *allSyncState) OnReply(rep *mc.Reply) {
	if !st.have || mc.Worse(rep.Result, st.worst.R.Result) {
		st.worst.Set(rep)
		st.have = true
	}
	st.pending--
	if st.pending > 0 {
		return
	}
	ctx, cb := st.ctx, st.cb
	st.cb, st.ctx = nil, nil
	cb.OnReply(&st.worst.R)
	release(ctx, allSyncKind, st)
}

func (r *allSyncRoute) Name() string       { return "all-sync" }
func (r *allSyncRoute) Children() []Handle { return r.children }
func (r *allSyncRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newAllSyncRoute: {"type": "AllSyncRoute", "children": [...]} or
// "AllSyncRoute|Pool|A". No children → NullRoute; one → that child.
func newAllSyncRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("AllSyncRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	return fanIn(hs, func(hs []Handle) Handle { return &allSyncRoute{children: hs} }), nil
}
