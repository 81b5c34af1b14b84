package engine

import (
	"github.com/panjf2000/gnet/v2"

	"mcroute/codec"
	"mcroute/codec/mc"
	"mcroute/upstream"
)

// session is one client connection. Only its loop touches it.
type session struct {
	ls *loopState
	c  gnet.Conn
	p  codec.Parser

	q           []*slot // FIFO of requests awaiting their turn to reply
	qhead       int
	outstanding int // slots in q not yet complete

	dirty    bool // on ls.dirty
	inPaused bool // on ls.paused
	closing  bool // no more parsing: a quit or a fatal parse error is queued
	closed   bool // gnet closed the connection
}

// slot is one client request in the session's FIFO.
type slot struct {
	ls      *loopState
	s       *session
	op      mc.Op
	noreply bool
	quit    bool // close the connection once this slot is written
	pending int  // keys not answered yet
	keys    []*keyReq
	// out is the whole reply for requests answered locally, the error line
	// of a get that failed, or the reply chosen by a fan-out (flush_all).
	out    []byte
	useOut bool
	worst  mc.Result
}

func (sl *slot) reset() {
	sl.s = nil
	sl.op = mc.OpNone
	sl.noreply, sl.quit, sl.useOut = false, false, false
	sl.pending = 0
	sl.keys = sl.keys[:0]
	sl.out = sl.out[:0]
	sl.worst = mc.ResUnknown
}

// keyReq is one key of a slot on its way through the router. It owns
// copies of the key and value, so it outlives the parser's buffers.
type keyReq struct {
	mc.Request
	slot *slot
	key  []byte // owned copy of the client's key
	val  []byte // owned copy of the value
	out  []byte // this key's encoded reply (VALUE block for a hit)
	hit  bool
}

func (ls *loopState) newSession(c gnet.Conn) *session {
	s := &session{ls: ls, c: c}
	ls.stats.connsOpen.Add(1)
	ls.stats.connsTotal.Add(1)
	return s
}

func (s *session) onTraffic() gnet.Action {
	s.ls.up.SetNow(upstream.Now())
	s.process()
	s.ls.afterEvent()
	if s.closed {
		return gnet.None
	}
	if s.c.InboundBuffered() > s.ls.e.opts.MaxClientBuffer || s.c.OutboundBuffered() > s.ls.e.opts.MaxClientBuffer {
		s.ls.stats.closedBig.Add(1)
		return gnet.Close
	}
	return gnet.None
}

// canParse reports whether backpressure allows parsing another request.
func (s *session) canParse() bool {
	if m := s.ls.e.opts.MaxClientOutstanding; m > 0 && s.outstanding >= m {
		return false
	}
	return s.c.OutboundBuffered() <= s.ls.e.opts.OutboundHighWater
}

// process parses and dispatches what the client has sent, until the input
// runs out or backpressure says stop. Unparsed bytes stay in gnet's buffer.
func (s *session) process() {
	if s.closed {
		return
	}
	if s.closing {
		// quit or a fatal parse error is queued: whatever the client sends
		// after it is never read, so do not let it pile up.
		if s.c.InboundBuffered() > 0 {
			_, _ = s.c.Discard(-1)
		}
		return
	}
	buf, _ := s.c.Peek(-1)
	off := 0
	for off < len(buf) {
		if !s.canParse() {
			s.pause()
			break
		}
		n, ok, err := s.p.Parse(buf[off:])
		off += n
		if err != nil {
			pe, _ := err.(*codec.ParseError)
			if pe == nil {
				pe = codec.ErrMalformed
			}
			if pe.Close {
				s.ls.stats.parseErrors.Add(1)
				sl := s.localSlot(mc.OpNone, false)
				sl.out = append(sl.out, pe.Reply...)
				sl.quit = true
				s.closing = true
				off = len(buf)
				break
			}
			s.ls.stats.badKeys.Add(1)
			sl := s.localSlot(mc.OpNone, false)
			sl.out = append(sl.out, pe.Reply...)
			continue
		}
		if !ok {
			break
		}
		s.dispatch(&s.p.Req)
		if s.closing {
			off = len(buf)
			break
		}
	}
	if off > 0 {
		_, _ = s.c.Discard(off)
	}
}

