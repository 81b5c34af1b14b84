package router

import (
	"bytes"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("KeyParseRoute", newKeyParseRoute) }

// keyParseRoute sets a custom routing key for the handles below it: the
// routing key up to and including its num_routing_parts-th delimiter (the
// whole routing key when it has fewer), mcrouter's KeyParseRoute
// (mcrouter-behaviour.md §2.4). "a:b:c" with 2 parts and ':' routes as
// "a:b:". HashRoute, PoolRoute, LoadBalancerRoute and
// DeterministicOrderPolicy hash it; the key sent to servers is unchanged.
//
// mcrouter keeps the custom key in a fiber local that only KeySplitRoute
// and McBucketRoute read; mcroute's HashRoute (and PoolRoute) honour it
// too, which is what a config that puts KeyParseRoute over a pool means.
type keyParseRoute struct {
	target Handle
	kids   []Handle
	parts  int
	delim  byte
	name   string
}

var keyParseKind = newStateKind()

// keyParseState is the request with its routing key set, while target
// has it. Key, Value and RoutingKey alias the caller's request, which
// stays valid until it is answered, and that is after target answers.
type keyParseState struct {
	ctx *Ctx
	cb  mc.Callback
	req mc.Request
}

// prefix returns the custom routing key of key: it aliases key.
func (r *keyParseRoute) prefix(key []byte) []byte {
	rk := RoutingKey(key)
	pos := 0
	for i := 0; i < r.parts; i++ {
		j := bytes.IndexByte(rk[pos:], r.delim)
		if j < 0 {
			return rk
		}
		pos += j + 1
	}
	return rk[:pos]
}

func (r *keyParseRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[keyParseState](ctx, keyParseKind)
	st.ctx, st.cb, st.req = ctx, cb, *req
	st.req.RoutingKey = r.prefix(req.Key)
	r.target.Route(ctx, &st.req, st)
}

func (st *keyParseState) OnReply(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req = nil, nil, mc.Request{}
	cb.OnReply(rep)
	release(ctx, keyParseKind, st)
}

// Name is mcrouter's "key_parse|delimiter=<c>|num_routing_parts=<n>".
func (r *keyParseRoute) Name() string       { return r.name }
func (r *keyParseRoute) Children() []Handle { return r.kids }

func (r *keyParseRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	c := *req
	c.RoutingKey = r.prefix(req.Key)
	r.target.Traverse(&c, depth+1, visit)
}

// newKeyParseRoute builds {"type": "KeyParseRoute", "target": route,
// "num_routing_parts": N (>= 1), "delimiter": "<one char>"}, with
// mcrouter's error messages.
func newKeyParseRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "KeyParseRoute is not an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "KeyParseRoute: Missing target parameter")
	}
	nv := cfg.Get("num_routing_parts")
	if nv == nil {
		return nil, b.errf(cfg, "KeyParseRoute: missing num_routing_parts parameter")
	}
	n, ok := nv.Int()
	if !ok || n < 1 || n > 1<<31 {
		return nil, b.errf(nv, "KeyParseRoute: num_routing_parts must be an integer >= 1")
	}
	dv := cfg.Get("delimiter")
	d, ok := dv.String()
	if !ok || len(d) != 1 {
		if dv != nil {
			at = dv
		} else {
			at = cfg
		}
		return nil, b.errf(at, "KeyParseRoute: missing single char delimiter")
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	return &keyParseRoute{
		target: target, kids: []Handle{target}, parts: int(n), delim: d[0],
		name: "key_parse|delimiter=" + d + "|num_routing_parts=" + strconv.FormatInt(n, 10),
	}, nil
}
