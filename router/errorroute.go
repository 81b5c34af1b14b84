package router

import "mcroute/upstream"

// errorRoute answers every request with an error: mcrouter's ErrorRoute,
// and what an empty pool under a HashRoute becomes.
type errorRoute struct {
	msg []byte // the response text; empty: the canned text of res
	res upstream.Result
}

func (e *errorRoute) Route(ctx *Ctx, req *upstream.Request, cb upstream.Callback) {
	ctx.replyLocal(cb, e.res, e.msg)
}

func (e *errorRoute) Name() string       { return "error" }
func (e *errorRoute) Children() []Handle { return nil }
