package engine

import (
	"context"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec"
	"mcroute/codec/mc"
	"mcroute/router"
	"mcroute/upstream"
)

// loopState is everything one event loop owns. Only that loop's goroutine
// touches it, except the atomic counters in stats.
type loopState struct {
	e   *Engine
	el  gnet.EventLoop
	up  *upstream.Loop
	ctx *router.Ctx // binding of the config in force; replaced on reload

	dirty  []*session // sessions with completed replies to write
	paused []*session // sessions that stopped parsing (backpressure)

	freeSlots []*slot
	freeKeys  []*keyReq
	// Lent to sessions while they are busy (see session.p, slotRing):
	// parsers, and the slot rings' arrays.
	freeParsers []*codec.Parser
	rings       ringPool
	iov         [][]byte // scratch for session.flush
	done        []*slot  // scratch for session.flush
	wbuf        []byte   // scratch for session.write
	sbuf        []byte   // scratch for rendering stats
	tls         *loopTLS // TLS connections' scratch (tls.go), nil until one opens
	spare       []*session

	// reads numbers the client reads parsed (slot.read, session.holdBack).
	reads uint32

	wake   gnet.Runnable // does nothing: run through Execute, it makes the loop run a batch
	retain bool          // a new config was bound: close Conns it dropped

	// held is the bytes the loop's slots hold (session.held summed, plus
	// slots of closed sessions still in flight); pend the estimated bytes
	// of replies to keys in flight.
	held, pend int

	drain drainState // drain.go

	lastYield int64 // upstream.Now() of the loop's last yield

	stats loopStats
}

// loopStats are counters read by `stats` from any goroutine.
type loopStats struct {
	cmd         [mc.NumOps]atomic.Uint64
	connsOpen   atomic.Int64
	connsTotal  atomic.Uint64
	parseErrors atomic.Uint64
	badKeys     atomic.Uint64
	paused      atomic.Uint64
	closedBig   atomic.Uint64
	// closedMidReply: a get failed after some of its VALUE blocks had
	// been streamed, so the connection was closed.
	closedMidReply atomic.Uint64
	// wakeups counts batches: returns of epoll_wait.
	wakeups atomic.Uint64
	// heldBack counts flushes that wrote nothing: the replies ready were
	// of a client read not answered in full (session.holdBack).
	heldBack atomic.Uint64
	// tlsDirect counts TLS-port connections that went direct (kTLS or
	// tls_to_plain: the session reads and writes the socket itself).
	tlsDirect atomic.Uint64
	// yields counts the loop's passes through the scheduler (yield);
	// yieldsUnwritten those taken with replies not yet written (none:
	// endBatch yields after its writes).
	yields          atomic.Uint64
	yieldsUnwritten atomic.Uint64
}

func newLoopState(e *Engine, el gnet.EventLoop) *loopState {
	ls := &loopState{e: e, el: el}
	ls.up = upstream.NewLoop(el, e.opts.Upstream)
	ls.up.Owner = ls
	ls.up.EndEvent = ls.afterEvent
	ls.wake = gnet.RunnableFunc(func(context.Context) error { return nil })
	return ls
}

// routerCtx returns the loop's binding of the config in force.
func (ls *loopState) routerCtx() *router.Ctx {
	cfg := ls.e.router.Current()
	if ls.ctx == nil || ls.ctx.Cfg != cfg {
		if ls.ctx != nil {
			ls.retain = true // a reload: drop connections to removed servers
		}
		ls.ctx = router.NewCtx(ls.up, cfg)
	}
	return ls.ctx
}

// afterEvent writes everything the batch produced: completed replies to
// clients (which may resume paused clients, which may send more), then
// queued requests to servers. Flushing upstream also settles server
// connections that went down, whose failed requests complete client
// replies, so it repeats until nothing is left. It runs once per batch
// (endBatch), and at the end of a failed dial's runnable.
func (ls *loopState) afterEvent() {
	for {
		for len(ls.dirty) > 0 {
			s := ls.dirty[len(ls.dirty)-1]
			ls.dirty[len(ls.dirty)-1] = nil
			ls.dirty = ls.dirty[:len(ls.dirty)-1]
			s.flush()
		}
		if len(ls.paused) > 0 {
			ls.resumePaused()
		}
		ls.up.Flush()
		if len(ls.dirty) == 0 {
			return
		}
	}
}

// resumePaused lets paused sessions parse again if they can.
func (ls *loopState) resumePaused() {
	paused := ls.paused
	ls.paused, ls.spare = ls.spare[:0], nil
	for i, s := range paused {
		paused[i] = nil
		s.inPaused = false
		if !s.closed {
			s.process()
		}
	}
	ls.spare = paused[:0]
	for len(ls.dirty) > 0 {
		s := ls.dirty[len(ls.dirty)-1]
		ls.dirty[len(ls.dirty)-1] = nil
		ls.dirty = ls.dirty[:len(ls.dirty)-1]
		s.flush()
	}
}

