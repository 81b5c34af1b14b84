package router

import (
	"math"
	"sync/atomic"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("L1L2CacheRoute", newL1L2CacheRoute) }

// ncacheFlag marks a negative-cache item in L1 (mcrouter's
// MC_MSG_FLAG_NEGATIVE_CACHE); ncacheValue is its value.
const ncacheFlag = 0x10000

var ncacheValue = []byte("ncache")

// l1l2CacheRoute is a read-through two-level cache (mcrouter-behaviour.md
// §2.5, §10.2):
//
//   - get-like: l1; a hit answers, unless it is a negative-cache item
//     (flag 0x10000): then the answer is a miss, and every
//     ncacheUpdatePeriod-th such hit refreshes l1 from l2 in the
//     background (set of l2's hit, or of a new negative-cache item).
//     Anything else from l1 (miss, error) asks l2, whose reply answers;
//     an l2 hit is added to l1 in the background (add, l2's flags,
//     exptime upgradingL1Exptime), and with negative caching on
//     (ncacheUpdatePeriod > 0) an l2 miss adds a negative-cache item
//     ("ncache", flag 0x10000, exptime ncacheExptime);
//   - everything else: l1 only; the client keeps l2 consistent.
//
// As in mcrouter, gets answers l2's reply as is (its cas unique is l2's).
type l1l2CacheRoute struct {
	l1, l2       Handle
	kids         []Handle // l1, l2
	upgradingExp int64
	ncacheExp    int64
	ncachePeriod int64 // 0: no negative caching
	// ncacheHits counts negative-cache hits, shared by every loop (as
	// mcrouter's counter is shared by its threads); only those hits
	// touch it.
	ncacheHits atomic.Int64
}

var l1l2CacheKind = newStateKind()

// l1l2CacheState is one get-like request in flight through an
// l1l2CacheRoute.
type l1l2CacheState struct {
	r   *l1l2CacheRoute
	ctx *Ctx
	cb  mc.Callback
	req *mc.Request // the caller's, valid until cb is answered
	l2  bool        // waiting for l2's reply
}

func (r *l1l2CacheRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if !req.Op.IsGet() {
		r.l1.Route(ctx, req, cb)
		return
	}
	st := acquire[l1l2CacheState](ctx, l1l2CacheKind)
	st.r, st.ctx, st.cb, st.req, st.l2 = r, ctx, cb, req, false
	// st may be answered and released during this call.
	r.l1.Route(ctx, req, st)
}

func (st *l1l2CacheState) OnReply(rep *mc.Reply) {
	r, ctx, req := st.r, st.ctx, st.req
	if !st.l2 {
		if rep.Result != mc.ResFound {
			st.l2 = true
			r.l2.Route(ctx, req, st)
			return
		}
		if rep.Flags&ncacheFlag == 0 {
			st.finish(rep)
			return
		}
		var refresh *ncacheRefresh
		if r.ncachePeriod > 0 && r.ncacheHits.Add(1)%r.ncachePeriod == 0 {
			refresh = newNcacheRefresh(ctx, r, req)
		}
		ctx.replyLocal(st.finisher(), mc.ResNotFound, nil)
		if refresh != nil {
			refresh.start()
		}
		return
	}
	var f *fill
	switch {
	case rep.Result == mc.ResFound:
		f = newFill(ctx, mc.OpAdd, req.Key, rep.Flags, r.upgradingExp, rep.Value)
	case rep.Result == mc.ResNotFound && r.ncachePeriod > 0:
		f = newFill(ctx, mc.OpAdd, req.Key, ncacheFlag, r.ncacheExp, ncacheValue)
	}
	st.finish(rep)
	if f != nil {
		f.send(r.l1)
	}
}

// finisher returns the caller's Callback and releases st: for answers
// that do not come from a child.
func (st *l1l2CacheState) finisher() mc.Callback {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req = nil, nil, nil
	release(ctx, l1l2CacheKind, st)
	return cb
}

// finish answers the caller with rep and releases st.
func (st *l1l2CacheState) finish(rep *mc.Reply) {
	st.finisher().OnReply(rep)
}

var ncacheRefreshKind = newStateKind()

