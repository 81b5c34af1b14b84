package upstream

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Options tune every Conn of a Loop.
type Options struct {
	// MaxPending caps requests awaiting replies on one Conn; beyond it
	// requests fail at once with BUSY (SERVER_ERROR 307 busy).
	MaxPending int
	// MaxOutbound caps the bytes a Conn may have waiting in gnet's
	// outbound buffer (a server that stops reading); past it requests fail
	// at once with BUSY instead of growing mcroute's memory.
	MaxOutbound int
	// MaxBatchKeys caps how many get keys are coalesced into one line.
	MaxBatchKeys int
	// WedgeAfter: a connection whose oldest request timed out this long
	// ago (beyond the reply timeout) without any reply is closed and
	// re-dialed on demand.
	WedgeAfter time.Duration
	// TKO tunes health tracking; zero fields take mcrouter's defaults.
	TKO TKOOptions
	// Logf, if set, logs what an operator must see: why a TLS server was
	// not accepted.
	Logf func(format string, args ...any)
}

// DefaultOptions are used for zero fields of Options.
var DefaultOptions = Options{MaxPending: 1 << 16, MaxOutbound: 64 << 20, MaxBatchKeys: 64, WedgeAfter: 2 * time.Second}

var epoch = time.Now()

// Now returns the monotonic clock in nanoseconds, the time base of Loop.
func Now() int64 { return int64(time.Since(epoch)) }

// loopSeq numbers Loops; a Loop's index picks its slot in every
// Destination's per-loop arrays.
var loopSeq atomic.Int64

// Loop is one event loop's upstream state: its Conns, the ones with bytes
// waiting to be written, the ones that went down and must be settled, and
// the loop's cached clock. Only the loop's own goroutine may use it.
type Loop struct {
	// Owner is the engine's per-loop state, for callbacks that start from
	// a Conn.
	Owner any
	// EndEvent, if set, is called at the end of events the upstream
	// package starts itself (a dial that failed), the way the engine ends
	// its own events; the engine sets it to its afterEvent. nil: Flush.
	EndEvent func()

	idx   int
	el    gnet.EventLoop
	opts  Options
	now   int64
	conns []*Conn
	dirty []*Conn
	spare []*Conn // the other dirty list, swapped in by Flush
	down  []*Conn // Conns that lost their socket, to settle in Flush
	downs []*Conn // the other down list

	flushing bool
	keepGen  uint64
	stopping bool // the engine is closing every connection: not failures

	// dialHook replaces the network dial (tests).
	dialHook func(c *Conn, srv *Server)

	timers timerHeap
	// sweepAt is a lower bound of the earliest time a Conn's sweep has
	// work (a request's reply timeout, a wedge check): Send and Opened
	// lower it, Sweep recomputes it. It is never later than the real
	// deadline; it may be earlier, which costs one sweep that finds
	// nothing to do.
	sweepAt int64
}

// NewLoop returns the upstream state for event loop el.
func NewLoop(el gnet.EventLoop, opts Options) *Loop {
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultOptions.MaxPending
	}
	if opts.MaxOutbound <= 0 {
		opts.MaxOutbound = DefaultOptions.MaxOutbound
	}
	if opts.MaxBatchKeys <= 0 {
		opts.MaxBatchKeys = DefaultOptions.MaxBatchKeys
	}
	if opts.WedgeAfter <= 0 {
		opts.WedgeAfter = DefaultOptions.WedgeAfter
	}
	opts.TKO.fill()
	return &Loop{idx: int(loopSeq.Add(1) - 1), el: el, opts: opts, now: Now(), sweepAt: math.MaxInt64}
}

// SetNow refreshes the cached clock; the engine calls it at the start of
// every event and batch end, since the loop may have slept for long.
func (l *Loop) SetNow(now int64) { l.now = now }

// NowNanos returns the cached clock.
func (l *Loop) NowNanos() int64 { return l.now }

// Conn returns the loop's connection to srv's destination, creating it
// (not yet dialed) on first use. Servers of any config that share a
// Destination share the Conn. Call it when a config is installed, not per
// request.
func (l *Loop) Conn(srv *Server) *Conn {
	s := srv.Dest.slot(l.idx)
	if s.conn == nil || s.conn.state == stateClosed {
		s.conn = newConn(l, srv.Dest, s)
		l.conns = append(l.conns, s.conn)
	}
	return s.conn
}

