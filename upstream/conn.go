package upstream

import (
	"context"
	"errors"
	"math"
	"net"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec/mc"
	"mcroute/tlsconn"
)

type connState uint8

const (
	stateDown       connState = iota // no connection; the next Send dials
	stateConnecting                  // a dial is in flight
	stateUp                          // connected, the transport is attached
	stateClosed                      // removed from the config; never dials again
)

// Conn is the connection from one event loop to one Destination. It
// composes a transport (the socket), a queue (requests awaiting replies)
// and a protocol pipeline (asciiProto or metaProto, chosen by kind when
// the Conn is created: validate, encode, match). All methods must be
// called on the owning loop.
type Conn struct {
	loop *Loop
	dest *Destination
	st   *destLoop // this loop's share of dest (stats)

	t     transport
	q     queue
	kind  protoKind  // which of proto and meta this Conn speaks
	proto asciiProto // kind protoASCII
	meta  metaProto  // kind protoMeta

	state  connState
	everUp bool   // has been connected once (stats: down, not new)
	failed bool   // the last connect or connection failed (stats: down)
	gen    uint64 // dial generation; stale dial results are ignored

	wbuf  []byte // encoded requests not yet handed to the transport
	spare []byte // the other write buffer, swapped in while writing
	dirty bool   // on loop.dirty

	// doomed oldest entries fail with doomRes/doomMsg when the loop
	// settles (Loop.Flush): the connection they were sent on is gone.
	doomed  int
	doomRes mc.Result
	doomMsg []byte
	onDown  bool // on loop.down
	// minTimeout is the shortest reply timeout of any request sent on c:
	// with Servers of different timeouts sharing c, deadlines are not in
	// queue order, but start times are.
	minTimeout int64
	keep       uint64 // Loop.Retain mark

	// tko is the destination's tracker, nil when tracking is off; probe
	// sends its probes while this loop owns its TKO, through probeSrv,
	// the Server of the last dial (its timeouts bound the probe).
	tko      *Tracker
	probe    *prober
	probeSrv *Server

	rep mc.Reply
}

func newConn(l *Loop, d *Destination, st *destLoop) *Conn {
	c := &Conn{loop: l, dest: d, st: st, q: newQueue(), kind: protoKindOf(d.Key.Protocol), minTimeout: math.MaxInt64}
	if !l.opts.TKO.Disable {
		c.tko = d.tko
	}
	st.stats.gauge.Store(gaugeNew)
	return c
}

// setState moves c to st, keeping the destination's gauges right.
func (c *Conn) setState(s connState) {
	if c.state == stateUp && s != stateUp {
		c.dest.Health.connsUp.Add(-1)
	}
	switch s {
	case stateUp:
		c.everUp, c.failed = true, false
		c.dest.Health.connsUp.Add(1)
	case stateDown:
		c.failed = true
	}
	c.state = s
	g := gaugeNew
	switch {
	case s == stateUp:
		g = gaugeUp
	case s == stateClosed:
		g = gaugeClosed
	case c.everUp || c.failed:
		g = gaugeDown
	}
	c.st.stats.gauge.Store(g)
}

// Loop returns the Loop that owns c.
func (c *Conn) Loop() *Loop { return c.loop }

// Destination returns the destination this Conn talks to.
func (c *Conn) Destination() *Destination { return c.dest }

// Pending returns the number of requests awaiting replies.
func (c *Conn) Pending() int { return c.q.n }

// Up reports whether the connection is established.
func (c *Conn) Up() bool { return c.state == stateUp }

// Send queues req for the server, with key as the key to send (the router
// has stripped the routing prefix or rewritten it). srv is the config's
// Server the request was routed to: its Timeout bounds the reply and, if
// this Send starts a connect, its ConnectTimeout bounds the connect.
// cb.OnReply is called exactly once, on this loop: later with the server's
// reply, or before Send returns when the request cannot be queued (a key
// memcached would reject, the server is TKO, too many pending, connection
// removed). req and key are not retained.
//
// While the destination is TKO nothing is sent (no dial either): the
// request fails at once with TKO, "Server unavailable. Reason: <the
// failure that caused it>", a failover error.
func (c *Conn) Send(srv *Server, req *mc.Request, key []byte, cb mc.Callback) {
	if t := c.tko; t != nil {
		if s := t.state.Load(); s != 0 {
			c.fail(cb, mc.ResTko, tkoMsgs[s>>8&0xff])
			return
		}
	}
	c.send(srv, req, key, cb)
}