// endBatch runs on the loop after every batch of events: once per return
// of epoll_wait, after gnet has run the batch's callbacks and queued tasks
// (dial results, closes, wakes). It does what is due (timeouts, timers, a
// wedge check), binds a new config, writes what the batch produced (one
// write per dirty client and per dirty server connection), yields if one
// is due (only then, so that it never delays the batch's writes), and
// returns how long the loop may sleep: until the earliest deadline it
// owns, or, with none, until an event arrives.
//
// Paused sessions need no deadline: what lets them go on (a client's
// output drained by gnet on EPOLLOUT, replies arriving, other clients
// closing) is an event on this loop, and every batch retries them.
func (ls *loopState) endBatch() time.Duration {
	ls.stats.wakeups.Add(1)
	now := upstream.Now()
	ls.up.SetNow(now)
	if now >= ls.up.Deadline() {
		ls.up.Sweep(now)
	}
	if ls.ctx != nil && ls.ctx.Cfg != ls.e.router.Current() {
		ls.routerCtx() // bind the newest config even on an idle loop
	}
	if ls.retain {
		// Conns still answering requests of the old config are closed at a
		// later batch end: their replies and timeouts wake the loop.
		ls.retain = ls.up.Retain(ls.ctx.Cfg.Servers)
	}
	ls.afterEvent()
	if ls.drain.on {
		ls.drainSweep()
	}
	// The yield comes last, after the batch's writes: a pass through the
	// scheduler takes 14 µs at the median and up to ~160 µs on a busy
	// machine (PERF.md, "p99 on A"); here it overlaps the wait for the
	// next event instead of delaying the replies and requests of the batch.
	if now-ls.lastYield >= int64(loopYieldEvery) {
		ls.yield(now)
	}
	d := ls.up.Deadline()
	if d == math.MaxInt64 {
		return -1
	}
	return time.Duration(max(d-now, 0))
}

// loopYieldEvery is how often a busy loop passes through the Go
// scheduler (RUNTIME.md, "sysmon and the loop's P"). A loop goroutine
// blocks only in system calls, never in the scheduler, so its P's
// scheduling tick does not move; after 10 ms of that the runtime's sysmon
// takes the P away while the loop is in a system call (as if it were a
// goroutine that ran too long) and, having taken one, polls every 20 µs
// for the next millisecond and more: 0.1 nanosleep (each a context
// switch) per request on workload A. Passing through the scheduler more often
// than every 10 ms leaves sysmon nothing to take, so it backs off to its
// 10 ms sleep.
const loopYieldEvery = 5 * time.Millisecond

// yield runs the loop's goroutine through the scheduler (runtime.Gosched:
// it comes straight back unless another goroutine is waiting for a P),
// which moves the P's scheduling tick. Called by endBatch at most every
// loopYieldEvery, after the batch's writes: Gosched puts the goroutine on
// the global run queue and wakes an idle M (a futex call), and the
// goroutine comes back after 14 µs at the median (runtime/metrics
// /sched/latencies on workload A), which a reply waiting to be written
// would wait too.
func (ls *loopState) yield(now int64) {
	ls.lastYield = now
	ls.stats.yields.Add(1)
	if len(ls.dirty) > 0 {
		ls.stats.yieldsUnwritten.Add(1)
	}
	runtime.Gosched()
}

func (ls *loopState) getSlot() *slot {
	if n := len(ls.freeSlots); n > 0 {
		sl := ls.freeSlots[n-1]
		ls.freeSlots = ls.freeSlots[:n-1]
		return sl
	}
	return &slot{ls: ls}
}

func (ls *loopState) getKey() *keyReq {
	if n := len(ls.freeKeys); n > 0 {
		k := ls.freeKeys[n-1]
		ls.freeKeys = ls.freeKeys[:n-1]
		return k
	}
	return &keyReq{}
}

// getParser lends a parser to a session that has input to parse.
func (ls *loopState) getParser() *codec.Parser {
	if n := len(ls.freeParsers); n > 0 {
		p := ls.freeParsers[n-1]
		ls.freeParsers[n-1] = nil
		ls.freeParsers = ls.freeParsers[:n-1]
		return p
	}
	return new(codec.Parser)
}

// putParser takes back a parser, reset (it keeps its buffers unless they
// grew unusually big). The free list is bounded: only sessions with a
// request half parsed keep one, and after a burst of those the extra
// parsers are left to the GC.
func (ls *loopState) putParser(p *codec.Parser) {
	if len(ls.freeParsers) >= maxFreeParsers {
		return
	}
	p.Reset()
	ls.freeParsers = append(ls.freeParsers, p)
}

// maxFreeParsers bounds a loop's free list of parsers.
const maxFreeParsers = 256

// releaseSlot returns sl and its keyReqs to the free lists.
func (ls *loopState) releaseSlot(sl *slot) {
	ls.held -= sl.acct
	ls.pend -= sl.pendAcct
	if s := sl.s; s != nil {
		s.held -= sl.acct
		s.pend -= sl.pendAcct
	}
	for i, k := range sl.keys {
		k.slot = nil
		k.hit, k.done = false, false
		k.acct, k.est = 0, 0
		k.Request = mc.Request{}
		// Pooled structs keep their buffers, but not a rare huge value:
		// the free lists would pin it for the life of the process.
		if cap(k.val) > retainCap {
			k.val = nil
		}
		if cap(k.out) > retainCap {
			k.out = nil
		}
		ls.freeKeys = append(ls.freeKeys, k)
		sl.keys[i] = nil
	}
	if cap(sl.out) > retainCap {
		sl.out = nil
	}
	sl.reset()
	ls.freeSlots = append(ls.freeSlots, sl)
}

// retainCap is the largest buffer a pooled slot or keyReq keeps.
const retainCap = 64 << 10
