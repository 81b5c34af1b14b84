package router

import (
	"math"
	"strconv"
	"strings"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
	"mcroute/upstream"
)

func init() { register("RateLimitRoute", newRateLimitRoute) }

// rateLimitRoute sends a request to target while its class's token bucket
// has a token, and otherwise to fallback, or answers the default reply
// (NOT_FOUND; NOT_STORED for updates) when there is none
// (mcrouter-behaviour.md §10.4). Classes: get-like (get, gets, gat, gats),
// update-like (set, add, replace, append, prepend, cas) and delete; touch,
// incr, decr and everything else are never limited, and a class without
// "<class>_rate" is unlimited. One token per request.
//
// Buckets are per event loop, kept in the loop's Ctx: mcrouter builds one
// route tree per proxy thread, so each of its RateLimitRoutes limits each
// proxy thread separately (the process-wide limit is rate × threads), and
// mcroute's loops are its proxy threads. Per-loop buckets need no atomics
// and no shared cache lines. A bucket starts full when its loop first
// uses it (a reload builds new, full buckets, as mcrouter's does).
type rateLimitRoute struct {
	target, fallback Handle
	kids             []Handle
	// id indexes the route's buckets in Ctx.rate; unique within a Config.
	id int
	// rate (tokens/s) and burst per class; rate 0: unlimited.
	rate, burst [numRateClasses]float64
	// now is the clock in nanoseconds (monotonic); tests replace it.
	now  func() int64
	name string
}

// Rate classes.
const (
	rateGets = iota
	rateSets
	rateDeletes
	numRateClasses
)

var rateClassNames = [numRateClasses]string{"gets", "sets", "deletes"}

// rateBuckets are one rateLimitRoute's buckets on one loop: each class's
// folly::TokenBucket "zero time", the time (s) at which the bucket was
// (or would have been) empty; tokens = min((now-zero)·rate, burst).
type rateBuckets struct {
	init bool
	zero [numRateClasses]float64
}

// rateClass returns op's bucket, or -1 for ops that are never limited.
func rateClass(op mc.Op) int {
	switch {
	case op.IsGet():
		return rateGets
	case op.IsUpdate():
		return rateSets
	case op == mc.OpDelete:
		return rateDeletes
	}
	return -1
}

func (r *rateLimitRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if c := rateClass(req.Op); c >= 0 && r.rate[c] > 0 && !r.take(ctx, c) {
		if r.fallback != nil {
			r.fallback.Route(ctx, req, cb)
			return
		}
		ctx.replyLocal(cb, defaultResult(req), nil)
		return
	}
	r.target.Route(ctx, req, cb)
}

// take consumes a token of class c from the loop's bucket, if it has one.
func (r *rateLimitRoute) take(ctx *Ctx, c int) bool {
	if r.id >= len(ctx.rate) {
		// Once per Ctx and route: the slice grows to the config's routes.
		ctx.rate = append(ctx.rate, make([]rateBuckets, r.id+1-len(ctx.rate))...)
	}
	b := &ctx.rate[r.id]
	now := float64(r.now()) / 1e9
	if !b.init {
		b.init = true
		for i := range b.zero {
			if r.rate[i] > 0 {
				b.zero[i] = now - r.burst[i]/r.rate[i] // full
			}
		}
	}
	rate := r.rate[c]
	tokens := min((now-b.zero[c])*rate, r.burst[c])
	if tokens < 1 {
		return false
	}
	b.zero[c] = now - (tokens-1)/rate
	return true
}

func (r *rateLimitRoute) Name() string       { return r.name }
func (r *rateLimitRoute) Children() []Handle { return r.kids }

// Traverse goes to target only and takes no token, as mcrouter's.
func (r *rateLimitRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.target.Traverse(req, depth+1, visit)
}

// newRateLimitRoute builds RateLimitRoute: {"type": "RateLimitRoute",
// "target": route, "rates": {...}, "fallback": route}.
func newRateLimitRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "RateLimitRoute is not an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "RateLimitRoute: target not found")
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	rv := cfg.Get("rates")
	if rv == nil {
		return nil, b.errf(cfg, "RateLimitRoute: rates not found")
	}
	var fallback Handle
	if fv := cfg.Get("fallback"); fv != nil {
		if fallback, err = b.route(fv); err != nil {
			return nil, err
		}
	}
	return b.rateLimit(target, rv, fallback)
}

// rateLimit wraps target in a rateLimitRoute configured by rates (a
// RateLimitRoute's or a PoolRoute's "rates"), as mcrouter's RateLimiter
// reads it: "<class>_rate" must be a positive number; "<class>_burst"
// defaults to the rate (and to it too when it is not a number, as
// mcrouter's asPositiveDoubleDefault does).
func (b *builder) rateLimit(target Handle, rates *jsonm.Value, fallback Handle) (Handle, error) {
	if !rates.IsObject() {
		return nil, b.errf(rates, "RateLimiter settings json is not an object")
	}
	r := &rateLimitRoute{target: target, fallback: fallback, kids: []Handle{target}, now: upstream.Now}
	if fallback != nil {
		r.kids = append(r.kids, fallback)
	}
	var pieces []string
	for c, cls := range rateClassNames {
		rv := rates.Get(cls + "_rate")
		if rv == nil {
			continue
		}
		rate, ok := rv.Float()
		if !ok {
			return nil, b.errf(rv, "RateLimitRoute: %s_rate is not a number", cls)
		}
		if !(rate > 0) || math.IsInf(rate, 0) {
			return nil, b.errf(rv, "RateLimitRoute: %s_rate is nonpositive", cls)
		}
		burst := rate
		if bv := rates.Get(cls + "_burst"); bv != nil {
			if f, ok := bv.Float(); ok {
				if !(f > 0) || math.IsInf(f, 0) {
					return nil, b.errf(bv, "RateLimitRoute: %s_burst is nonpositive", cls)
				}
				burst = f
			}
		}
		r.rate[c], r.burst[c] = rate, burst
		pieces = append(pieces, cls+"_rate="+follyDouble(rate), cls+"_burst="+follyDouble(burst))
	}
	r.id = b.rateLimits
	b.rateLimits++
	r.name = "rate-limit"
	if len(pieces) > 0 {
		r.name += "|" + strings.Join(pieces, "|")
	}
	return r, nil
}

// follyDouble formats f as folly::to<std::string>(double) does: the
// shortest representation, without an exponent from 1e-6 up to 1e21.
func follyDouble(f float64) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