func (s *session) pause() {
	if s.inPaused {
		return
	}
	s.inPaused = true
	s.ls.stats.paused.Add(1)
	s.ls.paused = append(s.ls.paused, s)
}

// push appends a new slot to the FIFO.
func (s *session) push(op mc.Op, noreply bool) *slot {
	sl := s.ls.getSlot()
	sl.s, sl.op, sl.noreply = s, op, noreply
	if s.qhead > 0 && s.qhead == len(s.q) {
		s.q, s.qhead = s.q[:0], 0
	}
	s.q = append(s.q, sl)
	s.outstanding++
	return sl
}

// localSlot pushes a slot answered by mcroute itself; the caller fills out.
func (s *session) localSlot(op mc.Op, noreply bool) *slot {
	sl := s.push(op, noreply)
	sl.useOut = true
	s.complete(sl)
	return sl
}

// complete marks sl answered; the reply goes out at the next flush.
func (s *session) complete(sl *slot) {
	s.outstanding--
	if !s.dirty && !s.closed {
		s.dirty = true
		s.ls.dirty = append(s.ls.dirty, s)
	}
}

// addKey adds a key to sl, copying key and value out of the parser's
// buffers.
func (s *session) addKey(sl *slot, r *codec.Request, key []byte) *keyReq {
	k := s.ls.getKey()
	k.slot = sl
	k.key = append(k.key[:0], key...)
	k.Request = mc.Request{
		Op: r.Op, Flags: r.Flags, Exptime: r.Exptime, HasExptime: r.HasExptime,
		Cas: r.Cas, Delta: r.Delta, Key: k.key,
	}
	if r.Op.IsStorage() {
		k.val = append(k.val[:0], r.Value...)
		k.Value = k.val
	}
	sl.keys = append(sl.keys, k)
	return k
}

// dispatch starts one parsed request. r is valid only during the call.
func (s *session) dispatch(r *codec.Request) {
	s.ls.stats.cmd[r.Op].Add(1)
	switch {
	case r.Op.IsGet(), r.Op.IsStorage(), r.Op == mc.OpDelete, r.Op == mc.OpIncr,
		r.Op == mc.OpDecr, r.Op == mc.OpTouch:
		s.route(r)
	default:
		s.local(r)
	}
}

// route sends every key of r through the router.
func (s *session) route(r *codec.Request) {
	if isDebugGet(r) {
		s.debugGet(r)
		return
	}
	sl := s.push(r.Op, r.Noreply)
	for _, key := range r.Keys {
		s.addKey(sl, r, key)
	}
	sl.pending = len(sl.keys)
	ctx := s.ls.routerCtx()
	root := ctx.Cfg.Root
	// A key may be answered at once (an error route), even completing sl;
	// sl stays in the FIFO until flushed, so it cannot be reused meanwhile.
	for _, k := range sl.keys {
		root.Route(ctx, &k.Request, k)
	}
}

// OnReply receives the reply for one key; see mc.Callback.
func (k *keyReq) OnReply(rep *mc.Reply) {
	sl := k.slot
	switch {
	case sl.op.IsGet():
		switch rep.Result {
		case mc.ResFound:
			k.out = codec.AppendValue(k.out[:0], k.key, rep.Flags, rep.Value, rep.Cas, rep.HasCas && sl.op.HasCas())
			k.hit = true
		case mc.ResNotFound:
		default:
			if rep.Result.IsError() && sl.ls.e.opts.MissOnGetErrors {
				break // reported as a miss
			}
			// The first error (or unexpected result, e.g. UNKNOWN from an
			// OperationSelectorRoute without a route for the op) to arrive
			// is the whole reply (mcrouter §5.3, §5.4).
			if !sl.useOut {
				sl.useOut = true
				sl.out = codec.AppendReply(sl.out[:0], sl.op, rep)
			}
		}
	case sl.op == mc.OpFlushAll:
		// AllSync: the worst reply wins, ties keep the earlier one.
		if sl.worst == mc.ResUnknown || mc.Worse(rep.Result, sl.worst) {
			sl.worst = rep.Result
			sl.out = codec.AppendReply(sl.out[:0], sl.op, rep)
		}
	default:
		k.out = codec.AppendReply(k.out[:0], sl.op, rep)
	}
	sl.pending--
	if sl.pending == 0 {
		if s := sl.s; s != nil {
			s.complete(sl)
		} else {
			// The client went away while this slot was in flight.
			sl.ls.releaseSlot(sl)
		}
	}
}

