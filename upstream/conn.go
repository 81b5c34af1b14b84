package upstream

import (
	"bytes"
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec"
	"mcroute/codec/mc"
)

type connState uint8

const (
	stateDown       connState = iota // no connection; the next Send dials
	stateConnecting                  // a dial is in flight
	stateUp                          // connected, gc is valid
	stateClosed                      // removed from the config; never dials again
)

// entry is one request awaiting its reply, in send order.
type entry struct {
	cb       mc.Callback // nil once answered (timed out: an orphan awaiting its late reply)
	op       mc.Op
	key      []byte // backend key of get-like requests; the buffer is reused
	deadline int64
	sent     int64 // when it was queued, for latency stats
	batchEnd bool  // last key of a coalesced get line
}

// Conn is the connection from one event loop to one Server. All methods
// must be called on the owning loop.
type Conn struct {
	loop   *Loop
	srv    *Server
	gc     gnet.Conn
	state  connState
	everUp bool   // has been connected once (stats: down, not new)
	failed bool   // the last connect or connection failed (stats: down)
	gen    uint64 // dial generation; stale dial results are ignored
	// closing is set once we asked gnet to close gc (wedged server).
	closing bool

	wbuf  []byte // encoded requests not yet handed to gnet
	dirty bool   // on loop.dirty

	// The get line being built in wbuf, still without its "\r\n".
	batchOpen    bool
	batchOp      mc.Op
	batchExptime int64
	batchLen     int

	ring     []entry // pending FIFO, len a power of two
	head, n  int
	awaitEnd bool // all keys of the head get line answered, its END not yet read

	rp  codec.ReplyParser
	rep mc.Reply
}

func newConn(l *Loop, srv *Server) *Conn {
	c := &Conn{loop: l, srv: srv, ring: make([]entry, 64)}
	srv.Stats.New.Add(1)
	return c
}

// setState moves c to st, keeping the server's state gauges right.
func (c *Conn) setState(st connState) {
	c.gauge().Add(-1)
	switch st {
	case stateUp:
		c.everUp, c.failed = true, false
	case stateDown:
		c.failed = true
	}
	c.state = st
	c.gauge().Add(1)
}

// Loop returns the Loop that owns c.
func (c *Conn) Loop() *Loop { return c.loop }

// Server returns the destination this Conn talks to.
func (c *Conn) Server() *Server { return c.srv }

// Pending returns the number of requests awaiting replies.
func (c *Conn) Pending() int { return c.n }

// Up reports whether the connection is established.
func (c *Conn) Up() bool { return c.state == stateUp }

// Send queues req for the server with key as the key to send (the router
// has stripped the routing prefix or rewritten it). cb.OnReply is called
// exactly once, on this loop: later with the server's reply, or before Send
// returns when the request cannot be queued. req and key are not retained.
func (c *Conn) Send(req *mc.Request, key []byte, cb mc.Callback) {
	if c.n >= c.loop.opts.MaxPending || len(c.wbuf) > c.loop.opts.MaxOutbound ||
		(c.gc != nil && c.gc.OutboundBuffered() > c.loop.opts.MaxOutbound) {
		c.fail(cb, mc.ResBusy, msgBusy)
		return
	}
	switch c.state {
	case stateClosed:
		c.fail(cb, mc.ResShutdown, msgShutdown)
		return
	case stateDown:
		c.dial()
	}
	if req.Op.IsGet() {
		if !c.batchOpen || c.batchOp != req.Op || c.batchExptime != req.Exptime || c.batchLen >= c.loop.opts.MaxBatchKeys {
			c.closeBatch()
			c.wbuf = codec.AppendGetStart(c.wbuf, req.Op, req.Exptime)
			c.batchOpen, c.batchOp, c.batchExptime, c.batchLen = true, req.Op, req.Exptime, 0
		}
		c.wbuf = codec.AppendKey(c.wbuf, key)
		c.batchLen++
	} else {
		c.closeBatch()
		c.wbuf = codec.AppendRequest(c.wbuf, req, key)
	}
	e := c.push()
	e.cb = cb
	e.op = req.Op
	e.sent = c.loop.now
	e.deadline = e.sent + int64(c.srv.Timeout)
	e.batchEnd = false
	if req.Op.IsGet() {
		e.key = append(e.key[:0], key...)
	}
	if c.state == stateUp {
		c.srv.Stats.Inflight.Add(1)
	} else {
		c.srv.Stats.Pending.Add(1)
	}
	if !c.dirty {
		c.dirty = true
		c.loop.dirty = append(c.loop.dirty, c)
	}
}

