package router

import (
	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("HashRoute", newHashRoute) }

// hashRoute picks one child by hashing the routing key (plus salt):
// mcrouter's HashRoute, and the core of PoolRoute.
type hashRoute struct {
	name     string
	fn       *hashfunc.Func
	children []Handle
}

func (h *hashRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	i := h.fn.Index(routingKeyOf(req))
	if i < 0 || i >= len(h.children) {
		ctx.replyLocal(cb, mc.ResLocalError, msgIndexOutOfRange)
		return
	}
	h.children[i].Route(ctx, req, cb)
}

var msgIndexOutOfRange = []byte("index out of range")

// Name is mcrouter's SelectionRoute name: "selection|hash|Ch3", with
// "|salt=<salt>" when salted.
func (h *hashRoute) Name() string       { return h.name }
func (h *hashRoute) Children() []Handle { return h.children }

// newHashRoute builds HashRoute: "HashRoute|Pool|A" or
// {"type": "HashRoute", "children": ..., "hash_func": ..., "salt": ...}.
func newHashRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if cfg == nil {
		return nil, b.errf(at, "HashRoute needs children")
	}
	fname := "Ch3"
	var opts hashfunc.Options
	name := ""
	if cfg.IsObject() {
		var err error
		if fname, err = b.hashFields(cfg, fname, &opts); err != nil {
			return nil, err
		}
		name, _ = cfg.Get("name").String()
	}
	hs, err := b.children("HashRoute", cfg, at)
	if err != nil {
		return nil, err
	}
	if fname == "Latest" {
		return b.latest(cfg, hs) // mcrouter: hash_func Latest is a LatestRoute
	}
	if fname == "LoadBalancer" {
		return b.loadBalancer(cfg, at, hs) // mcrouter: a LoadBalancerRoute
	}
	switch len(hs) {
	case 0:
		// mcrouter: an ErrorRoute, or a NullRoute with error_on_empty false.
		if cfg.IsObject() {
			if e, ok := cfg.Get("error_on_empty").Bool(); ok && !e {
				return nullRoute{}, nil
			}
		}
		return &errorRoute{res: mc.ResLocalError, msg: []byte("HashRoute with empty children, name: " + name)}, nil
	case 1:
		return hs[0], nil // one child: the child itself, as in mcrouter
	}
	fn, err := hashfunc.New(fname, len(hs), opts)
	if err != nil {
		return nil, b.errf(at, "HashRoute: %v", err)
	}
	return &hashRoute{name: "selection|" + fn.String(), fn: fn, children: hs}, nil
}

func (h *hashRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(h, depth)
	i := h.fn.Index(routingKeyOf(req))
	if i >= 0 && i < len(h.children) {
		h.children[i].Traverse(req, depth+1, visit)
	}
}
