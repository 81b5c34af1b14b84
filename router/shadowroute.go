package router

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { listConstructors["ShadowRoute"] = newShadowRoutes }

// shadowRoute is mcrouter's ShadowRoute (mcrouter-behaviour.md §10.3): it
// routes a request to its normal child and answers with that child's
// reply, untouched; every shadow whose settings match the request gets a
// fire-and-forget copy (mc.Request.Shadow set), sent after the normal
// request so that it never delays it.
type shadowRoute struct {
	normal  Handle
	shadows []*shadowSetting // at most maxShadows
}

const maxShadows = 64

// shadowSetting is one object of a "shadows" list.
type shadowSetting struct {
	target Handle
	// idxStart ≤ index < idxEnd: the children/servers it shadows.
	idxStart, idxEnd int
	// lo ≤ SpookyHash32(routing key) ≤ hi: the keys it shadows, unless the
	// runtime variable rvSlot of rv is set.
	lo, hi uint32
	rv     *RuntimeVars
	rvSlot int
	// keys, sorted, when keys_to_shadow is given: exactly these routing
	// keys, on every index.
	keys [][]byte
	// fraction < 1: shadow only this random fraction of matching requests.
	fraction float64
}

// matches reports whether the shadow takes a request for routing key rk;
// h caches the key's hash across the shadows of one request. random
// applies requests_fraction.
func (s *shadowSetting) matches(rk []byte, h *uint64, random bool) bool {
	if s.keys != nil {
		if _, ok := slices.BinarySearchFunc(s.keys, rk, bytes.Compare); !ok {
			return false
		}
	} else {
		lo, hi := s.lo, s.hi
		if s.rv != nil {
			if l, u, ok := s.rv.keyRange(s.rvSlot); ok {
				lo, hi = l, u
			}
		}
		if *h > 0xFFFFFFFF {
			*h = uint64(hashfunc.SpookyHash32(rk, 0))
		}
		if v := uint32(*h); v < lo || v > hi {
			return false
		}
	}
	return !random || s.fraction >= 1 || rand.Float64() < s.fraction
}

func (r *shadowRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	rk := RoutingKey(req.Key)
	h := uint64(1 << 32) // not hashed yet
	var mask uint64
	for i, s := range r.shadows {
		if s.matches(rk, &h, true) {
			mask |= 1 << i
		}
	}
	if mask == 0 {
		r.normal.Route(ctx, req, cb)
		return
	}
	// Copy first: the normal route may answer, and the client's request be
	// recycled, before Route returns.
	st := acquire[shadowFan](ctx, shadowFanKind)
	st.ctx, st.pending = ctx, bits.OnesCount64(mask)
	st.req.Set(req)
	st.req.R.Shadow = true
	shadows := r.shadows
	r.normal.Route(ctx, req, cb)
	// st may be released during the last shadow's Route: only the loop
	// variables are read after it.
	for ; mask != 0; mask &= mask - 1 {
		shadows[bits.TrailingZeros64(mask)].target.Route(ctx, &st.req.R, st)
	}
}

func (r *shadowRoute) Name() string { return "shadow" }

func (r *shadowRoute) Children() []Handle {
	hs := []Handle{r.normal}
	for _, s := range r.shadows {
		hs = append(hs, s.target)
	}
	return hs
}

// Traverse visits the normal child and the shadows the request's key
// matches (requests_fraction aside).
func (r *shadowRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.normal.Traverse(req, depth+1, visit)
	rk := RoutingKey(req.Key)
	h := uint64(1 << 32)
	for _, s := range r.shadows {
		if s.matches(rk, &h, false) {
			s.target.Traverse(req, depth+1, visit)
		}
	}
}

var shadowFanKind = newStateKind()

// shadowFan is the copy of one request sent to its matching shadows; it
// releases itself when the last of them has answered.
type shadowFan struct {
	ctx     *Ctx
	req     RequestCopy
	pending int
}

func (st *shadowFan) OnReply(*mc.Reply) {
	st.pending--
	if st.pending > 0 {
		return
	}
	ctx := st.ctx
	st.ctx = nil
	release(ctx, shadowFanKind, st)
}

