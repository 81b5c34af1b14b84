package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("StagingRoute", newStagingRoute) }

// stagingRoute is mcrouter's StagingRoute (mcrouter-behaviour.md §2.5):
// the client is always answered from warm, and staging is kept in step:
//   - get-like: warm; on a hit, a fire-and-forget add of the value (flags
//     kept) to staging, which stores it only where staging lacks it;
//   - set, add, replace, cas: warm; when stored, a fire-and-forget set of
//     the same item to staging;
//   - delete: both in parallel, the worse reply;
//   - anything else (append, prepend, incr, decr, touch): warm answers,
//     staging gets a fire-and-forget copy.
//
// Deviation: mcrouter first asks staging with a metaget and adds only when
// the item is missing; the add alone has the same effect on staging. The
// add's exptime is 0 (a get reply carries no TTL to copy).
type stagingRoute struct {
	warm, staging Handle
	both          *allSyncRoute
}

var stagingCallKind = newStateKind()

// stagingCall waits for warm's reply to mirror it to staging.
type stagingCall struct {
	r   *stagingRoute
	ctx *Ctx
	req *mc.Request
	cb  mc.Callback
}

func (r *stagingRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	switch op := req.Op; {
	case op == mc.OpDelete:
		r.both.Route(ctx, req, cb)
	case op.IsGet(), op == mc.OpSet, op == mc.OpAdd, op == mc.OpReplace, op == mc.OpCas:
		st := acquire[stagingCall](ctx, stagingCallKind)
		st.r, st.ctx, st.req, st.cb = r, ctx, req, cb
		r.warm.Route(ctx, req, st)
	default:
		sendAsync(ctx, req, r.stagingOnly())
		r.warm.Route(ctx, req, cb)
	}
}

// stagingOnly is the one-element child list of sendAsync.
func (r *stagingRoute) stagingOnly() []Handle { return r.both.children[1:] }

func (st *stagingCall) OnReply(rep *mc.Reply) {
	r, ctx, req, cb := st.r, st.ctx, st.req, st.cb
	st.r, st.ctx, st.req, st.cb = nil, nil, nil, nil
	release(ctx, stagingCallKind, st)
	switch {
	case req.Op.IsGet() && rep.Result == mc.ResFound:
		add := mc.Request{Op: mc.OpAdd, Key: req.Key, Value: rep.Value, Flags: rep.Flags, HasExptime: true, Shadow: req.Shadow}
		sendAsync(ctx, &add, r.stagingOnly())
	case !req.Op.IsGet() && rep.Result == mc.ResStored:
		set := *req
		set.Op, set.Cas = mc.OpSet, 0
		sendAsync(ctx, &set, r.stagingOnly())
	}
	cb.OnReply(rep)
}

func (r *stagingRoute) Name() string       { return "staging" }
func (r *stagingRoute) Children() []Handle { return r.both.children }
func (r *stagingRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.both.children, req, depth, visit)
}

// newStagingRoute builds {"type": "StagingRoute", "warm": ..., "staging":
// ...}.
func newStagingRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil || !cfg.IsObject() {
		return nil, b.errf(at, "StagingRoute: config is not an object")
	}
	var hs [2]Handle
	for i, f := range []string{"warm", "staging"} {
		v := cfg.Get(f)
		if v == nil {
			return nil, b.errf(cfg, "StagingRoute: %s not found", f)
		}
		h, err := b.route(v)
		if err != nil {
			return nil, err
		}
		hs[i] = h
	}
	return &stagingRoute{warm: hs[0], staging: hs[1], both: &allSyncRoute{children: hs[:]}}, nil
}
