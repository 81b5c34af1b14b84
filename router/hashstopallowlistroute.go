package router

import (
	"bytes"
	"strconv"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("HashStopAllowListRoute", newHashStopAllowListRoute) }

// hashStopAllowListRoute refuses keys with a hash stop ("|#|") unless the
// full key starts with one of the allowed prefixes: mcrouter's
// HashStopAllowListRoute (mcrouter-behaviour.md §2.4). A refused key is
// answered LOCAL_ERROR "Hash stop not permited" (mcrouter's spelling);
// with no prefixes every key with a hash stop is refused.
type hashStopAllowListRoute struct {
	target   Handle
	kids     []Handle
	prefixes [][]byte
	name     string
}

var msgHashStopNotPermitted = []byte("Hash stop not permited")

func (r *hashStopAllowListRoute) allowed(key []byte) bool {
	if !bytes.Contains(key, hashStop) {
		return true
	}
	for _, p := range r.prefixes {
		if bytes.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func (r *hashStopAllowListRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if r.allowed(req.Key) {
		r.target.Route(ctx, req, cb)
		return
	}
	ctx.replyLocal(cb, mc.ResLocalError, msgHashStopNotPermitted)
}

// Name is mcrouter's "HashStopAllowListRoute|num_prefixes=<n>".
func (r *hashStopAllowListRoute) Name() string       { return r.name }
func (r *hashStopAllowListRoute) Children() []Handle { return r.kids }

func (r *hashStopAllowListRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if r.allowed(req.Key) {
		r.target.Traverse(req, depth+1, visit)
	}
}

// newHashStopAllowListRoute builds {"type": "HashStopAllowListRoute",
// "target": route, "prefixes": ["a", ...]}.
func newHashStopAllowListRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "HashStopAllowListRoute is not an object")
	}
	tv := cfg.Get("target")
	if tv == nil {
		return nil, b.errf(cfg, "HashStopAllowListRoute: Missing target parameter")
	}
	r := &hashStopAllowListRoute{}
	if pv := cfg.Get("prefixes"); pv.IsArray() {
		for _, e := range pv.Elems {
			s, ok := e.String()
			if !ok {
				return nil, b.errf(e, "HashStopAllowListRoute: prefixes: expected string, found %s", e.Kind())
			}
			r.prefixes = append(r.prefixes, []byte(s))
		}
	}
	target, err := b.route(tv)
	if err != nil {
		return nil, err
	}
	r.target, r.kids = target, []Handle{target}
	r.name = "HashStopAllowListRoute|num_prefixes=" + strconv.Itoa(len(r.prefixes))
	return r, nil
}