// newShadowRoutes builds {"type": "ShadowRoute", "children": ...,
// "shadows": [...], "shadow_policy": "default"}: like mcrouter, it is a
// list, each child wrapped in the shadows whose index_range holds its
// index.
func newShadowRoutes(b *builder, cfg, at *jsonm.Value) ([]Handle, error) {
	if cfg == nil || !cfg.IsObject() {
		return nil, b.errf(at, "ShadowRoute: config is not an object")
	}
	cv := cfg.Get("children")
	if cv == nil {
		return nil, b.errf(cfg, "ShadowRoute: children not found")
	}
	hs, err := b.list(cv)
	if err != nil {
		return nil, err
	}
	sv := cfg.Get("shadows")
	if sv == nil {
		return nil, b.errf(cfg, "ShadowRoute: shadows not found")
	}
	return b.wrapShadows("ShadowRoute", cfg, hs)
}

// wrapShadows returns hs with each element wrapped in the shadows of
// cfg's "shadows" whose index range holds its index (a copy; hs is not
// changed). what names the caller in messages.
func (b *builder) wrapShadows(what string, cfg *jsonm.Value, hs []Handle) ([]Handle, error) {
	sv := cfg.Get("shadows")
	if sv == nil {
		return hs, nil
	}
	if pv := cfg.Get("shadow_policy"); pv != nil {
		if p, ok := pv.String(); !ok || p != "default" {
			return nil, b.errf(pv, "%s: only shadow_policy \"default\" is supported", what)
		}
	}
	if !sv.IsArray() {
		return nil, b.errf(sv, "%s: shadows must be an array", what)
	}
	var settings []*shadowSetting
	for _, e := range sv.Elems {
		s, err := b.shadowSetting(what, e)
		if err != nil {
			// mcrouter logs a bad shadow and goes on without it.
			b.warn(e, err.Error()+"; this shadow is ignored")
			continue
		}
		if s != nil {
			settings = append(settings, s)
		}
	}
	out := append([]Handle(nil), hs...)
	for i, h := range out {
		var mine []*shadowSetting
		for _, s := range settings {
			if s.keys != nil || (s.idxStart <= i && i < s.idxEnd) {
				mine = append(mine, s)
			}
		}
		if len(mine) > maxShadows {
			return nil, b.errf(sv, "%s: more than %d shadows for index %d", what, maxShadows, i)
		}
		if len(mine) > 0 {
			out[i] = &shadowRoute{normal: h, shadows: mine}
		}
	}
	return out, nil
}

// warn records a config warning positioned at v.
func (b *builder) warn(v *jsonm.Value, msg string) {
	e := &ConfigError{File: b.file, Msg: msg}
	if v != nil {
		if v.File != "" {
			e.File = v.File
		}
		e.Line = v.Line
	}
	b.warnings = append(b.warnings, e.Error())
}

