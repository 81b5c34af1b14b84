package router

import (
	"math/rand/v2"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("SlowWarmUpRoute", newSlowWarmUpRoute) }

// slowWarmUpRoute is mcrouter's SlowWarmUpRoute (mcrouter-behaviour.md
// §2.5, §10.5), made by PoolRoute's "slow_warmup" around each server: it
// tracks the server's get hit rate, hits/(hits+misses), counted as 1.0
// until min_requests replies were seen. Below enable_threshold the server
// is warming up until the rate reaches disable_threshold; meanwhile a
// get-like request goes to the server with probability
// start + step·hitRate and otherwise to failoverTarget. Other operations
// always go to the server.
//
// The rate is tracked per event loop (mcrouter: per proxy thread), over a
// window: once hits+misses reaches windowFactor·min_requests both are
// halved, so that a server that was warm and restarts cold is noticed.
type slowWarmUpRoute struct {
	target, failover Handle
	set              slowWarmUpSettings
	slot             int64
}

type slowWarmUpSettings struct {
	enable, disable, start, step float64
	minRequests                  uint64
}

const slowWarmUpWindowFactor = 10

var defaultSlowWarmUp = slowWarmUpSettings{enable: 0.7, disable: 0.9, start: 0.1, step: 1.0, minRequests: 100}

type swuLoop struct {
	hits, misses uint64
	warming      bool
}

func (s *swuLoop) hitRate(minRequests uint64) float64 {
	n := s.hits + s.misses
	if n < minRequests || n == 0 {
		return 1
	}
	return float64(s.hits) / float64(n)
}

var swuCallKind = newStateKind()

// swuCall counts the hit or miss of one get sent to the server.
type swuCall struct {
	r   *slowWarmUpRoute
	ctx *Ctx
	cb  mc.Callback
}

func (r *slowWarmUpRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if !req.Op.IsGet() {
		r.target.Route(ctx, req, cb)
		return
	}
	st := handleState[swuLoop](ctx, r.slot)
	if st.warming {
		p := r.set.start + r.set.step*st.hitRate(r.set.minRequests)
		if rand.Float64() >= p {
			r.failover.Route(ctx, req, cb)
			return
		}
	}
	c := acquire[swuCall](ctx, swuCallKind)
	c.r, c.ctx, c.cb = r, ctx, cb
	r.target.Route(ctx, req, c)
}

func (c *swuCall) OnReply(rep *mc.Reply) {
	r, ctx, cb := c.r, c.ctx, c.cb
	c.r, c.ctx, c.cb = nil, nil, nil
	release(ctx, swuCallKind, c)
	st := handleState[swuLoop](ctx, r.slot)
	switch rep.Result {
	case mc.ResFound:
		st.hits++
	case mc.ResNotFound:
		st.misses++
	}
	if w := slowWarmUpWindowFactor * r.set.minRequests; w > 0 && st.hits+st.misses >= w {
		st.hits, st.misses = st.hits/2, st.misses/2
	}
	rate := st.hitRate(r.set.minRequests)
	if !st.warming && rate < r.set.enable {
		st.warming = true
	} else if st.warming && rate >= r.set.disable {
		st.warming = false
	}
	cb.OnReply(rep)
}

func (r *slowWarmUpRoute) Name() string       { return "slow-warmup" }
func (r *slowWarmUpRoute) Children() []Handle { return []Handle{r.target, r.failover} }
func (r *slowWarmUpRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	traverseAll(r, r.Children(), req, depth, visit)
}

// newSlowWarmUpRoute builds {"type": "SlowWarmUpRoute", "target": ...,
// "failoverTarget": ..., "settings": {...}}.
func newSlowWarmUpRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil || !cfg.IsObject() {
		return nil, b.errf(at, "SlowWarmUpRoute: config is not an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "SlowWarmUpRoute: target not found")
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	return b.slowWarmUp(cfg, "SlowWarmUpRoute", target)
}

// slowWarmUp wraps target as v (a SlowWarmUpRoute object or PoolRoute's
// "slow_warmup" object: failoverTarget, settings) says.
func (b *builder) slowWarmUp(v *jsonm.Value, what string, target Handle) (*slowWarmUpRoute, error) {
	set, failover, err := b.slowWarmUpConfig(v, what)
	if err != nil {
		return nil, err
	}
	return &slowWarmUpRoute{target: target, failover: failover, set: set, slot: newLoopSlot()}, nil
}

func (b *builder) slowWarmUpConfig(v *jsonm.Value, what string) (slowWarmUpSettings, Handle, error) {
	set := defaultSlowWarmUp
	if !v.IsObject() {
		return set, nil, b.errf(v, "%s: slow_warmup is not an object", what)
	}
	fv := v.Get("failoverTarget")
	if fv == nil {
		return set, nil, b.errf(v, "%s: failoverTarget not found", what)
	}
	failover, err := b.route(fv)
	if err != nil {
		return set, nil, err
	}
	sv := v.Get("settings")
	if sv == nil {
		return set, failover, nil
	}
	if !sv.IsObject() {
		return set, nil, b.errf(sv, "%s: settings is not an object", what)
	}
	num := func(name string, required bool, p *float64) error {
		nv := sv.Get(name)
		if nv == nil {
			if required {
				return b.errf(sv, "%s: settings: %s is required", what, name)
			}
			return nil
		}
		f, ok := nv.Float()
		if !ok {
			return b.errf(nv, "%s: settings: %s must be a number", what, name)
		}
		*p = f
		return nil
	}
	for _, f := range []struct {
		name     string
		required bool
		p        *float64
	}{{"enable_threshold", true, &set.enable}, {"disable_threshold", true, &set.disable}, {"start", false, &set.start}, {"step", false, &set.step}} {
		if err := num(f.name, f.required, f.p); err != nil {
			return set, nil, err
		}
	}
	if !(set.enable >= 0 && set.enable <= set.disable && set.disable <= 1) {
		return set, nil, b.errf(sv, "%s: settings: want 0 ≤ enable_threshold ≤ disable_threshold ≤ 1", what)
	}
	if set.start < 0 || set.step < 0 {
		return set, nil, b.errf(sv, "%s: settings: start and step must not be negative", what)
	}
	if mv := sv.Get("min_requests"); mv != nil {
		n, ok := mv.Int()
		if !ok || n < 0 {
			return set, nil, b.errf(mv, "%s: settings: min_requests must be a non-negative integer", what)
		}
		set.minRequests = uint64(n)
	}
	return set, failover, nil
}