// ncacheRefresh is the background refresh of a negative-cache item: the
// request (a copy) to l2, then a set to l1 of l2's hit, or of a new
// negative-cache item (which bumps its TTL) when l2 has none.
type ncacheRefresh struct {
	r   *l1l2CacheRoute
	ctx *Ctx
	req RequestCopy
}

func newNcacheRefresh(ctx *Ctx, r *l1l2CacheRoute, req *mc.Request) *ncacheRefresh {
	f := acquire[ncacheRefresh](ctx, ncacheRefreshKind)
	f.r, f.ctx = r, ctx
	f.req.Set(req)
	f.req.R.Opaque, f.req.R.Quiet, f.req.R.MetaFlags = nil, false, nil
	return f
}

func (f *ncacheRefresh) start() { f.r.l2.Route(f.ctx, &f.req.R, f) }

func (f *ncacheRefresh) OnReply(rep *mc.Reply) {
	r, ctx := f.r, f.ctx
	var set *fill
	if rep.Result == mc.ResFound {
		set = newFill(ctx, mc.OpSet, f.req.R.Key, rep.Flags, r.upgradingExp, rep.Value)
	} else {
		set = newFill(ctx, mc.OpSet, f.req.R.Key, ncacheFlag, r.ncacheExp, ncacheValue)
	}
	f.r, f.ctx = nil, nil
	release(ctx, ncacheRefreshKind, f)
	set.send(r.l1)
}

func (r *l1l2CacheRoute) Name() string       { return "l1l2-cache" }
func (r *l1l2CacheRoute) Children() []Handle { return r.kids }
func (r *l1l2CacheRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.l1.Traverse(req, depth+1, visit)
	if req.Op.IsGet() {
		r.l2.Traverse(req, depth+1, visit)
	}
}

// newL1L2CacheRoute builds L1L2CacheRoute: {"type": "L1L2CacheRoute",
// "l1": route, "l2": route, "upgradingL1Exptime": N, "ncacheExptime": N
// (0), "ncacheUpdatePeriod": N (0: no negative caching)}.
func newL1L2CacheRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "L1L2CacheRoute should be an object")
	}
	l1v, l2v := cfg.Get("l1"), cfg.Get("l2")
	if l1v == nil {
		return nil, b.errf(cfg, "L1L2CacheRoute: no l1 route")
	}
	if l2v == nil {
		return nil, b.errf(cfg, "L1L2CacheRoute: no l2 route")
	}
	r := &l1l2CacheRoute{}
	uv := cfg.Get("upgradingL1Exptime")
	if uv == nil {
		return nil, b.errf(cfg, "L1L2CacheRoute: no upgradingL1Exptime")
	}
	var err error
	if r.upgradingExp, err = uint32Field(b, uv, "L1L2CacheRoute", "upgradingL1Exptime"); err != nil {
		return nil, err
	}
	if v := cfg.Get("ncacheExptime"); v != nil {
		if r.ncacheExp, err = uint32Field(b, v, "L1L2CacheRoute", "ncacheExptime"); err != nil {
			return nil, err
		}
	}
	if v := cfg.Get("ncacheUpdatePeriod"); v != nil {
		if r.ncachePeriod, err = uint32Field(b, v, "L1L2CacheRoute", "ncacheUpdatePeriod"); err != nil {
			return nil, err
		}
	}
	if r.l1, err = b.route(l1v); err != nil {
		return nil, err
	}
	if r.l2, err = b.route(l2v); err != nil {
		return nil, err
	}
	r.kids = []Handle{r.l1, r.l2}
	return r, nil
}

// uint32Field reads v as a non-negative integer that fits 32 bits (an
// exptime or a count), for handle typ's field name.
func uint32Field(b *builder, v *jsonm.Value, typ, name string) (int64, error) {
	n, ok := v.Int()
	if !ok {
		return 0, b.errf(v, "%s: %s is not an integer", typ, name)
	}
	if n < 0 || n > math.MaxUint32 {
		return 0, b.errf(v, "%s: %s is out of range (0..%d)", typ, name, uint32(math.MaxUint32))
	}
	return n, nil
}
