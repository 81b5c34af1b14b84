package router

import (
	"log"
	"sync/atomic"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func init() { register("LoggingRoute", newLoggingRoute) }

// loggingRouteMaxPerSecond caps the lines one LoggingRoute writes per
// second (all loops together); the lines dropped past it are counted and
// reported on the next line written.
const loggingRouteMaxPerSecond = 100

// loggingRoute sends to target (the default reply without one) and logs
// each request with its reply: mcrouter's LoggingRoute
// (mcrouter-behaviour.md §2.4), also put over the whole tree by
// --enable-logging-route. mcrouter hands hits and stored replies to a
// post-processing callback that open-source builds leave unset; mcroute
// writes every request to the process log instead, one line:
//
//	logging: <op> <key> <result> <latency>us client=<ip|N/A>
//
// at most loggingRouteMaxPerSecond lines a second. Logging formats text,
// so a logged request allocates; it is a debugging aid, not for steady
// high-QPS service.
type loggingRoute struct {
	target Handle // nil: default reply
	kids   []Handle
	logf   func(format string, args ...any)

	second  atomic.Int64 // unix second of the current window
	lines   atomic.Int64 // lines written in that second
	dropped atomic.Int64 // lines dropped since the last one written
}

var loggingKind = newStateKind()

// loggingState remembers the request while target has it.
type loggingState struct {
	r     *loggingRoute
	ctx   *Ctx
	cb    mc.Callback
	req   *mc.Request
	start time.Time
}

func (r *loggingRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	st := acquire[loggingState](ctx, loggingKind)
	st.r, st.ctx, st.cb, st.req, st.start = r, ctx, cb, req, time.Now()
	if r.target == nil {
		ctx.replyLocal(st, defaultResult(req), nil)
		return
	}
	r.target.Route(ctx, req, st)
}

func (st *loggingState) OnReply(rep *mc.Reply) {
	st.r.log(st.req, rep, time.Since(st.start))
	ctx, cb := st.ctx, st.cb
	*st = loggingState{}
	cb.OnReply(rep)
	release(ctx, loggingKind, st)
}

// log writes the line for req, unless this second's lines are used up.
func (r *loggingRoute) log(req *mc.Request, rep *mc.Reply, d time.Duration) {
	now := time.Now().Unix()
	if sec := r.second.Load(); sec != now && r.second.CompareAndSwap(sec, now) {
		r.lines.Store(0)
	}
	if r.lines.Add(1) > loggingRouteMaxPerSecond {
		r.dropped.Add(1)
		return
	}
	ip := "N/A"
	if req.ClientIP.IsValid() {
		ip = req.ClientIP.String()
	}
	if n := r.dropped.Swap(0); n > 0 {
		r.logf("logging: %d lines dropped (more than %d a second)", n, loggingRouteMaxPerSecond)
	}
	r.logf("logging: %s %s %s %dus client=%s", req.Op, req.Key, rep.Result, d.Microseconds(), ip)
}

func (r *loggingRoute) Name() string       { return "logging" }
func (r *loggingRoute) Children() []Handle { return r.kids }

func (r *loggingRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(r, depth)
	if r.target != nil {
		r.target.Traverse(req, depth+1, visit)
	}
}

// newLogging wraps target (nil: none) in a LoggingRoute that writes with
// logf (nil: the standard logger).
func newLogging(target Handle, logf func(string, ...any)) *loggingRoute {
	if logf == nil {
		logf = log.Printf
	}
	r := &loggingRoute{target: target, logf: logf}
	if target != nil {
		r.kids = []Handle{target}
	}
	return r
}

// newLoggingRoute builds "LoggingRoute", "LoggingRoute|<route>" or
// {"type": "LoggingRoute", "target": route}.
func newLoggingRoute(b *builder, cfg, at *jsonm.Value) (Handle, error) {
	var tv *jsonm.Value
	switch {
	case cfg.IsObject():
		tv = cfg.Get("target")
	case cfg.IsString():
		tv = cfg
	}
	var target Handle
	if tv != nil {
		var err error
		if target, err = b.route(tv); err != nil {
			return nil, err
		}
	}
	return newLogging(target, b.opts.Logf), nil
}
