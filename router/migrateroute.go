package router

import (
	"time"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func init() { register("MigrateRoute", newMigrateRoute) }

// migrateRoute moves keys from one route to another over a time window
// (mcrouter-behaviour.md §2.5). Each key moves at its own time
// T = start_time + interval + SpookyHash32(routing key, 0) % interval:
// before T everything but deletes goes to from, from T on to to. Deletes
// go to from before start_time, to both (in parallel, the worse reply
// answers; ties: from's) until start_time + 2·interval, and to to after.
type migrateRoute struct {
	from, to Handle
	kids     []Handle // from, to
	start    int64    // unix seconds
	interval int64    // seconds, > 0
	// now returns the current unix time in seconds; tests replace it.
	now func() int64
}

func unixNow() int64 { return time.Now().Unix() }

// Where a request goes.
const (
	migrateFrom = 1 << iota
	migrateTo
)

// mask says where req goes now.
func (r *migrateRoute) mask(req *mc.Request) int {
	now := r.now()
	if req.Op == mc.OpDelete {
		switch {
		case now < r.start:
			return migrateFrom
		case now < r.start+2*r.interval:
			return migrateFrom | migrateTo
		}
		return migrateTo
	}
	t := r.start + r.interval + int64(hashfunc.SpookyHash32(RoutingKey(req.Key), 0))%r.interval
	if now < t {
		return migrateFrom
	}
	return migrateTo
}

var migrateKind = newStateKind()

// migrateState is one delete in flight to both routes.
type migrateState struct {
	ctx     *Ctx
	cb      mc.Callback
	pending int
	rep     [2]ReplyCopy    // from's, to's
	kid     [2]migrateChild // the Callbacks of the two sends
}

// migrateChild is the Callback for one of the two sends of a delete.
type migrateChild struct {
	st *migrateState
	i  int
}

func (r *migrateRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	switch r.mask(req) {
	case migrateFrom:
		r.from.Route(ctx, req, cb)
		return
	case migrateTo:
		r.to.Route(ctx, req, cb)
		return
	}
	st := acquire[migrateState](ctx, migrateKind)
	st.ctx, st.cb, st.pending = ctx, cb, 2
	st.kid[0] = migrateChild{st, 0}
	st.kid[1] = migrateChild{st, 1}
	// st may be answered and released during the second Route call.
	r.from.Route(ctx, req, &st.kid[0])
	r.to.Route(ctx, req, &st.kid[1])
}

func (c *migrateChild) OnReply(rep *mc.Reply) {
	st, i := c.st, c.i
	st.rep[i].Set(rep)
	st.pending--
	if st.pending > 0 {
		return
	}
	best := &st.rep[0].R
	if mc.Worse(st.rep[1].R.Result, best.Result) {
		best = &st.rep[1].R
	}
	ctx, cb := st.ctx, st.cb
	st.ctx, st.cb = nil, nil
	cb.OnReply(best)
	release(ctx, migrateKind, st)
}

func (r *migrateRoute) Name() string       { return "migrate" }
func (r *migrateRoute) Children() []Handle { return r.kids }
func (r *migrateRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	m := r.mask(req)
	if m&migrateFrom != 0 {
		r.from.Traverse(req, depth+1, visit)
	}
	if m&migrateTo != 0 {
		r.to.Traverse(req, depth+1, visit)
	}
}

// newMigrateRoute builds MigrateRoute: {"type": "MigrateRoute", "from":
// route, "to": route, "start_time": unix seconds, "interval": seconds
// (3600)}.
func newMigrateRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	if !cfg.IsObject() {
		return nil, b.errf(at, "MigrateRoute should be object")
	}
	fv, tv, sv := cfg.Get("from"), cfg.Get("to"), cfg.Get("start_time")
	switch {
	case fv == nil:
		return nil, b.errf(cfg, "MigrateRoute: no from route")
	case tv == nil:
		return nil, b.errf(cfg, "MigrateRoute: no to route")
	case sv == nil:
		return nil, b.errf(cfg, "MigrateRoute: no start_time")
	}
	r := &migrateRoute{interval: 3600, now: unixNow}
	var ok bool
	if r.start, ok = sv.Int(); !ok {
		return nil, b.errf(sv, "MigrateRoute: start_time is not an integer")
	}
	if iv := cfg.Get("interval"); iv != nil {
		if r.interval, ok = iv.Int(); !ok {
			return nil, b.errf(iv, "MigrateRoute: interval is not an integer")
		}
		if r.interval <= 0 {
			return nil, b.errf(iv, "MigrateRoute: interval must be positive")
		}
	}
	var err error
	if r.from, err = b.route(fv); err != nil {
		return nil, err
	}
	if r.to, err = b.route(tv); err != nil {
		return nil, err
	}
	r.kids = []Handle{r.from, r.to}
	return r, nil
}
