package router

import (
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
	"mcroute/upstream/asynclog"
)

// asynclogRoute is mcrouter's AsynclogRoute, the reliable delete stream
// (mcrouter-behaviour.md §8): every PoolRoute is wrapped in one unless its
// object says "asynclog": false or --asynclog-disable is given. A delete
// whose destination answers a failover error is appended to the asynclog
// spool; once the record is on disk (written and fsynced by the spool's
// writer goroutine, acknowledged back on the loop) the client gets
// NOT_FOUND. If the record cannot be queued (the queue is full) or written
// (the directory cannot be created, the disk is full…), the client gets
// the real error: a delete is never dropped silently. Other ops, and
// deletes that succeed or fail otherwise (CLIENT_ERROR), pass through.
//
// The record names the destination the pool's hash picked (found by
// traversing the child for the request) with its port, or
// asynclog_port_override, and the key without its routing prefix unless
// the pool keeps it. The loop never waits on the disk: Route hands the
// record to the writer and returns; the reply is sent from the
// acknowledgement. The failure path allocates (the traversal's visitor,
// gnet's Execute task); the success path allocates nothing.
type asynclogRoute struct {
	name         string // "asynclog:<asynclog name>"
	logName      string // "p" of v2 records
	child        Handle
	spool        spooler
	portOverride int
	// post runs fn on ctx's loop (ctx.Up.Execute); tests replace it.
	post func(ctx *Ctx, fn func()) bool
}

// spooler is what asynclogRoute needs of *asynclog.Spool.
type spooler interface {
	Append(e *asynclog.Entry) bool
	Format() *asynclog.Format
}

var asynclogKind = newStateKind()

// asynclogState is one delete in flight through an asynclogRoute.
type asynclogState struct {
	r   *asynclogRoute
	ctx *Ctx
	cb  mc.Callback
	req *mc.Request // the caller's, valid until cb is answered
	err ReplyCopy   // the child's error, answered if spooling fails
	ent asynclog.Entry
	// finishFn is st.finish, bound once per state (not per request).
	finishFn func()
}

func (r *asynclogRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	if req.Op != mc.OpDelete || req.Shadow {
		// Only deletes are spooled, and never a shadow's copy (§8).
		r.child.Route(ctx, req, cb)
		return
	}
	st := acquire[asynclogState](ctx, asynclogKind)
	st.r, st.ctx, st.cb, st.req = r, ctx, cb, req
	if st.finishFn == nil {
		st.finishFn = st.finish
	}
	// st may be answered and released during this call.
	r.child.Route(ctx, req, st)
}

func (st *asynclogState) OnReply(rep *mc.Reply) {
	if !rep.Result.IsFailoverError() {
		st.answer(rep)
		return
	}
	r := st.r
	d := destinationFor(r.child, st.req)
	if d == nil {
		st.answer(rep) // not a server (an ErrorRoute in the pool): nothing to replay
		return
	}
	st.err.Set(rep)
	key := st.req.Key
	if !d.keep {
		key = key[RoutingPrefixLen(key):]
	}
	port := d.srv.Port
	if r.portOverride != 0 {
		port = r.portOverride
	}
	st.ent.Line = r.spool.Format().AppendRecord(st.ent.Line[:0], time.Now(), d.srv.Host, port, r.logName, key)
	st.ent.Err, st.ent.Ack = nil, st
	if !r.spool.Append(&st.ent) {
		st.answer(&st.err.R) // queue full: the real error, not a lost delete
	}
}

// Acked runs on the spool's writer goroutine: post the outcome to the loop.
// If the loop is gone (shutdown) the client is gone too; the state is
// dropped.
func (st *asynclogState) Acked(*asynclog.Entry) {
	st.r.post(st.ctx, st.finishFn)
}

// finish runs on the loop once the record is written or failed.
func (st *asynclogState) finish() {
	if st.ent.Err != nil {
		st.answer(&st.err.R)
		return
	}
	nf := mc.Reply{Result: mc.ResNotFound, Opaque: st.req.Opaque}
	st.answer(&nf)
}

// answer answers the caller with rep and releases st.
func (st *asynclogState) answer(rep *mc.Reply) {
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb, st.req, st.ent.Err = nil, nil, nil, nil
	cb.OnReply(rep)
	release(ctx, asynclogKind, st)
}

// destinationFor returns the server child sends req to: the first
// destination its traversal visits (PoolRoute's hash picks one).
func destinationFor(child Handle, req *mc.Request) *destination {
	var d *destination
	child.Traverse(req, 0, func(h Handle, _ int) {
		if x, ok := h.(*destination); ok && d == nil {
			d = x
		}
	})
	return d
}

func (r *asynclogRoute) Name() string       { return r.name }
func (r *asynclogRoute) Children() []Handle { return []Handle{r.child} }
func (r *asynclogRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.child.Traverse(req, depth+1, visit)
}

func postOnLoop(ctx *Ctx, fn func()) bool { return ctx.Up.Execute(fn) }

// asynclog wraps h, the PoolRoute over pool, in an asynclogRoute unless
// the spool is off (--asynclog-disable) or cfg says "asynclog": false. The
// records' name is cfg's asynclog_name, else its name, else the pool's.
func (b *builder) asynclog(cfg *jsonm.Value, pool string, h Handle) (Handle, error) {
	if b.opts.Asynclog == nil {
		return h, nil
	}
	name := pool
	if cfg.IsObject() {
		if v := cfg.Get("asynclog"); v != nil {
			on, ok := v.Bool()
			if !ok {
				return nil, b.errf(v, "PoolRoute: asynclog is not a boolean")
			}
			if !on {
				return h, nil
			}
		}
		for _, f := range []string{"asynclog_name", "name"} {
			if v := cfg.Get(f); v != nil {
				s, ok := v.String()
				if !ok {
					return nil, b.errf(v, "PoolRoute: %s is not a string", f)
				}
				name = s
				break
			}
		}
	}
	return &asynclogRoute{
		name: "asynclog:" + name, logName: name, child: h,
		spool: b.opts.Asynclog, portOverride: b.opts.AsynclogPortOverride, post: postOnLoop,
	}, nil
}