// closeBatch terminates the get line under construction.
func (c *Conn) closeBatch() {
	if !c.batchOpen {
		return
	}
	c.wbuf = append(c.wbuf, '\r', '\n')
	c.ring[(c.head+c.n-1)&(len(c.ring)-1)].batchEnd = true
	c.batchOpen = false
}

// flush hands queued bytes to gnet: one write per flush.
func (c *Conn) flush() {
	c.dirty = false
	c.closeBatch()
	if c.state != stateUp || len(c.wbuf) == 0 {
		return
	}
	_, _ = c.gc.Write(c.wbuf) // gnet copies what the socket does not take
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil // do not keep a buffer grown for a rare huge value
	} else {
		c.wbuf = c.wbuf[:0]
	}
}

func (c *Conn) push() *entry {
	if c.n == len(c.ring) {
		ring := make([]entry, 2*len(c.ring))
		for i := 0; i < c.n; i++ {
			ring[i] = c.ring[(c.head+i)&(len(c.ring)-1)]
		}
		c.ring, c.head = ring, 0
	}
	e := &c.ring[(c.head+c.n)&(len(c.ring)-1)]
	c.n++
	return e
}

// pop removes the head entry and returns its callback, batchEnd and when
// it was queued.
func (c *Conn) pop() (mc.Callback, bool, int64) {
	e := &c.ring[c.head]
	cb, end, sent := e.cb, e.batchEnd, e.sent
	if c.state == stateUp {
		c.srv.Stats.Inflight.Add(-1)
	} else {
		c.srv.Stats.Pending.Add(-1)
	}
	e.cb = nil
	c.head = (c.head + 1) & (len(c.ring) - 1)
	c.n--
	return cb, end, sent
}

func (c *Conn) fail(cb mc.Callback, res mc.Result, msg []byte) {
	if cb == nil {
		return
	}
	c.srv.Stats.Results[res].Add(1)
	c.rep = mc.Reply{Result: res, Msg: msg}
	cb.OnReply(&c.rep)
}

// failAll answers every pending request with res (orphans are dropped) and
// forgets queued bytes. Callbacks may Send again; those new requests are
// not failed.
func (c *Conn) failAll(res mc.Result, msg []byte) {
	c.wbuf = c.wbuf[:0]
	c.batchOpen = false
	c.awaitEnd = false
	c.rp.Reset()
	for k := c.n; k > 0 && c.n > 0; k-- {
		cb, _, _ := c.pop()
		c.fail(cb, res, msg)
	}
}

// dial starts connecting in a goroutine; the result comes back on the loop.
func (c *Conn) dial() {
	c.setState(stateConnecting)
	c.gen++
	gen := c.gen
	el, srv := c.loop.el, c.srv
	go func() {
		d := net.Dialer{Timeout: srv.ConnectTimeout}
		nc, err := d.Dial("tcp", srv.Addr)
		if err == nil {
			var ch <-chan gnet.RegisteredResult
			ch, err = el.Enroll(gnet.NewContext(context.Background(), &dialTag{c: c, gen: gen}), nc)
			if err != nil {
				_ = nc.Close()
			} else if res := <-ch; res.Err != nil {
				err = res.Err
			}
		}
		if err != nil {
			_ = el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				c.dialFailed(gen, err)
				return nil
			}))
		}
	}()
}

// dialTag is the gnet context of a connection being enrolled: OnOpen hands
// it to the Conn, which checks that it is the current dial.
type dialTag struct {
	c   *Conn
	gen uint64
}

// Opened must be called from the engine's OnOpen for a gnet.Conn whose
// context is a *dialTag (see IsDial). It returns false when the dial is
// stale and gc must be closed.
func Opened(tag any, gc gnet.Conn) (*Conn, bool) {
	t := tag.(*dialTag)
	c := t.c
	if t.gen != c.gen || c.state != stateConnecting {
		return c, false
	}
	gc.SetContext(c)
	c.gc = gc
	c.setState(stateUp)
	// Requests queued while connecting are now in flight.
	c.srv.Stats.Pending.Add(-int64(c.n))
	c.srv.Stats.Inflight.Add(int64(c.n))
	c.closing = false
	c.rp.Reset()
	// Entries queued while connecting start their timeout now.
	for i := 0; i < c.n; i++ {
		c.ring[(c.head+i)&(len(c.ring)-1)].deadline = c.loop.now + int64(c.srv.Timeout)
	}
	if !c.dirty && len(c.wbuf) > 0 {
		c.dirty = true
		c.loop.dirty = append(c.loop.dirty, c)
	}
	return c, true
}