// send is Send without the TKO check (probes go through it).
func (c *Conn) send(srv *Server, req *mc.Request, key []byte, cb mc.Callback) {
	valid := false
	switch c.kind {
	case protoMeta:
		valid = c.meta.validKey(req.Op, key)
	default:
		valid = c.proto.validKey(req.Op, key)
	}
	if !valid {
		c.fail(cb, mc.ResBadKey, msgBadKey)
		return
	}
	if c.q.n >= c.loop.opts.MaxPending || len(c.wbuf) > c.loop.opts.MaxOutbound ||
		c.t.buffered() > c.loop.opts.MaxOutbound {
		c.fail(cb, mc.ResBusy, msgBusy)
		return
	}
	switch c.state {
	case stateClosed:
		c.fail(cb, mc.ResShutdown, msgShutdown)
		return
	case stateDown:
		c.dial(srv)
	}
	var opaque uint32
	switch c.kind {
	case protoMeta:
		c.wbuf, opaque = c.meta.encode(c.wbuf, req, key)
	default:
		c.wbuf = c.proto.encode(c.wbuf, req, key, &c.q, c.loop.opts.MaxBatchKeys)
	}
	e := c.q.push()
	e.cb = cb
	e.op = req.Op
	e.sent = c.loop.now
	e.timeout = int64(srv.Timeout)
	c.minTimeout = min(c.minTimeout, e.timeout)
	e.deadline = e.sent + e.timeout
	c.loop.noteDeadline(e.deadline)
	e.batchEnd = false
	e.opaque = opaque
	if req.Op.IsGet() && c.kind == protoASCII {
		e.key = append(e.key[:0], key...)
	}
	if c.state == stateUp {
		add(&c.st.stats.inflight, 1)
	} else {
		add(&c.st.stats.pending, 1)
	}
	c.markDirty()
}

func (c *Conn) markDirty() {
	if !c.dirty {
		c.dirty = true
		c.loop.dirty = append(c.loop.dirty, c)
	}
}

// flush hands queued bytes to the transport: one write per flush. The
// buffer is taken out of c before the write, because a failed write
// closes the connection inside it (gnet), and nothing that happens then
// may lose or resend bytes.
func (c *Conn) flush() {
	c.dirty = false
	if c.q.n > 0 && c.kind == protoASCII {
		c.wbuf = c.proto.endBatch(c.wbuf, &c.q)
	}
	if c.state != stateUp || len(c.wbuf) == 0 {
		return
	}
	b := c.wbuf
	c.wbuf, c.spare = c.spare[:0], nil
	addU(&c.st.stats.writes, 1)
	c.t.write(b)
	if cap(b) <= 1<<20 { // do not keep a buffer grown for a rare huge value
		c.spare = b[:0]
	}
}

// pop removes the head entry, keeping the stats gauges right.
func (c *Conn) pop() (mc.Callback, bool, int64) {
	if c.state == stateUp {
		add(&c.st.stats.inflight, -1)
	} else {
		add(&c.st.stats.pending, -1)
	}
	return c.q.pop()
}

// fail answers cb (if any) with an error made here.
func (c *Conn) fail(cb mc.Callback, res mc.Result, msg []byte) {
	if cb == nil {
		return
	}
	addU(&c.st.stats.results[res], 1)
	c.rep = mc.Reply{Result: res, Msg: msg}
	cb.OnReply(&c.rep)
}

// answer pops the head entry and delivers rep, the server's reply to it
// (dropped when the request already timed out).
func (c *Conn) answer(rep mc.Reply) {
	cb, _, sent := c.pop()
	s := &c.st.stats
	addU(&s.replies, 1)
	addU(&s.latencyNs, uint64(max(c.loop.now-sent, 0)))
	if cb != nil {
		if c.tko != nil {
			c.noteReply(rep.Result)
		}
		addU(&s.results[rep.Result], 1)
		c.rep = rep
		cb.OnReply(&c.rep)
	}
}

// answerThenDrop delivers rep to the n oldest entries, after taking the
// connection down (so that requests their callbacks send go to a fresh
// connection) and dooming every other entry.
func (c *Conn) answerThenDrop(n int, rep mc.Reply) {
	c.down(mc.ResRemoteError, msgOutOfStep, false, c.q.n-n) // OnTraffic returns gnet.Close
	for ; n > 0 && c.q.n > 0; n-- {
		c.answer(rep)
	}
}