// flush writes every completed slot at the head of the FIFO, in order, in
// as few writes as possible, then releases them.
func (s *session) flush() {
	s.dirty = false
	if s.closed {
		return
	}
	ls := s.ls
	iov := ls.iov[:0]
	done := ls.done[:0]
	quit := false
	for s.qhead < len(s.q) {
		sl := s.q[s.qhead]
		if sl.pending > 0 {
			break
		}
		s.q[s.qhead] = nil
		s.qhead++
		done = append(done, sl)
		if sl.quit {
			if len(sl.out) > 0 {
				iov = append(iov, sl.out)
			}
			quit = true
			break
		}
		if sl.noreply {
			continue
		}
		iov = sl.appendIOV(iov)
		if len(iov) >= 512 {
			s.write(iov)
			iov = iov[:0]
			if s.closed {
				break
			}
		}
	}
	if len(iov) > 0 && !s.closed {
		s.write(iov)
	}
	clear(iov)
	ls.iov = iov[:0]
	for _, sl := range done {
		ls.releaseSlot(sl)
	}
	clear(done)
	ls.done = done[:0]
	if s.closed {
		return
	}
	if s.qhead == len(s.q) {
		s.q, s.qhead = s.q[:0], 0
	}
	if quit {
		s.closing = true
		_ = s.c.Close()
	}
}

// write sends iov with one system call. Small replies (the common case:
// a VALUE block and END) are copied into the loop's scratch buffer and
// written with write(2), which costs the kernel less than writev; large
// ones go out with writev when they have at most 8 pieces (x/sys builds
// its iovec array on the stack only that far) and are copied otherwise.
func (s *session) write(iov [][]byte) {
	if len(iov) == 1 {
		_, _ = s.c.Write(iov[0])
		return
	}
	total := 0
	for _, p := range iov {
		total += len(p)
	}
	if total > smallReply && len(iov) <= 8 {
		_, _ = s.c.Writev(iov)
		return
	}
	b := s.ls.wbuf[:0]
	for _, p := range iov {
		b = append(b, p...)
	}
	_, _ = s.c.Write(b)
	if cap(b) > 1<<20 {
		b = nil // do not keep a huge buffer for a rare huge reply
	}
	s.ls.wbuf = b[:0]
}

// smallReply is the size up to which a reply's pieces are copied into one
// buffer rather than handed to writev.
const smallReply = 16 << 10

// appendIOV adds sl's reply to iov.
func (sl *slot) appendIOV(iov [][]byte) [][]byte {
	if sl.useOut {
		if len(sl.out) > 0 {
			iov = append(iov, sl.out)
		}
		return iov
	}
	if sl.op.IsGet() {
		for _, k := range sl.keys {
			if k.hit {
				iov = append(iov, k.out)
			}
		}
		return append(iov, codec.End)
	}
	for _, k := range sl.keys {
		iov = append(iov, k.out)
	}
	return iov
}

// onClose forgets the session. Slots still waiting for servers are
// released when their last reply arrives.
func (s *session) onClose() {
	s.closed = true
	ls := s.ls
	ls.stats.connsOpen.Add(-1)
	for i := s.qhead; i < len(s.q); i++ {
		sl := s.q[i]
		s.q[i] = nil
		if sl.pending == 0 {
			ls.releaseSlot(sl)
			continue
		}
		sl.s = nil // released by the last OnReply
	}
	s.qhead = len(s.q)
}

var _ mc.Callback = (*keyReq)(nil)
