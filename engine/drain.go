package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Draining: how mcroute stops without losing the requests in flight.
//
// Drain (called on SIGTERM/SIGINT, before Stop) closes the listeners, so
// new connections are refused by the kernel, and puts every loop in
// drain mode. A client connection in drain mode:
//
//   - gets the replies to every request mcroute had parsed when its loop
//     entered drain mode (answered by the servers, or timed out after the
//     server timeout), in order, as usual;
//   - is not parsed any more: bytes already buffered and bytes that arrive
//     later are read and discarded, so a request not parsed yet is never
//     sent to a server (the client sees the connection end without its
//     reply and may safely retry it elsewhere);
//   - once it has nothing in flight and every reply is handed to the
//     kernel, gets a FIN after its last reply (shutdown(SHUT_WR)); mcroute
//     keeps reading (and discarding) until the client closes its end, so
//     that a close never turns into a reset that would drop replies still
//     in the kernel's buffers.
//
// Drain returns once every client connection has closed, or, once every
// one has been answered and sent its FIN, after a short linger
// (drainLinger) for the clients to close their ends: a client that keeps
// an idle connection open does not hold the stop up to the deadline. It
// returns early with an error when its context is done (the caller then
// stops the engine regardless).

// drainState is a loop's part of draining. Only the loop touches it.
type drainState struct {
	on bool
	// sessions are the loop's open client connections (each knows its
	// index, session.drainIdx; session.fin is set once its write side is
	// shut down: drain mode, all answered). A slice rather than a map, so
	// an idle connection costs one pointer here.
	sessions []*session
	// left is the number of open connections not answered in full yet
	// (written by the loop at every sweep, read by Drain).
	left atomic.Int64
}

// drainLinger is how long Drain waits for clients to close their ends
// once every connection has been answered and sent its FIN.
const drainLinger = 250 * time.Millisecond

// track and untrack keep drainState.sessions (on connection open and
// close; never per request).
func (ls *loopState) track(s *session) {
	s.drainIdx = int32(len(ls.drain.sessions))
	ls.drain.sessions = append(ls.drain.sessions, s)
}

// untrack removes s by moving the last session into its place.
func (ls *loopState) untrack(s *session) {
	l := ls.drain.sessions
	i := int(s.drainIdx)
	if i >= len(l) || l[i] != s {
		return
	}
	last := l[len(l)-1]
	l[i], last.drainIdx = last, int32(i)
	l[len(l)-1] = nil
	ls.drain.sessions = l[:len(l)-1]
	if cap(ls.drain.sessions) > 1024 && len(ls.drain.sessions) < cap(ls.drain.sessions)/4 {
		ls.drain.sessions = append([]*session(nil), ls.drain.sessions...)
	}
}

// beginDrain puts the loop in drain mode (a runnable on the loop).
func (ls *loopState) beginDrain() {
	ls.drain.on = true
	for _, s := range ls.drain.sessions {
		if !s.closed && !s.dead {
			s.discardInput()
		}
	}
	ls.afterEvent()
	ls.drainSweep()
}

// drainSweep shuts down the write side of every connection that has been
// answered in full. It runs at the end of every batch in drain mode: what
// completes a connection (a server's reply, a timeout, gnet writing
// buffered output) is an event on the loop.
func (ls *loopState) drainSweep() {
	left := 0
	// Backwards: dropping a session may untrack it, which moves the last
	// one (already visited) into its place.
	for i := len(ls.drain.sessions) - 1; i >= 0; i-- {
		if i >= len(ls.drain.sessions) {
			continue
		}
		s := ls.drain.sessions[i]
		if s.fin || s.closed || s.dead {
			continue
		}
		if s.q.len() > 0 || s.waiting != nil || s.c.OutboundBuffered() > 0 {
			left++
			continue
		}
		s.fin = true
		if err := unix.Shutdown(s.c.Fd(), unix.SHUT_WR); err != nil {
			s.drop() // not a socket we can half-close: close it now
		}
	}
	ls.drain.left.Store(int64(left))
}

// discardInput throws away what a draining client has sent: it is never
// parsed.
func (s *session) discardInput() {
	if s.c.InboundBuffered() > 0 {
		_, _ = s.c.Discard(-1)
	}
}

// Drain stops accepting connections and lets the open ones finish (see
// above). It returns nil once every client connection has closed, or
// ctx's error when ctx is done first. Call Stop afterwards in either case.
// Safe from any goroutine; a no-op returning nil after the first call.
func (e *Engine) Drain(ctx context.Context) error {
	if !e.draining.CompareAndSwap(false, true) {
		return nil
	}
	select {
	case <-e.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.engMu.Lock()
	eng := e.eng
	e.engMu.Unlock()
	if err := eng.CloseListeners(ctx); err != nil {
		return err
	}
	for _, ls := range *e.list.Load() {
		ls := ls
		ls.drain.left.Store(1) // not swept yet
		err := ls.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
			ls.beginDrain()
			return nil
		}))
		if err != nil {
			return err
		}
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	var answered time.Time // when every connection was first answered
	for {
		if e.OpenConns() == 0 {
			return nil
		}
		if e.unanswered() == 0 {
			if answered.IsZero() {
				answered = time.Now()
			} else if time.Since(answered) >= drainLinger {
				return nil
			}
		} else {
			answered = time.Time{}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("%w: %d client connections still open", ctx.Err(), e.OpenConns())
		}
	}
}

// Draining reports whether Drain was called.
func (e *Engine) Draining() bool { return e.draining.Load() }

func (e *Engine) unanswered() int64 {
	var n int64
	for _, ls := range *e.list.Load() {
		n += ls.drain.left.Load()
	}
	return n
}
