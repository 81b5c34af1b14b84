package router

import (
	"strconv"

	"mcroute/codec/mc"
)

// outstandingLimitRoute is mcrouter's OutstandingLimitRoute, made by
// PoolRoute's "max_outstanding" around each server
// (mcrouter-behaviour.md §2.4): at most limit requests are in flight to
// the child per event loop (mcrouter: per proxy thread); more wait in a
// queue and go, oldest first, as replies come back.
//
// Deviation: mcrouter serves its queue round-robin per client connection;
// requests carry no client identity here, so the queue is one FIFO per
// loop.
type outstandingLimitRoute struct {
	child Handle
	limit int
	slot  int64
	name  string
}

// maxOutstandingLimit is the largest max_outstanding mcrouter accepts.
const maxOutstandingLimit = 1000000

func newOutstandingLimitRoute(child Handle, limit int) *outstandingLimitRoute {
	return &outstandingLimitRoute{child: child, limit: limit, slot: newLoopSlot(),
		name: "outstanding-limit|limit=" + strconv.Itoa(limit)}
}

// olLoop is one loop's count of requests in flight and its queue.
type olLoop struct {
	inflight int
	q        []olWaiting
	head     int
}

type olWaiting struct {
	req *mc.Request
	cb  mc.Callback
}

var olCallKind = newStateKind()

// olCall is one request in flight through the route.
type olCall struct {
	r   *outstandingLimitRoute
	ctx *Ctx
	cb  mc.Callback
}

func (r *outstandingLimitRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := handleState[olLoop](ctx, r.slot)
	if st.inflight >= r.limit {
		// req stays valid until cb is answered (Handle's contract), so
		// the queue keeps the pointer, not a copy.
		st.q = append(st.q, olWaiting{req, cb})
		return
	}
	r.send(ctx, st, req, cb)
}

func (r *outstandingLimitRoute) send(ctx *Ctx, st *olLoop, req *mc.Request, cb mc.Callback) {
	st.inflight++
	c := acquire[olCall](ctx, olCallKind)
	c.r, c.ctx, c.cb = r, ctx, cb
	r.child.Route(ctx, req, c)
}

func (c *olCall) OnReply(rep *mc.Reply) {
	r, ctx, cb := c.r, c.ctx, c.cb
	c.r, c.ctx, c.cb = nil, nil, nil
	release(ctx, olCallKind, c)
	st := handleState[olLoop](ctx, r.slot)
	st.inflight--
	cb.OnReply(rep)
	for st.inflight < r.limit && st.head < len(st.q) {
		w := st.q[st.head]
		st.q[st.head] = olWaiting{}
		st.head++
		if st.head == len(st.q) {
			st.q, st.head = st.q[:0], 0
		}
		r.send(ctx, st, w.req, w.cb)
	}
}

// Name is mcrouter's routeName: outstanding-limit|limit=N.
func (r *outstandingLimitRoute) Name() string       { return r.name }
func (r *outstandingLimitRoute) Children() []Handle { return []Handle{r.child} }
func (r *outstandingLimitRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	r.child.Traverse(req, depth+1, visit)
}
