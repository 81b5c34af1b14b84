package router

import (
	"mcroute/codec/mc"
	"mcroute/upstream"
)

// Handle is a compiled route handle. Handles are immutable and shared by
// every event loop; per-loop state lives in Ctx.
type Handle interface {
	// Route sends req through the handle on the loop that owns ctx. cb is
	// answered exactly once, on that loop, possibly before Route returns.
	// req must stay valid until cb is answered.
	Route(ctx *Ctx, req *mc.Request, cb mc.Callback)
	// Name is the handle's name in debug output (route_handles), as
	// mcrouter prints it where it can (e.g. "hash|Ch3|pool=A").
	Name() string
	// Children returns every handle this one may send to; nil for leaves.
	Children() []Handle
	// Traverse calls visit for this handle (at depth) and then traverses
	// the children req could be sent to (the one a hash picks; every child
	// of a fan-out or failover), at depth+1. Nothing is sent. It serves
	// __mcrouter__.route and route_handles.
	Traverse(req *mc.Request, depth int, visit Visitor)
}

// Visitor is called by Traverse for each handle on a request's path.
type Visitor func(h Handle, depth int)

// traverseAll visits h and traverses all of children at depth+1.
func traverseAll(h Handle, children []Handle, req *mc.Request, depth int, visit Visitor) {
	visit(h, depth)
	for _, c := range children {
		c.Traverse(req, depth+1, visit)
	}
}

// Ctx is one event loop's binding of one Config: the loop's upstream Conn
// for every Server of the config, by index (Servers that share a
// Destination share the Conn; each request still carries its own
// Server's timeouts). A request keeps the Ctx it
// started with, so it finishes on the tree it started on even if a new
// config is installed meanwhile. Only the owning loop may use a Ctx.
type Ctx struct {
	Up    *upstream.Loop
	Cfg   *Config
	conns []*upstream.Conn
	rep   mc.Reply
	pools []any // per state kind: *freeList[T]
	// rate holds the loop's token buckets of each RateLimitRoute, by its
	// id (ratelimitroute.go); grown on first use.
	rate []rateBuckets
}

// NewCtx binds cfg to loop up. It opens nothing: Conns dial on first use,
// and Conns belong to the process-wide Destinations, so they are shared
// with earlier configs that name the same servers.
func NewCtx(up *upstream.Loop, cfg *Config) *Ctx {
	conns := make([]*upstream.Conn, len(cfg.Servers))
	for i, s := range cfg.Servers {
		conns[i] = up.Conn(s)
	}
	return &Ctx{Up: up, Cfg: cfg, conns: conns, pools: make([]any, numStateKinds)}
}

// Conn returns the loop's connection to server index i of the config.
func (c *Ctx) Conn(i int) *upstream.Conn { return c.conns[i] }

// Conns returns the loop's connections to every server of the config, by
// index. The slice is owned by the Ctx.
func (c *Ctx) Conns() []*upstream.Conn { return c.conns }
