package router

import "mcroute/codec/mc"

// Per-request state of handles that wait for more than one reply (fan-out,
// failover) lives in structs taken from per-Ctx free lists, so that routing
// allocates nothing in steady state. Each state type gets a kind number
// once, at package init:
//
//	var allSyncKind = newStateKind()
//	st := acquire[allSyncState](ctx, allSyncKind)
//	...
//	release(ctx, allSyncKind, st)
//
// A state is released by the handle when its last child has answered; it
// must not be touched after that.

var numStateKinds int

// newStateKind reserves a free list slot; call it only from package-level
// variable initialisers.
func newStateKind() int {
	numStateKinds++
	return numStateKinds - 1
}

type freeList[T any] struct{ items []*T }

// acquire returns a *T from ctx's free list for kind (a new one when the
// list is empty). Its fields hold whatever the last user left.
func acquire[T any](ctx *Ctx, kind int) *T {
	fl, _ := ctx.pools[kind].(*freeList[T])
	if fl == nil {
		fl = &freeList[T]{}
		ctx.pools[kind] = fl
	}
	if n := len(fl.items); n > 0 {
		t := fl.items[n-1]
		fl.items[n-1] = nil
		fl.items = fl.items[:n-1]
		return t
	}
	return new(T)
}

// release returns t to ctx's free list for kind.
func release[T any](ctx *Ctx, kind int, t *T) {
	fl := ctx.pools[kind].(*freeList[T])
	fl.items = append(fl.items, t)
}

// ReplyCopy is a reply kept beyond the OnReply call that delivered it: its
// Value and Msg are copied into buffers the ReplyCopy owns and reuses.
type ReplyCopy struct {
	R        mc.Reply
	val, msg []byte
}

// Set copies rep.
func (c *ReplyCopy) Set(rep *mc.Reply) {
	c.R = *rep
	c.val = append(c.val[:0], rep.Value...)
	c.msg = append(c.msg[:0], rep.Msg...)
	c.R.Value, c.R.Msg = c.val, c.msg
}

// RequestCopy is a request kept beyond the Route call that received it
// (for children sent later or asynchronously): Key and Value are copied
// into buffers the RequestCopy owns and reuses.
type RequestCopy struct {
	R            mc.Request
	key, val, rk []byte
}

// Set copies req.
func (c *RequestCopy) Set(req *mc.Request) {
	c.R = *req
	c.key = append(c.key[:0], req.Key...)
	c.val = append(c.val[:0], req.Value...)
	c.R.Key, c.R.Value = c.key, c.val
	if req.RoutingKey != nil {
		c.rk = append(c.rk[:0], req.RoutingKey...)
		c.R.RoutingKey = c.rk
	}
}

// discard is a Callback that drops the reply: for requests sent
// asynchronously, whose replies nobody waits for.
type discard struct{}

func (discard) OnReply(*mc.Reply) {}

// Discard is the Callback for fire-and-forget sends.
var Discard mc.Callback = discard{}
