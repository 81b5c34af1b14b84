package upstream

import (
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
}

// DefaultOptions are used for zero fields of Options.
var DefaultOptions = Options{MaxPending: 1 << 16, MaxOutbound: 64 << 20, MaxBatchKeys: 64, WedgeAfter: 2 * time.Second}

var epoch = time.Now()

// Now returns the monotonic clock in nanoseconds, the time base of Loop.
func Now() int64 { return int64(time.Since(epoch)) }

// Loop is one event loop's upstream state: its Conns, the ones with bytes
// waiting to be written, and the loop's cached clock. Only the loop's own
// goroutine may use it.
type Loop struct {
	// Owner is the engine's per-loop state, for callbacks that start from
	// a Conn.
	Owner any
	el    gnet.EventLoop
	opts  Options
	now   int64
	byKey map[string]*Conn
	conns []*Conn
	dirty []*Conn
	spare []*Conn // the other dirty list, swapped in by Flush

	timers    timerHeap
	nextTimer atomic.Int64
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
	l := &Loop{el: el, opts: opts, now: Now(), byKey: make(map[string]*Conn)}
	l.nextTimer.Store(math.MaxInt64)
	return l
}

// SetNow refreshes the cached clock; the engine calls it once per event.
func (l *Loop) SetNow(now int64) { l.now = now }

// NowNanos returns the cached clock.
func (l *Loop) NowNanos() int64 { return l.now }

// Conn returns the loop's connection to srv, creating it (not yet dialed)
// on first use. It does a map lookup: call it when a config is installed,
// not per request.
func (l *Loop) Conn(srv *Server) *Conn {
	if c, ok := l.byKey[srv.Key]; ok {
		return c
	}
	c := newConn(l, srv)
	l.byKey[srv.Key] = c
	l.conns = append(l.conns, c)
	return c
}

// Conns returns every connection of the loop (for stats and sweeps).
// The slice is owned by the Loop.
func (l *Loop) Conns() []*Conn { return l.conns }

// Retain closes and forgets every idle Conn whose server key is not in
// keep (after a reconfiguration dropped its server). Conns that still have
// requests in flight (sent under the old config) are left to finish; it
// reports whether any such Conn remains, so the caller tries again later.
func (l *Loop) Retain(keep map[string]bool) (more bool) {
	out := l.conns[:0]
	for _, c := range l.conns {
		if keep[c.srv.Key] {
			out = append(out, c)
			continue
		}
		if c.n > 0 {
			out = append(out, c)
			more = true
			continue
		}
		delete(l.byKey, c.srv.Key)
		c.close()
	}
	for i := len(out); i < len(l.conns); i++ {
		l.conns[i] = nil
	}
	l.conns = out
	return more
}

// Flush writes what every dirty Conn has queued, one write per Conn. The
// engine calls it at the end of every event that may have sent requests.
//
// Flush may be re-entered: a failed write closes the connection inside
// gnet, whose OnClose fails the pending requests, whose callbacks may send
// and flush again. So the dirty list is taken before it is walked.
func (l *Loop) Flush() {
	for len(l.dirty) > 0 {
		d := l.dirty
		l.dirty, l.spare = l.spare[:0], nil
		for i, c := range d {
			d[i] = nil
			c.flush()
		}
		l.spare = d[:0]
	}
}

// Sweep times out overdue requests on every Conn. now is Now().
func (l *Loop) Sweep(now int64) {
	l.now = now
	for _, c := range l.conns {
		c.sweep(now)
	}
	l.fireTimers(now)
}
