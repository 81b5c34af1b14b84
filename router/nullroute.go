package router

import (
	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("NullRoute", newNullRoute) }

// nullRoute answers every request with the default reply (NOT_STORED for
// updates, NOT_FOUND otherwise) without sending anything.
type nullRoute struct{}

func (nullRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	ctx.replyLocal(cb, defaultResult(req), nil)
}

func (nullRoute) Name() string       { return "null" }
func (nullRoute) Children() []Handle { return nil }

// newNullRoute builds NullRoute.
func newNullRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) { return nullRoute{}, nil }

func (n nullRoute) Traverse(req *mc.Request, depth int, visit Visitor) { visit(n, depth) }
