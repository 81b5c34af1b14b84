package router

import (
	"strconv"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("LatencyInjectionRoute", newLatencyInjectionRoute) }

// latencyInjectionRoute delays requests on their way to child (before),
// replies on their way back (after), and pads the whole to at least total,
// for testing (mcrouter-behaviour.md §2.4). The waits are loop timers:
// nothing blocks. request_payload_latency has no effect: ASCII requests
// carry no latency fields.
type latencyInjectionRoute struct {
	child                Handle
	kids                 []Handle // {child}
	before, after, total time.Duration
	name                 string
}

var latencyKind = newStateKind()

// Phases of a latencyState.
const (
	latencyBefore = iota // waiting to send
	latencyChild         // child has the request
	latencyAfter         // waiting after the reply
	latencyTotal         // padding to total
)

// latencyState is one request through a latencyInjectionRoute. It is its
// own timer, so scheduling allocates nothing.
type latencyState struct {
	r     *latencyInjectionRoute
	ctx   *Ctx
	cb    mc.Callback
	start int64 // loop clock when the request arrived
	phase uint8
	req   RequestCopy // the request while it waits to be sent
	rep   ReplyCopy   // the reply while it waits to be answered
}

func (r *latencyInjectionRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[latencyState](ctx, latencyKind)
	st.r, st.ctx, st.cb, st.start = r, ctx, cb, ctx.Up.NowNanos()
	if r.before > 0 {
		st.req.Set(req)
		st.phase = latencyBefore
		ctx.Up.After(r.before, st)
		return
	}
	st.phase = latencyChild
	// st may be answered and released during this call.
	r.child.Route(ctx, req, st)
}

func (st *latencyState) OnReply(rep *mc.Reply) {
	r := st.r
	if r.after == 0 && st.padding() <= 0 {
		st.finish(rep)
		return
	}
	st.rep.Set(rep)
	if r.after > 0 {
		st.phase = latencyAfter
		st.ctx.Up.After(r.after, st)
		return
	}
	st.phase = latencyTotal
	st.ctx.Up.After(st.padding(), st)
}

// padding is how much longer the request must take to last total.
func (st *latencyState) padding() time.Duration {
	if st.r.total <= 0 {
		return 0
	}
	return st.r.total - time.Duration(st.ctx.Up.NowNanos()-st.start)
}

func (st *latencyState) OnTimer() {
	switch st.phase {
	case latencyBefore:
		st.phase = latencyChild
		// st may be answered and released during this call.
		st.r.child.Route(st.ctx, &st.req.R, st)
	case latencyAfter:
		if d := st.padding(); d > 0 {
			st.phase = latencyTotal
			st.ctx.Up.After(d, st)
			return
		}
		st.finish(&st.rep.R)
	case latencyTotal:
		st.finish(&st.rep.R)
	}
}

// finish answers the caller with rep and releases st.
func (st *latencyState) finish(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb = nil, nil
	cb.OnReply(rep) // rep may be st.rep: release only after
	release(ctx, latencyKind, st)
}

func (r *latencyInjectionRoute) Name() string       { return r.name }
func (r *latencyInjectionRoute) Children() []Handle { return r.kids }
func (r *latencyInjectionRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.child.Traverse(req, depth+1, visit)
}

// newLatencyInjectionRoute builds LatencyInjectionRoute: {"type":
// "LatencyInjectionRoute", "child": route, "before_latency_ms": N,
// "after_latency_ms": N, "total_latency_ms": N, "request_payload_latency":
// false, "max_request_latency_us": N}. Without any latency it is child.
func newLatencyInjectionRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	const typ = "LatencyInjectionRoute"
	if !cfg.IsObject() {
		return nil, b.errf(at, "%s: config is not an object", typ)
	}
	cv := cfg.Get("child")
	if cv == nil {
		return nil, b.errf(cfg, "%s: 'child' property is missing", typ)
	}
	child, err := b.route(cv)
	if err != nil {
		return nil, err
	}
	if cfg.Get("before_latency_ms") == nil && cfg.Get("after_latency_ms") == nil &&
		cfg.Get("total_latency_ms") == nil && cfg.Get("request_payload_latency") == nil {
		return nil, b.errf(cfg, "%s must specify either 'before_latency_ms', 'after_latency_ms', 'total_latency_ms' or 'request_payload_latency'", typ)
	}
	var ms [4]int64 // before, after, total (ms), max_request_latency_us
	for i, f := range [...]string{"before_latency_ms", "after_latency_ms", "total_latency_ms", "max_request_latency_us"} {
		if v := cfg.Get(f); v != nil {
			var ok bool
			if ms[i], ok = v.Int(); !ok {
				return nil, b.errf(v, "%s: '%s' must be an integer", typ, f)
			}
		}
	}
	payload := false
	if v := cfg.Get("request_payload_latency"); v != nil {
		var ok bool
		if payload, ok = v.Bool(); !ok {
			return nil, b.errf(v, "%s: 'request_payload_latency' is not a bool", typ)
		}
	}
	if ms[0] == 0 && ms[1] == 0 && ms[2] == 0 && !payload {
		return child, nil
	}
	d := func(ms int64) time.Duration { return time.Duration(max(ms, 0)) * time.Millisecond }
	return &latencyInjectionRoute{
		child: child, kids: []Handle{child},
		before: d(ms[0]), after: d(ms[1]), total: d(ms[2]),
		name: "latency-injection|before:" + strconv.FormatInt(ms[0], 10) + "ms|after:" + strconv.FormatInt(ms[1], 10) +
			"ms|total:" + strconv.FormatInt(ms[2], 10) + "ms|request_payload:" + strconv.FormatBool(payload) +
			"|max_request_latency_us:" + strconv.FormatInt(ms[3], 10),
	}, nil
}
