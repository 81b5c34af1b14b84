package router

import (
	"sync/atomic"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("DevNullRoute", newDevNullRoute) }

// devNullRequests counts requests DevNullRoute swallowed, for the
// dev_null_requests stat.
var devNullRequests atomic.Uint64

// DevNullRequests returns the number of requests answered by a
// DevNullRoute since the process started (stat dev_null_requests).
func DevNullRequests() uint64 { return devNullRequests.Load() }

// devNullRoute answers the default reply (NOT_STORED for updates,
// NOT_FOUND otherwise) and counts the request (mcrouter-behaviour.md §2.4).
type devNullRoute struct{}

func (devNullRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	devNullRequests.Add(1)
	ctx.replyLocal(cb, defaultResult(req), nil)
}

func (devNullRoute) Name() string       { return "devnull" }
func (devNullRoute) Children() []Handle { return nil }

func (d devNullRoute) Traverse(req *mc.Request, depth int, visit Visitor) { visit(d, depth) }

// newDevNullRoute builds DevNullRoute.
func newDevNullRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) { return devNullRoute{}, nil }
