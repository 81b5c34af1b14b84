package router

import "mcroute/upstream"

// destination is a leaf: one server of a pool. It sends the key without
// its routing prefix unless the pool keeps it (keep_routing_prefix).
type destination struct {
	idx  int // index in Config.Servers
	srv  *upstream.Server
	pool string
	keep bool
}

func (d *destination) Route(ctx *Ctx, req *upstream.Request, cb upstream.Callback) {
	key := req.Key
	if !d.keep {
		key = key[RoutingPrefixLen(key):]
	}
	ctx.conns[d.idx].Send(req, key, cb)
}

func (d *destination) Name() string       { return d.srv.Name() + "|pool=" + d.pool }
func (d *destination) Children() []Handle { return nil }

func (d *destination) Traverse(req *upstream.Request, depth int, visit Visitor) {
	visit(d, depth)
}

// Server returns the destination's server (for debug output).
func (d *destination) Server() *upstream.Server { return d.srv }
