package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("MissFailoverRoute", newMissFailoverRoute) }

// missFailoverRoute sends get-like requests and deletes to its children in
// order until one hits (DELETED, FOUND, TOUCHED) or says OK; when none
// does it answers the last reply, or with return_best_on_error the least
// bad one (ties: the later). Other ops go to the first child only
// (mcrouter-behaviour.md §2.3).
type missFailoverRoute struct {
	children []Handle
	best     bool // return_best_on_error
}

var missFailoverKind = newStateKind()

// missFailoverState is one request in flight through a missFailoverRoute.
type missFailoverState struct {
	r    *missFailoverRoute
	ctx  *Ctx
	cb   mc.Callback
	req  *mc.Request // the caller's, valid until cb is answered
	i    int         // child in flight
	best ReplyCopy   // return_best_on_error: the least bad so far
}

func (r *missFailoverRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if !req.Op.IsGet() && req.Op != mc.OpDelete {
		r.children[0].Route(ctx, req, cb)
		return
	}
	st := acquire[missFailoverState](ctx, missFailoverKind)
	st.r, st.ctx, st.cb, st.req, st.i = r, ctx, cb, req, 0
	// st may be answered and released during this call.
	r.children[0].Route(ctx, req, st)
}

func isHitOrOK(r mc.Result) bool {
	switch r {
	case mc.ResDeleted, mc.ResFound, mc.ResTouched, mc.ResOK:
		return true
	}
	return false
}

func (st *missFailoverState) OnReply(rep *mc.Reply) {
	r := st.r
	if isHitOrOK(rep.Result) {
		st.finish(rep)
		return
	}
	if r.best && (st.i == 0 || !mc.Worse(rep.Result, st.best.R.Result)) {
		st.best.Set(rep)
	}
	st.i++
	if st.i == len(r.children) {
		if r.best {
			rep = &st.best.R
		}
		st.finish(rep)
		return
	}
	// st may be answered and released during this call.
	r.children[st.i].Route(st.ctx, st.req, st)
}

// finish answers the caller with rep and releases st.
func (st *missFailoverState) finish(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req = nil, nil, nil
	cb.OnReply(rep) // rep may be st.best: release only after
	release(ctx, missFailoverKind, st)
}

func (r *missFailoverRoute) Name() string       { return "miss-failover" }
func (r *missFailoverRoute) Children() []Handle { return r.children }
func (r *missFailoverRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.children, req, depth, visit)
}

// newMissFailoverRoute builds MissFailoverRoute: "MissFailoverRoute|Pool|A"
// or {"type": "MissFailoverRoute", "children": [...],
// "return_best_on_error": false}. No children → NullRoute; one → that child.
func newMissFailoverRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("MissFailoverRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	r := &missFailoverRoute{children: hs}
	if v := cfg.Get("return_best_on_error"); v != nil {
		var ok bool
		if r.best, ok = v.Bool(); !ok {
			return nil, b.errf(v, "MissFailoverRoute: return_best_on_error is not a boolean")
		}
	}
	return fanIn(hs, func([]Handle) Handle { return r }), nil
}
