package router

import (
	"math"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("WarmUpRoute", newWarmUpRoute) }

// warmUpRoute fills a new ("cold") route from an old ("warm") one as the
// keys are read (mcrouter-behaviour.md §2.5, §10.5):
//
//   - get: cold; a non-hit there is asked of warm, whose reply is the
//     answer; a warm hit is also added to cold in the background (add,
//     the warm item's flags, exptime = the route's exptime, 0 without);
//   - gets, gat, gats: cold; on a miss there a get from warm, and on a
//     warm hit an add to cold (gat/gats: with the request's exptime) that
//     is waited for, then the request again to cold, whose reply is the
//     answer (so a gets answers cold's cas unique);
//   - everything else (set, delete, incr, touch…): cold only; the client
//     keeps warm consistent.
type warmUpRoute struct {
	cold, warm Handle
	kids       []Handle // cold, warm
	exptime    int64
}

var warmUpKind = newStateKind()

// warmUpState is one get-like request in flight through a warmUpRoute.
type warmUpState struct {
	r     *warmUpRoute
	ctx   *Ctx
	cb    mc.Callback
	req   *mc.Request // the caller's, valid until cb is answered
	phase uint8
	cold  ReplyCopy // gets/gat/gats: cold's miss, answered when warm has nothing
	sub   mc.Request
	val   []byte // the warm hit's value, for the add to cold
}

// Phases of a warmUpState: which reply it waits for.
const (
	warmUpCold    = iota // the request on cold
	warmUpWarm           // get: the request on warm; others: a get on warm
	warmUpAdd            // gets/gat/gats: the add to cold
	warmUpReissue        // gets/gat/gats: the request again on cold
)

func (r *warmUpRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if !req.Op.IsGet() {
		r.cold.Route(ctx, req, cb)
		return
	}
	st := acquire[warmUpState](ctx, warmUpKind)
	st.r, st.ctx, st.cb, st.req, st.phase = r, ctx, cb, req, warmUpCold
	// st may be answered and released during this call.
	r.cold.Route(ctx, req, st)
}

func (st *warmUpState) OnReply(rep *mc.Reply) {
	r, req := st.r, st.req
	switch st.phase {
	case warmUpCold:
		if rep.Result == mc.ResFound {
			st.finish(rep)
			return
		}
		st.phase = warmUpWarm
		if req.Op == mc.OpGet {
			r.warm.Route(st.ctx, req, st)
			return
		}
		if rep.Result != mc.ResNotFound {
			st.finish(rep) // an error from cold: warm is not asked
			return
		}
		st.cold.Set(rep)
		st.sub = mc.Request{Op: mc.OpGet, Key: req.Key}
		r.warm.Route(st.ctx, &st.sub, st)
	case warmUpWarm:
		if req.Op == mc.OpGet {
			if rep.Result != mc.ResFound {
				st.finish(rep)
				return
			}
			// Copy the fill before answering (rep and req are only
			// valid until then); send it after, so that it never delays
			// the client.
			f := newFill(st.ctx, mc.OpAdd, req.Key, rep.Flags, r.exptime, rep.Value)
			st.finish(rep)
			f.send(r.cold)
			return
		}
		if rep.Result != mc.ResFound {
			st.finish(&st.cold.R)
			return
		}
		exptime := r.exptime
		if req.Op == mc.OpGat || req.Op == mc.OpGats {
			exptime = req.Exptime
		}
		st.val = append(st.val[:0], rep.Value...)
		st.sub = mc.Request{Op: mc.OpAdd, Key: req.Key, Flags: rep.Flags, Exptime: exptime, Value: st.val}
		st.phase = warmUpAdd
		r.cold.Route(st.ctx, &st.sub, st)
	case warmUpAdd:
		st.phase = warmUpReissue
		r.cold.Route(st.ctx, req, st)
	case warmUpReissue:
		st.finish(rep)
	}
}

// finish answers the caller with rep and releases st.
func (st *warmUpState) finish(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req, st.sub = nil, nil, nil, mc.Request{}
	cb.OnReply(rep) // rep may be st.cold: release only after
	release(ctx, warmUpKind, st)
}

func (r *warmUpRoute) Name() string       { return "warm-up" }
func (r *warmUpRoute) Children() []Handle { return r.kids }
func (r *warmUpRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.cold.Traverse(req, depth+1, visit)
	if req.Op.IsGet() {
		r.warm.Traverse(req, depth+1, visit)
	}
}

// newWarmUpRoute builds WarmUpRoute: {"type": "WarmUpRoute", "cold":
// route, "warm": route, "exptime": N}. enable_metaget (cold fills with
// the warm item's remaining TTL) needs metaget, which mcroute does not
// send: a true value is reported and fills use exptime (0 without).
func newWarmUpRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "WarmUpRoute should be object")
	}
	cv, wv := cfg.Get("cold"), cfg.Get("warm")
	if cv == nil {
		return nil, b.errf(cfg, "WarmUpRoute: no cold route")
	}
	if wv == nil {
		return nil, b.errf(cfg, "WarmUpRoute: no warm route")
	}
	r := &warmUpRoute{}
	if ev := cfg.Get("exptime"); ev != nil {
		e, ok := ev.Int()
		if !ok || e < 0 || e > math.MaxUint32 {
			return nil, b.errf(ev, "WarmUpRoute: exptime is not an integer")
		}
		r.exptime = e
	}
	if mv := cfg.Get("enable_metaget"); mv != nil {
		on, ok := mv.Bool()
		if !ok {
			return nil, b.errf(mv, "WarmUpRoute: enable_metaget is not a boolean")
		}
		if on {
			b.warnUnsupported(cfg, "WarmUpRoute", "enable_metaget")
		}
	}
	var err error
	if r.cold, err = b.route(cv); err != nil {
		return nil, err
	}
	if r.warm, err = b.route(wv); err != nil {
		return nil, err
	}
	r.kids = []Handle{r.cold, r.warm}
	return r, nil
}
