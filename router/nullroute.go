package router

import "mcroute/upstream"

// nullRoute answers every request with the default reply (NOT_STORED for
// updates, NOT_FOUND otherwise) without sending anything.
type nullRoute struct{}

func (nullRoute) Route(ctx *Ctx, req *upstream.Request, cb upstream.Callback) {
	ctx.replyLocal(cb, defaultResult(req), nil)
}

func (nullRoute) Name() string       { return "null" }
func (nullRoute) Children() []Handle { return nil }
