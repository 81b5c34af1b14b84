package router

import (
	"mcroute/router/hashfunc"
	"mcroute/upstream"
)

// hashRoute picks one child by hashing the routing key (plus salt):
// mcrouter's HashRoute, and the core of PoolRoute.
type hashRoute struct {
	name     string
	fn       *hashfunc.Func
	children []Handle
}

func (h *hashRoute) Route(ctx *Ctx, req *upstream.Request, cb upstream.Callback) {
	i := h.fn.Index(RoutingKey(req.Key))
	if i < 0 || i >= len(h.children) {
		ctx.replyLocal(cb, upstream.ResLocalError, msgIndexOutOfRange)
		return
	}
	h.children[i].Route(ctx, req, cb)
}

var msgIndexOutOfRange = []byte("index out of range")

func (h *hashRoute) Name() string       { return h.name }
func (h *hashRoute) Children() []Handle { return h.children }