// Attach makes gc, already registered on c's loop, the connection of c, as
// if a dial had just succeeded: queued requests are flushed on the next
// Flush. It is for connections opened by other means than dial (tests, a
// TLS bridge). Must be called on the loop.
func (c *Conn) Attach(gc gnet.Conn) {
	c.setState(stateConnecting)
	c.gen++
	Opened(&dialTag{c: c, gen: c.gen}, gc)
}

// IsDial reports whether a gnet.Conn context belongs to an upstream
// connection being opened.
func IsDial(ctx any) bool {
	_, ok := ctx.(*dialTag)
	return ok
}

func (c *Conn) dialFailed(gen uint64, err error) {
	if gen != c.gen || c.state != stateConnecting {
		return
	}
	c.setState(stateDown)
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		c.failAll(mc.ResConnectTimeout, msgConnTimeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		c.failAll(mc.ResConnectError, msgConnRefused)
	default:
		c.failAll(mc.ResConnectError, []byte("AsyncSocketException: connect failed, type = Socket not open: "+err.Error()))
	}
}

// OnClose must be called from the engine's OnClose for this Conn's gnet.Conn.
func (c *Conn) OnClose() {
	if c.state == stateUp {
		// In flight until now; failAll below counts them down as pending.
		c.srv.Stats.Inflight.Add(-int64(c.n))
		c.srv.Stats.Pending.Add(int64(c.n))
		c.setState(stateDown)
	}
	c.gc = nil
	c.closing = false
	c.failAll(mc.ResRemoteError, msgConnClosed)
}

// OnTraffic parses the replies buffered on gc and completes their
// requests. It returns gnet.Close when the server sent something that is
// not a memcached reply or a reply nobody asked for.
func (c *Conn) OnTraffic(gc gnet.Conn) gnet.Action {
	buf, _ := gc.Peek(-1)
	off := 0
	for off < len(buf) {
		n, ok, err := c.rp.Parse(buf[off:])
		off += n
		if err != nil || (ok && !c.handle(&c.rp.Reply)) {
			_, _ = gc.Discard(len(buf))
			c.protocolError()
			return gnet.Close
		}
		if !ok {
			break
		}
	}
	if off > 0 {
		_, _ = gc.Discard(off)
	}
	return gnet.None
}

// protocolError fails everything pending: after a reply that does not
// match, nothing later on this connection can be matched either.
func (c *Conn) protocolError() {
	c.closing = true
	c.failAll(mc.ResRemoteError, msgBadReply)
}

// deliver hands c.rep, the server's reply to a request queued at sent,
// to cb (nil for a request that already timed out).
func (c *Conn) deliver(cb mc.Callback, sent int64) {
	st := c.srv.Stats
	st.Replies.Add(1)
	st.LatencyNs.Add(uint64(max(c.loop.now-sent, 0)))
	if cb != nil {
		st.Results[c.rep.Result].Add(1)
		cb.OnReply(&c.rep)
	}
}