// down takes c off its socket at once: the transport is detached (and
// closed if closeIt), queued bytes are dropped, and the doom oldest
// entries are failed with res and msg when the loop settles, at the end of
// its pass (never inside a gnet callback that may be running under one of
// our own writes). Requests sent after down go to a new connection.
func (c *Conn) down(res mc.Result, msg []byte, closeIt bool, doom int) {
	if c.state == stateUp {
		// In flight until now; they are failed as pending.
		add(&c.st.stats.inflight, -int64(c.q.n))
		add(&c.st.stats.pending, int64(c.q.n))
		c.dest.Health.recordFailure(res)
		c.setState(stateDown)
	}
	c.t.detach(closeIt)
	c.gen++ // a dial in flight for the old connection is stale
	c.wbuf = c.wbuf[:0]
	c.proto.reset()
	c.meta.reset()
	if c.doomed == 0 {
		c.doomRes, c.doomMsg = res, msg
	}
	c.doomed = max(c.doomed, doom)
	if !c.onDown {
		c.onDown = true
		c.loop.down = append(c.loop.down, c)
	}
}

// settle fails the doomed entries. Their callbacks may send again, to c
// too: those requests queue behind and go to a new connection.
func (c *Conn) settle() {
	c.onDown = false
	n, res, msg := c.doomed, c.doomRes, c.doomMsg
	c.doomed = 0
	for ; n > 0 && c.q.n > 0; n-- {
		cb, _, _ := c.pop()
		c.fail(cb, res, msg)
	}
}

