package router

import (
	"mcroute/router/jsonm"
	"mcroute/upstream"
)

func init() { register("ErrorRoute", newErrorRoute) }

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

// newErrorRoute builds ErrorRoute: "ErrorRoute", "ErrorRoute|msg" or
// {"type": "ErrorRoute", "response": "msg"}.
func newErrorRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	e := &errorRoute{res: upstream.ResLocalError}
	if cfg == nil {
		return e, nil
	}
	if s, ok := cfg.String(); ok {
		e.msg = []byte(s)
		return e, nil
	}
	if r := cfg.Get("response"); r != nil {
		s, ok := r.String()
		if !ok {
			return nil, b.errf(r, "ErrorRoute: response must be a string")
		}
		e.msg = []byte(s)
	}
	return e, nil
}

func (e *errorRoute) Traverse(req *upstream.Request, depth int, visit Visitor) { visit(e, depth) }
