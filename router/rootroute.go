package router

import (
	"bytes"

	"mcroute/upstream"
)

// prefixRoute is one entry of the routes table: a routing prefix
// ("/region/cluster/") and its handle.
type prefixRoute struct {
	prefix []byte
	h      Handle
}

// rootRoute picks the route for a key's routing prefix
// (mcrouter-behaviour.md §1.6): no prefix → the default route (-R); an
// exact prefix → its route; unknown → the default route when
// --send-invalid-route-to-default, else "RootRoute: No rh found".
type rootRoute struct {
	def              Handle // route of the default prefix; nil when none
	routes           []prefixRoute
	invalidToDefault bool
}

var msgNoRoute = []byte("RootRoute: No rh found")

func (r *rootRoute) Route(ctx *Ctx, req *upstream.Request, cb upstream.Callback) {
	h := r.pick(req.Key)
	if h == nil {
		ctx.replyLocal(cb, upstream.ResLocalError, msgNoRoute)
		return
	}
	h.Route(ctx, req, cb)
}

func (r *rootRoute) pick(key []byte) Handle {
	pl := RoutingPrefixLen(key)
	if pl == 0 {
		return r.def
	}
	p := key[:pl]
	for i := range r.routes {
		if bytes.Equal(r.routes[i].prefix, p) {
			return r.routes[i].h
		}
	}
	if r.invalidToDefault {
		return r.def
	}
	return nil
}

func (r *rootRoute) Name() string { return "root" }
func (r *rootRoute) Children() []Handle {
	hs := make([]Handle, 0, len(r.routes))
	for _, pr := range r.routes {
		hs = append(hs, pr.h)
	}
	return hs
}

func (r *rootRoute) Traverse(req *upstream.Request, depth int, visit Visitor) {
	visit(r, depth)
	if h := r.pick(req.Key); h != nil {
		h.Traverse(req, depth+1, visit)
	}
}
