package router

import (
	"math/rand/v2"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("LoadBalancerRoute", newLoadBalancerRoute) }

// loadBalancerRoute is mcrouter's LoadBalancerRoute (mcrouter-behaviour.md
// §2.2): it picks a child by the load its servers report, used as
// WeightedCh3 weights (weight = 1 − load, 1.0 until reported, and again
// load_ttl_ms after the last report) with "weighted-hashing", or the less
// loaded of two random children with "two-random-choices"; on an error
// reply it tries other children, failover_count tries in all.
//
// Servers report load only over caret/thrift; plain memcached never does,
// so every weight stays 1.0 and weighted-hashing is Ch3 of the routing key
// (+salt), two-random-choices a uniformly random child. The load table is
// there (per event loop, as mcrouter's is per proxy thread) for when a
// protocol reports load. Deviation: after an error the next child tried is
// the next one by index that was not tried yet (the spec does not say how
// mcrouter picks it).
type loadBalancerRoute struct {
	children  []Handle
	fn        *hashfunc.Func // Ch3 with salt: the all-weights-1 case
	salt      string
	twoRandom bool
	ttlNanos  int64
	failovers int // tries in all, ≤ len(children)
	slot      int64
	name      string
	now       func(ctx *Ctx) int64
}

// lbLoop is one loop's load table and scratch weights.
type lbLoop struct {
	weight  []float64 // 1 − load
	expires []int64
	loaded  int // entries with a load that has not expired yet (upper bound)
	scratch []float64
	salted  []byte
}

func (r *loadBalancerRoute) loop(ctx *Ctx) *lbLoop {
	st := handleState[lbLoop](ctx, r.slot)
	if st.weight == nil {
		st.weight = make([]float64, len(r.children))
		st.expires = make([]int64, len(r.children))
		st.scratch = make([]float64, len(r.children))
		for i := range st.weight {
			st.weight[i] = 1
		}
	}
	return st
}

// recordLoad notes a load (0..1) reported by child i's server.
func (r *loadBalancerRoute) recordLoad(ctx *Ctx, i int, load float64) {
	st := r.loop(ctx)
	st.weight[i] = min(1, max(0, 1-load))
	st.expires[i] = r.now(ctx) + r.ttlNanos
	st.loaded++
}

// weights returns the children's current weights, or nil when all are 1.
func (r *loadBalancerRoute) weights(ctx *Ctx, st *lbLoop) []float64 {
	if st.loaded == 0 {
		return nil
	}
	now := r.now(ctx)
	live := 0
	for i := range st.weight {
		if st.expires[i] != 0 && now >= st.expires[i] {
			st.weight[i], st.expires[i] = 1, 0
		}
		if st.expires[i] != 0 {
			live++
		}
		st.scratch[i] = st.weight[i]
	}
	st.loaded = live
	if live == 0 {
		return nil
	}
	return st.scratch
}

func (r *loadBalancerRoute) pick(ctx *Ctx, req *mc.Request) int {
	st := r.loop(ctx)
	w := r.weights(ctx, st)
	if r.twoRandom {
		n := len(r.children)
		a := rand.IntN(n)
		b := rand.IntN(n - 1)
		if b >= a {
			b++
		}
		if w != nil && w[b] > w[a] {
			return b
		}
		return a
	}
	rk := routingKeyOf(req)
	if w == nil {
		return r.fn.Index(rk)
	}
	st.salted = hashfunc.AppendSalted(st.salted[:0], rk, r.salt)
	return hashfunc.WeightedCh3(st.salted, w)
}

func (r *loadBalancerRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	i := r.pick(ctx, req)
	if r.failovers <= 1 {
		r.children[i].Route(ctx, req, cb)
		return
	}
	st := acquire[lbCall](ctx, lbCallKind)
	st.r, st.ctx, st.req, st.cb = r, ctx, req, cb
	st.first, st.tries = i, 1
	r.children[i].Route(ctx, req, st)
}

var lbCallKind = newStateKind()

