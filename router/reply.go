package router

import "mcroute/codec/mc"

// replyLocal answers cb with a reply made by the router itself, using the
// Ctx's scratch Reply so that nothing is allocated.
func (c *Ctx) replyLocal(cb mc.Callback, res mc.Result, msg []byte) {
	c.rep = mc.Reply{Result: res, Msg: msg}
	cb.OnReply(&c.rep)
}

// defaultResult is mcrouter's default reply: NOT_STORED for update-like
// operations, NOT_FOUND for everything else.
func defaultResult(req *mc.Request) mc.Result {
	if req.Op.IsUpdate() {
		return mc.ResNotStored
	}
	return mc.ResNotFound
}