// dial starts connecting in a goroutine, bounded by srv's connect
// timeout; the result comes back on the loop.
func (c *Conn) dial(srv *Server) {
	c.probeSrv = srv
	c.setState(stateConnecting)
	c.gen++
	if c.loop.dialHook != nil {
		c.loop.dialHook(c, srv)
		return
	}
	gen := c.gen
	el, l := c.loop.el, c.loop
	addr, timeout := c.dest.Key.Addr, srv.ConnectTimeout
	host, cc, transport := c.dest.Host, srv.TLS, srv.Transport
	go func() {
		d := net.Dialer{Timeout: timeout}
		start := time.Now()
		network, address := dialNetwork(addr)
		nc, err := d.Dial(network, address)
		tag := &dialTag{c: c, gen: gen}
		if err == nil && cc != nil {
			// TLS: the handshake runs here, over the socket, within what
			// is left of the connect timeout; the loop then continues the
			// session in memory (transport_tls.go).
			if tag.sec, err = dialTLS(l, cc, transport, nc, host, addr, start.Add(timeout)); err != nil {
				_ = nc.Close()
			}
		}
		if err == nil {
			var ch <-chan gnet.RegisteredResult
			ch, err = el.Enroll(gnet.NewContext(context.Background(), tag), nc)
			if err != nil {
				_ = nc.Close()
			} else if res := <-ch; res.Err != nil {
				err = res.Err
			}
		}
		if err != nil {
			_ = el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				l.SetNow(Now()) // the loop may have slept since its last event
				c.dialFailed(gen, err)
				l.endEvent()
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
	sec *tlsconn.Client // the TLS session, handshake done; nil: plaintext
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
	c.t = transport{gc: gc, sec: t.sec}
	c.setState(stateUp)
	// Requests queued while connecting are now in flight.
	add(&c.st.stats.pending, -int64(c.q.n))
	add(&c.st.stats.inflight, int64(c.q.n))
	c.proto.rp.Reset()
	c.meta.rp.Reset()
	// Entries queued while connecting start their timeout now.
	for i := 0; i < c.q.n; i++ {
		e := c.q.at(i)
		e.deadline = c.loop.now + e.timeout
	}
	if c.q.n > 0 {
		c.loop.noteDeadline(c.loop.now + c.minTimeout)
	}
	if len(c.wbuf) > 0 {
		c.markDirty()
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

// DialLoop returns the Loop of the Conn a dial context (see IsDial)
// belongs to.
func DialLoop(tag any) *Loop { return tag.(*dialTag).c.loop }

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
	res, msg := mc.ResConnectError, msgConnRefused
	var ne net.Error
	var he *tlsconn.HandshakeError
	switch {
	case errors.As(err, &he):
		// Never plaintext instead: a server whose certificate is not
		// accepted is a connect failure (hard: TKO at once).
		res, msg = tlsFailure(he)
		c.loop.logf("upstream %s: %v", c.dest.Key.Addr, he)
	case errors.As(err, &ne) && ne.Timeout():
		res, msg = mc.ResConnectTimeout, msgConnTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
	default:
		msg = []byte("AsyncSocketException: connect failed, type = Socket not open: " + err.Error())
	}
	c.dest.Health.recordFailure(res)
	c.noteFailure(res, true)
	c.down(res, msg, false, c.q.n)
}

// OnClose must be called from the engine's OnClose for a gnet.Conn whose
// context is this Conn. It only records the loss (the pending requests
// fail when the loop settles, see Loop.Flush): gnet may be closing the
// socket inside one of our own writes. A close of a socket c already
// dropped is ignored.
func (c *Conn) OnClose(gc gnet.Conn) {
	if !c.t.is(gc) {
		return
	}
	// The server closed an established connection (EOF, reset): a hard
	// failure, as mcrouter counts it (CONNECT_ERROR).
	c.noteFailure(mc.ResConnectError, true)
	c.down(mc.ResRemoteError, msgConnClosed, false, c.q.n)
}

// OnTraffic parses the replies buffered on gc and completes their
// requests. It returns gnet.Close when gc is not (or no longer) c's socket,
// or when the server sent something that is not a memcached reply or a
// reply that cannot belong to the request it would answer.
func (c *Conn) OnTraffic(gc gnet.Conn) gnet.Action {
	buf, _ := gc.Peek(-1)
	if !c.t.is(gc) {
		_, _ = gc.Discard(len(buf))
		return gnet.Close
	}
	if c.t.sec != nil && !c.t.rxPlain {
		return c.onTLSTraffic(gc, buf)
	}
	off, act := c.replies(gc, buf)
	if act != gnet.None {
		_, _ = gc.Discard(len(buf))
		return act
	}
	if off > 0 {
		_, _ = gc.Discard(off)
	}
	return gnet.None
}

// replies parses the replies in buf (plaintext from gc) and completes
// their requests. It returns how much of buf it consumed and gnet.Close
// when the connection must go (see OnTraffic); then nothing of buf is
// to be kept.
func (c *Conn) replies(gc gnet.Conn, buf []byte) (int, gnet.Action) {
	off := 0
	for off < len(buf) {
		n, ok, err := c.parse(buf[off:])
		off += n
		if err != nil {
			c.down(mc.ResRemoteError, msgBadReply, false, c.q.n)
			return off, gnet.Close
		}
		if !ok {
			break
		}
		switch c.match() {
		case matchBad:
			c.down(mc.ResRemoteError, msgBadReply, false, c.q.n)
			return off, gnet.Close
		case matchClose:
			return off, gnet.Close
		}
		if !c.t.is(gc) { // a callback took the connection down
			return off, gnet.Close
		}
	}
	return off, gnet.None
}

// parse feeds buf to the reply parser of c's protocol; see
// codec.ReplyParser.Parse.
func (c *Conn) parse(buf []byte) (int, bool, error) {
	if c.kind == protoMeta {
		return c.meta.rp.Parse(buf)
	}
	return c.proto.rp.Parse(buf)
}

// match matches the reply element just parsed against the queue head.
func (c *Conn) match() verdict {
	if c.kind == protoMeta {
		return c.meta.match(c, &c.meta.rp.Reply)
	}
	return c.proto.match(c, &c.proto.rp.Reply)
}

// sweep answers requests whose deadline has passed with TIMEOUT and drops
// a connection whose oldest request has been unanswered for far too long.
// It returns a lower bound of when it next has work (math.MaxInt64: none
// until something is sent).
func (c *Conn) sweep(now int64) (next int64) {
	next = math.MaxInt64
	if c.state != stateUp {
		return next // requests queued while connecting start their clock in Opened
	}
	for i := 0; i < c.q.n; i++ {
		e := c.q.at(i)
		if e.deadline > now {
			if e.cb != nil {
				next = min(next, e.deadline)
			}
			// Entries are in send order, so no later one is due before
			// its start plus the shortest timeout.
			if lb := e.deadline - e.timeout + c.minTimeout; lb > now {
				next = min(next, lb)
				break
			}
			continue
		}
		if e.cb == nil {
			continue
		}
		cb := e.cb
		e.cb = nil
		c.noteFailure(mc.ResTimeout, false)
		c.fail(cb, mc.ResTimeout, msgReplyTimeout)
	}
	if c.q.n > 0 && c.state == stateUp {
		head := c.q.front()
		if head.cb == nil {
			wedged := head.deadline + c.loop.opts.WedgeAfter.Nanoseconds() + head.timeout
			if now > wedged {
				// The server has not answered for a long time: drop the
				// socket now (nothing more is written to it) and let the
				// next request dial afresh.
				c.down(mc.ResRemoteError, msgWedged, true, c.q.n)
				return math.MaxInt64
			}
			next = min(next, wedged+1)
		}
	}
	return next
}

// close removes the Conn for good (its destination left the config).
func (c *Conn) close() {
	c.releaseTKO()
	if c.state == stateUp {
		add(&c.st.stats.inflight, -int64(c.q.n))
		add(&c.st.stats.pending, int64(c.q.n))
	}
	c.setState(stateClosed)
	c.gen++
	c.t.detach(true)
}