// lbCall is a request that may be retried on another child after an
// error.
type lbCall struct {
	r            *loadBalancerRoute
	ctx          *Ctx
	req          *mc.Request
	cb           mc.Callback
	first, tries int
}

func (st *lbCall) OnReply(rep *mc.Reply) {
	r := st.r
	if rep.Result.IsError() && st.tries < r.failovers {
		i := (st.first + st.tries) % len(r.children)
		st.tries++
		r.children[i].Route(st.ctx, st.req, st)
		return
	}
	ctx, cb := st.ctx, st.cb
	st.r, st.ctx, st.req, st.cb = nil, nil, nil, nil
	release(ctx, lbCallKind, st)
	cb.OnReply(rep)
}

// Name is mcrouter's routeName: loadbalancer|<algorithm>.
func (r *loadBalancerRoute) Name() string       { return r.name }
func (r *loadBalancerRoute) Children() []Handle { return r.children }
func (r *loadBalancerRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if r.twoRandom {
		for _, c := range r.children {
			c.Traverse(req, depth+1, visit)
		}
		return
	}
	r.children[r.fn.Index(routingKeyOf(req))].Traverse(req, depth+1, visit)
}

// newLoadBalancerRoute builds {"type": "LoadBalancerRoute", "children":
// ..., "salt", "load_ttl_ms" (100), "failover_count" (1), "algorithm"
// ("weighted-hashing" | "two-random-choices"),
// "enable_thrift_server_load"}.
func newLoadBalancerRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	hs, err := b.children("LoadBalancerRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	if !cfg.IsObject() {
		cfg = jsonm.NewObject()
	}
	return b.loadBalancer(cfg, at, hs)
}

// loadBalancer builds a LoadBalancerRoute over hs from the fields of cfg
// (also HashRoute's hash_func "LoadBalancer").
func (b *builder) loadBalancer(cfg, at *jsonm.Value, hs []Handle) (Handle, error) {
	switch len(hs) {
	case 0:
		return nullRoute{}, nil
	case 1:
		return hs[0], nil
	}
	r := &loadBalancerRoute{children: hs, ttlNanos: 100e6, failovers: 1, slot: newLoopSlot(),
		now: func(ctx *Ctx) int64 { return ctx.Up.NowNanos() }}
	if sv := cfg.Get("salt"); sv != nil {
		s, ok := sv.String()
		if !ok {
			return nil, b.errf(sv, "LoadBalancerRoute: salt must be a string")
		}
		r.salt = s
	}
	algo := "weighted-hashing"
	if av := cfg.Get("algorithm"); av != nil {
		s, ok := av.String()
		if !ok || (s != "weighted-hashing" && s != "two-random-choices") {
			return nil, b.errf(av, "LoadBalancerRoute: algorithm must be \"weighted-hashing\" or \"two-random-choices\"")
		}
		algo = s
	}
	r.twoRandom = algo == "two-random-choices"
	r.name = "loadbalancer|" + algo
	if tv := cfg.Get("load_ttl_ms"); tv != nil {
		n, ok := tv.Int()
		if !ok || n < 0 {
			return nil, b.errf(tv, "LoadBalancerRoute: load_ttl_ms must be a non-negative integer")
		}
		r.ttlNanos = n * 1e6
	}
	if fv := cfg.Get("failover_count"); fv != nil {
		n, ok := fv.Int()
		if !ok || n < 1 {
			return nil, b.errf(fv, "LoadBalancerRoute: failover_count must be a positive integer")
		}
		r.failovers = int(min(n, int64(len(hs))))
	}
	if ev := cfg.Get("enable_thrift_server_load"); ev != nil {
		if _, ok := ev.Bool(); !ok {
			return nil, b.errf(ev, "LoadBalancerRoute: enable_thrift_server_load must be a bool")
		}
	}
	fn, err := hashfunc.New(hashfunc.NameCh3, len(hs), hashfunc.Options{Salt: r.salt})
	if err != nil {
		return nil, b.errf(at, "LoadBalancerRoute: %v", err)
	}
	r.fn = fn
	return r, nil
}