// handle matches one reply element to the pending FIFO. It returns false
// on a reply that cannot belong to the head request.
func (c *Conn) handle(r *codec.Reply) bool {
	if c.awaitEnd {
		// Every key of the head get line is answered; only its END (or an
		// error line, if memcached gave up on the rest) may come now.
		switch r.Kind {
		case codec.ReplyEnd, codec.ReplyError, codec.ReplyClientError, codec.ReplyServerError:
			c.awaitEnd = false
			return true
		}
		return false
	}
	if c.n == 0 {
		return false
	}
	switch r.Kind {
	case codec.ReplyValue:
		for c.n > 0 {
			e := &c.ring[c.head]
			if !e.op.IsGet() {
				return false
			}
			if bytes.Equal(e.key, r.Key) {
				cb, end, sent := c.pop()
				c.awaitEnd = end
				c.rep = mc.Reply{Result: mc.ResFound, Flags: r.Flags, Cas: r.Cas, HasCas: r.HasCas, Value: r.Data}
				c.deliver(cb, sent)
				return true
			}
			if e.batchEnd {
				return false // a VALUE for a key this line did not ask for
			}
			cb, _, sent := c.pop()
			c.rep = mc.Reply{Result: mc.ResNotFound}
			c.deliver(cb, sent)
		}
		return false
	case codec.ReplyEnd:
		for c.n > 0 {
			if !c.ring[c.head].op.IsGet() {
				return false
			}
			cb, end, sent := c.pop()
			c.rep = mc.Reply{Result: mc.ResNotFound}
			c.deliver(cb, sent)
			if end {
				return true
			}
		}
		return false
	case codec.ReplyError, codec.ReplyClientError, codec.ReplyServerError:
		res, msg := errorResult(r)
		if c.ring[c.head].op.IsGet() {
			// One error line ends the whole get line: every key gets it.
			for c.n > 0 {
				cb, end, sent := c.pop()
				c.rep = mc.Reply{Result: res, Msg: msg}
				c.deliver(cb, sent)
				if end {
					break
				}
			}
			return true
		}
		cb, _, sent := c.pop()
		c.rep = mc.Reply{Result: res, Msg: msg}
		c.deliver(cb, sent)
		return true
	}
	if c.ring[c.head].op.IsGet() {
		return false
	}
	var res mc.Result
	switch r.Kind {
	case codec.ReplyStored:
		res = mc.ResStored
	case codec.ReplyNotStored:
		res = mc.ResNotStored
	case codec.ReplyExists:
		res = mc.ResExists
	case codec.ReplyNotFound:
		res = mc.ResNotFound
	case codec.ReplyDeleted:
		res = mc.ResDeleted
	case codec.ReplyTouched:
		res = mc.ResTouched
	case codec.ReplyOK, codec.ReplyVersion:
		res = mc.ResOK
	case codec.ReplyNumber:
		res = mc.ResFound
	default:
		return false
	}
	cb, _, sent := c.pop()
	c.rep = mc.Reply{Result: res, Number: r.Number}
	if r.Kind == codec.ReplyVersion {
		c.rep.Value = r.Msg
	}
	c.deliver(cb, sent)
	return true
}

// errorResult maps a memcached error line to mcrouter's result: SERVER_ERROR
// is REMOTE_ERROR (BUSY for "307 ..."), CLIENT_ERROR is CLIENT_ERROR, a bare
// ERROR is REMOTE_ERROR without message.
func errorResult(r *codec.Reply) (mc.Result, []byte) {
	switch r.Kind {
	case codec.ReplyClientError:
		return mc.ResClientError, r.Msg
	case codec.ReplyServerError:
		if bytes.HasPrefix(r.Msg, []byte("307 ")) || bytes.Equal(r.Msg, []byte("307")) {
			return mc.ResBusy, r.Msg
		}
		return mc.ResRemoteError, r.Msg
	}
	return mc.ResRemoteError, nil
}

// sweep answers requests whose deadline has passed with TIMEOUT and closes
// a connection whose oldest request has been unanswered for far too long.
func (c *Conn) sweep(now int64) {
	if c.state != stateUp {
		return
	}
	for i := 0; i < c.n; i++ {
		e := &c.ring[(c.head+i)&(len(c.ring)-1)]
		if e.deadline > now {
			break
		}
		if e.cb == nil {
			continue
		}
		cb := e.cb
		e.cb = nil
		c.fail(cb, mc.ResTimeout, msgReplyTimeout)
	}
	if c.n > 0 && !c.closing {
		head := &c.ring[c.head]
		if head.cb == nil && now-head.deadline > c.loop.opts.WedgeAfter.Nanoseconds()+int64(c.srv.Timeout) {
			// The server has not answered for a long time: reconnect.
			c.closing = true
			_ = c.gc.Close()
		}
	}
}

// close removes the Conn for good (its server left the config).
func (c *Conn) close() {
	if c.state == stateUp {
		c.srv.Stats.Inflight.Add(-int64(c.n))
		c.srv.Stats.Pending.Add(int64(c.n))
	}
	c.setState(stateClosed)
	c.gen++
	if c.gc != nil {
		_ = c.gc.Close()
	}
}