// Conns returns every connection of the loop (for stats and sweeps).
// The slice is owned by the Loop.
func (l *Loop) Conns() []*Conn { return l.conns }

// Retain closes and forgets every idle Conn whose destination no server of
// keep (the config in force) uses any more. Conns that still have
// requests in flight (sent under the old config) are left to finish; it
// reports whether any such Conn remains, so the caller tries again later.
func (l *Loop) Retain(keep []*Server) (more bool) {
	l.keepGen++
	for _, s := range keep {
		if c := s.Dest.slot(l.idx).conn; c != nil {
			c.keep = l.keepGen
		}
	}
	out := l.conns[:0]
	for _, c := range l.conns {
		if c.keep == l.keepGen {
			out = append(out, c)
			continue
		}
		if c.q.n > 0 {
			out = append(out, c)
			more = true
			continue
		}
		c.close()
		if c.st.conn == c {
			c.st.conn = nil
		}
	}
	for i := len(out); i < len(l.conns); i++ {
		l.conns[i] = nil
	}
	l.conns = out
	return more
}

// Flush settles Conns that went down and writes what every dirty Conn has
// queued, one write per Conn, until nothing is left to do. The engine
// calls it once per batch of events (gnet.BatchHandler), so the requests
// of every client served in one loop wake-up leave in one write per Conn.
//
// Settling runs callbacks of failed requests, which may send again, so it
// loops. A failed write closes the connection inside gnet, whose OnClose
// only records the loss (Conn.OnClose); a Flush entered from there returns
// at once and the outer one settles it.
func (l *Loop) Flush() {
	if l.flushing {
		return
	}
	l.flushing = true
	defer func() { l.flushing = false }()
	for len(l.dirty) > 0 || len(l.down) > 0 {
		for len(l.down) > 0 {
			d := l.down
			l.down, l.downs = l.downs[:0], nil
			for i, c := range d {
				d[i] = nil
				c.settle()
			}
			l.downs = d[:0]
		}
		d := l.dirty
		l.dirty, l.spare = l.spare[:0], nil
		for i, c := range d {
			d[i] = nil
			c.flush()
		}
		l.spare = d[:0]
	}
}

// Execute runs fn on the loop's goroutine, later, as an event of its own
// (ended as upstream ends the events it starts: replies written, Conns
// flushed). Any goroutine may call it; it is how work finished off the
// loop (the asynclog writer's acknowledgements) comes back to it. It
// returns false when the engine is shutting down: fn will not run. Each
// call allocates gnet's task (use it off the hot path).
func (l *Loop) Execute(fn func()) bool {
	return l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		l.now = Now()
		fn()
		l.endEvent()
		return nil
	})) == nil
}

// endEvent ends an event the upstream package started.
func (l *Loop) endEvent() {
	if l.EndEvent != nil {
		l.EndEvent()
		return
	}
	l.Flush()
}

// Sweep does what is due at now (Now() time base): requests past their
// reply timeout are answered TIMEOUT, wedged connections are dropped (on
// every Conn, when the loop's sweep deadline has come), and due timers
// run. It recomputes the deadline that Deadline reports.
func (l *Loop) Sweep(now int64) {
	l.now = now
	if now >= l.sweepAt {
		// Callbacks of timed-out requests may send again and lower
		// sweepAt meanwhile: start from "none" and fold every Conn in.
		l.sweepAt = math.MaxInt64
		for _, c := range l.conns {
			l.sweepAt = min(l.sweepAt, c.sweep(now))
		}
	}
	l.fireTimers(now)
}

// Deadline returns when the loop next has work that no socket event will
// bring (Now() time base): the earliest of its timers and of its Conns'
// reply timeouts and wedge checks; math.MaxInt64 when there is none. The
// engine sleeps until then and calls Sweep.
func (l *Loop) Deadline() int64 { return min(l.sweepAt, l.NextTimer()) }

// noteDeadline makes the loop sweep no later than at.
func (l *Loop) noteDeadline(at int64) {
	if at < l.sweepAt {
		l.sweepAt = at
	}
}
