package router

import "mcroute/codec/mc"

// Fills are requests the router makes up and sends in the background,
// nobody waiting for their replies: WarmUpRoute's add of a warm hit to
// cold, L1L2CacheRoute's add of an L2 hit (or of a negative-cache marker)
// to L1, L1L2SizeSplitRoute's copy of a large set to L2. The client has
// usually been answered, and its request recycled, before a fill's reply
// comes, so a fill owns copies of its key and value.

var fillKind = newStateKind()

// fill is one background request. It releases itself when answered.
type fill struct {
	ctx      *Ctx
	req      mc.Request
	key, val []byte
}

// newFill returns a fill for a storage request op key flags exptime value,
// copying key and value. Send it with send.
func newFill(ctx *Ctx, op mc.Op, key []byte, flags uint64, exptime int64, value []byte) *fill {
	f := acquire[fill](ctx, fillKind)
	f.ctx = ctx
	f.key = append(f.key[:0], key...)
	f.val = append(f.val[:0], value...)
	f.req = mc.Request{Op: op, Key: f.key, Value: f.val, Flags: flags, Exptime: exptime}
	return f
}

// copyFill returns a fill that is a copy of req.
func copyFill(ctx *Ctx, req *mc.Request) *fill {
	f := acquire[fill](ctx, fillKind)
	f.ctx = ctx
	f.key = append(f.key[:0], req.Key...)
	f.val = append(f.val[:0], req.Value...)
	f.req = *req
	f.req.Key, f.req.Value = f.key, f.val
	f.req.Opaque, f.req.Quiet, f.req.MetaFlags = nil, false, nil
	return f
}

// send routes the fill through h. f must not be used afterwards.
func (f *fill) send(h Handle) {
	h.Route(f.ctx, &f.req, f)
}

func (f *fill) OnReply(*mc.Reply) {
	ctx := f.ctx
	f.ctx = nil
	release(ctx, fillKind, f)
}
