package router

import (
	"mcroute/upstream"
)

// replyLocal answers cb with a reply made by the router itself, using the
// Ctx's scratch Reply so that nothing is allocated.
func (c *Ctx) replyLocal(cb upstream.Callback, res upstream.Result, msg []byte) {
	c.rep = upstream.Reply{Result: res, Msg: msg}
	cb.OnReply(&c.rep)
}

// defaultResult is mcrouter's default reply: NOT_STORED for update-like
// operations, NOT_FOUND for everything else.
func defaultResult(req *upstream.Request) upstream.Result {
	if req.Op.IsUpdate() {
		return upstream.ResNotStored
	}
	return upstream.ResNotFound
}