// shadowSetting reads one shadow object (nil, nil for a non-object,
// which mcrouter skips).
func (b *builder) shadowSetting(what string, v *jsonm.Value) (*shadowSetting, error) {
	if !v.IsObject() {
		return nil, nil
	}
	tv := v.Get("target")
	if tv == nil {
		return nil, b.errf(v, "%s: shadow has no target", what)
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, b.errf(tv, "%s: shadow target: %v", what, err)
	}
	s := &shadowSetting{target: target, fraction: 1, rvSlot: -1}
	pair := func(field string) (x, y float64, ok bool, err error) {
		fv := v.Get(field)
		if fv == nil {
			return 0, 0, false, nil
		}
		if !fv.IsArray() || len(fv.Elems) != 2 {
			return 0, 0, false, b.errf(fv, "%s: shadow %s must be [start, end]", what, field)
		}
		x, ok1 := fv.Elems[0].Float()
		y, ok2 := fv.Elems[1].Float()
		if !ok1 || !ok2 {
			return 0, 0, false, b.errf(fv, "%s: shadow %s must be two numbers", what, field)
		}
		return x, y, true, nil
	}
	if kv := v.Get("keys_to_shadow"); kv != nil {
		if v.Get("index_range") != nil || v.Get("key_fraction_range") != nil || v.Get("key_fraction_range_rv") != nil {
			return nil, b.errf(kv, "%s: shadow keys_to_shadow cannot be combined with index_range or key_fraction_range", what)
		}
		if !kv.IsArray() {
			return nil, b.errf(kv, "%s: shadow keys_to_shadow must be an array of strings", what)
		}
		s.keys = [][]byte{}
		for _, e := range kv.Elems {
			k, ok := e.String()
			if !ok {
				return nil, b.errf(e, "%s: shadow keys_to_shadow must be strings", what)
			}
			s.keys = append(s.keys, []byte(k))
		}
		slices.SortFunc(s.keys, bytes.Compare)
	} else {
		a, e, ok, err := pair("index_range")
		if err != nil {
			return nil, err
		}
		if ok {
			if a < 0 || a > e || a != float64(int(a)) || e != float64(int(e)) {
				return nil, b.errf(v.Get("index_range"), "%s: shadow index_range [%v, %v]: want integers 0 ≤ start ≤ end", what, a, e)
			}
			s.idxStart, s.idxEnd = int(a), int(e)
		}
		fa, fb, ok, err := pair("key_fraction_range")
		if err != nil {
			return nil, err
		}
		if ok {
			if err := checkFractions(fa, fb); err != nil {
				return nil, b.errf(v.Get("key_fraction_range"), "%s: shadow key_fraction_range: %v", what, err)
			}
		}
		s.lo, s.hi = fractionToHash(fa), fractionToHash(fb)
		if rv := v.Get("key_fraction_range_rv"); rv != nil {
			name, ok := rv.String()
			if !ok {
				return nil, b.errf(rv, "%s: shadow key_fraction_range_rv must be a string", what)
			}
			if b.opts.RuntimeVars != nil {
				s.rv, s.rvSlot = b.opts.RuntimeVars, b.opts.RuntimeVars.slot(name)
			} else {
				b.warn(rv, what+": shadow key_fraction_range_rv "+strconv.Quote(name)+" has no --runtime-vars-file to read; key_fraction_range applies")
			}
		}
	}
	if fv := v.Get("requests_fraction"); fv != nil {
		f, ok := fv.Float()
		if !ok || f < 0 || f > 1 {
			return nil, b.errf(fv, "%s: shadow requests_fraction must be a number in [0, 1]", what)
		}
		s.fraction = f
	}
	return s, nil
}

// shadowCapKind holds, per loop, the shadow requests pending per server
// index of the loop's config.
var shadowCapKind = newStateKind()

type shadowPending struct{ n []int32 }

var shadowCallKind = newStateKind()

// shadowCall counts one shadow request to a server until it is answered.
type shadowCall struct {
	ctx *Ctx
	idx int
	cb  mc.Callback
}

var msgShadowDropped = []byte("shadow request dropped: too many pending shadow requests to this server")

// sendShadow sends a shadow request to destination d unless
// --target-max-shadow-requests are pending there on this loop already,
// in which case it is dropped (answered with a local error, which its
// sender discards).
func (d *destination) sendShadow(ctx *Ctx, req *mc.Request, key []byte, cb mc.Callback) {
	p, _ := ctx.pools[shadowCapKind].(*shadowPending)
	if p == nil {
		p = &shadowPending{n: make([]int32, len(ctx.conns))}
		ctx.pools[shadowCapKind] = p
	}
	if int(p.n[d.idx]) >= d.maxShadow {
		ctx.replyLocal(cb, mc.ResLocalError, msgShadowDropped)
		return
	}
	p.n[d.idx]++
	c := acquire[shadowCall](ctx, shadowCallKind)
	c.ctx, c.idx, c.cb = ctx, d.idx, cb
	ctx.conns[d.idx].Send(d.srv, req, key, c)
}

func (c *shadowCall) OnReply(rep *mc.Reply) {
	ctx, cb := c.ctx, c.cb
	ctx.pools[shadowCapKind].(*shadowPending).n[c.idx]--
	c.ctx, c.cb = nil, nil
	release(ctx, shadowCallKind, c)
	cb.OnReply(rep)
}
