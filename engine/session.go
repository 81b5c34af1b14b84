package engine

import (
	"math"
	"net"
	"net/netip"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec"
	"mcroute/codec/mc"
	"mcroute/router"
	"mcroute/upstream"
)

// session is one client connection. Only its loop touches it.
type session struct {
	ls *loopState
	c  gnet.Conn
	// p is lent by the loop (loopState.getParser) while the connection is
	// inside process, and kept only while a request is half parsed, so an
	// idle connection holds no parser and none of its scratch buffers.
	p *codec.Parser

	q slotRing // requests awaiting their turn to reply, oldest first

	// waiting is a request whose keys are not all sent yet (dispatch is
	// windowed); nothing after it is parsed until it is.
	waiting *slot

	// ip is the client's IP with --retain-source-ip, else nil (a pointer,
	// so that connections without it do not pay for it).
	ip *netip.Addr

	// Memory accounting (see doc.go, "Memory bounds").
	held     int // bytes held for this client: slots, keys, values, replies not yet written
	pend     int // estimated bytes of replies to keys sent and not answered
	inflight int // keys sent to the router and not answered

	// The fields below are 32-bit and packed with the flags, so that a
	// session is 128 bytes (an idle connection's cost, doc.go).
	outstanding int32 // slots in q not yet complete
	estKey      int32 // estimated reply size of the next get key sent (≤ MaxValueLen)
	parsed      int32 // bytes the parser has consumed of a request not complete yet (≤ a line plus MaxValueLen)
	drainIdx    int32 // index in ls.drain.sessions (drain.go)

	dirty    bool // on ls.dirty
	holding  bool // flush holds a read's replies back; a hold timer is set (holdBack)
	holdOver bool // that timer fired: write what is complete
	inPaused bool // on ls.paused
	closing  bool // no more parsing: a quit or a fatal parse error is queued
	dead     bool // dropped by mcroute; gnet closes it
	closed   bool // gnet closed the connection
	fin      bool // draining: answered in full, write side shut down
}

// slot is one client request in the session's FIFO.
type slot struct {
	ls      *loopState
	s       *session
	ctx     *router.Ctx // the config the request started on
	op      mc.Op
	noreply bool
	// read is the loop's read sequence number (loopState.reads) of the
	// client read this request was parsed from: flush holds the replies of
	// a read back until every request of it is answered (holdBack).
	read    uint32
	quit    bool // close the connection once this slot is written
	stats   bool // out holds stats args: render when the slot's turn comes
	pending int  // keys not answered yet (sent or not)
	next    int  // keys sent to the router so far
	written int  // keys of a get whose reply was already written (streamed)
	keys    []*keyReq
	// streamed: VALUE blocks of this get were written before it completed.
	streamed bool
	// out is the whole reply for requests answered locally, the error line
	// of a get that failed, or the reply of a broadcast (flush_all).
	out    []byte
	useOut bool
	worst  mc.Result
	// acct: bytes this slot holds, counted in its session's and loop's
	// held; outAcct: the part that is out; pendAcct: its share of pend.
	acct, outAcct, pendAcct int
}

func (sl *slot) reset() {
	sl.s, sl.ctx = nil, nil
	sl.op = mc.OpNone
	sl.noreply, sl.quit, sl.useOut, sl.stats, sl.streamed = false, false, false, false, false
	sl.pending, sl.next, sl.written = 0, 0, 0
	sl.read = 0
	sl.keys = sl.keys[:0]
	sl.out = sl.out[:0]
	sl.worst = mc.ResUnknown
	sl.acct, sl.outAcct, sl.pendAcct = 0, 0, 0
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
	done bool // answered
	acct int  // bytes counted for this key in slot.acct
	est  int  // estimated reply bytes counted in pend while in flight
}

// Fixed costs counted per slot and per key, for the structs themselves
// (slot, keyReq, ring entry, router state), so that a flood of tiny
// requests is bounded in bytes like a few big ones.
const (
	slotCost = 256
	keyCost  = 256
	minEst   = 64        // reply estimate of a key other than a get's
	minGet   = 4 << 10   // smallest reply estimate of a get's key
	firstEst = 256 << 10 // a get key's estimate before any hit was seen
)

// account adds d bytes to what sl holds, and to its session's and loop's.
func (sl *slot) account(d int) {
	sl.acct += d
	sl.ls.held += d
	if s := sl.s; s != nil {
		s.held += d
	}
}

// settleOut counts sl.out as it is now.
func (sl *slot) settleOut() {
	sl.account(len(sl.out) - sl.outAcct)
	sl.outAcct = len(sl.out)
}

// settleKey counts k's buffers as they are now.
func (sl *slot) settleKey(k *keyReq) {
	n := keyCost + len(k.key) + len(k.val) + len(k.out)
	sl.account(n - k.acct)
	k.acct = n
}

// estimate adds d bytes of expected replies to sl, its session and loop.
func (sl *slot) estimate(d int) {
	sl.pendAcct += d
	sl.ls.pend += d
	if s := sl.s; s != nil {
		s.pend += d
	}
}

// clientIP returns the client's IP with --retain-source-ip, else the zero
// Addr.
func (s *session) clientIP() netip.Addr {
	if s.ip == nil {
		return netip.Addr{}
	}
	return *s.ip
}

func (ls *loopState) newSession(c gnet.Conn) *session {
	s := &session{ls: ls, c: c, estKey: firstEst}
	if ls.e != nil && ls.e.opts.RetainSourceIP {
		if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			if ip, ok := netip.AddrFromSlice(ta.IP); ok {
				ip = ip.Unmap()
				s.ip = &ip
			}
		}
	}
	ls.stats.connsOpen.Add(1)
	ls.stats.connsTotal.Add(1)
	ls.track(s)
	return s
}

func (s *session) onTraffic() gnet.Action {
	s.ls.up.SetNow(upstream.Now())
	s.process()
	// What process produced (requests to servers, replies) is written at
	// the end of the batch (loopState.endBatch), with every other
	// client's of this loop wake-up.
	if s.closed || s.dead {
		return gnet.None
	}
	if s.overCap() {
		s.ls.stats.closedBig.Add(1)
		s.dead = true
		return gnet.Close
	}
	return gnet.None
}

// over reports whether the client (or its loop) holds more than the high
// water mark: no new key is sent and nothing more is parsed for it. A
// client with nothing in flight and nothing queued but the request being
// sent may still send, so that one request bigger than the mark makes
// progress.
func (s *session) over() bool {
	o := &s.ls.e.opts
	out := s.c.OutboundBuffered()
	if out > o.OutboundHighWater {
		return true
	}
	if s.inflight == 0 && (s.q.len() == 0 || s.q.len() == 1 && s.waiting != nil) {
		return false // nothing else can drain first: let this request through
	}
	return s.held+s.pend+out > o.OutboundHighWater || s.ls.held+s.ls.pend > o.LoopHighWater
}

// overCap reports whether the client holds more than the hard cap, or its
// loop is over its hard cap while this client holds a part of it.
func (s *session) overCap() bool {
	o := &s.ls.e.opts
	if s.held+int(s.parsed)+s.c.InboundBuffered()+s.c.OutboundBuffered() > o.MaxClientBuffer {
		return true
	}
	return s.ls.held > o.MaxLoopBuffer && s.held > o.OutboundHighWater
}

// checkCap drops the client if it is over the hard cap. Safe anywhere on
// the loop: the connection is closed after the current event.
func (s *session) checkCap() {
	if s.closed || s.dead || !s.overCap() {
		return
	}
	s.ls.stats.closedBig.Add(1)
	s.drop()
}

// drop closes the connection without writing anything more.
func (s *session) drop() {
	s.dead = true
	s.closing = true
	_ = s.c.Close()
}

// canParse reports whether backpressure allows parsing another request.
func (s *session) canParse() bool {
	if s.waiting != nil || s.dead {
		return false
	}
	if s.p != nil && s.p.Pending() {
		return true // finish the request under way; the hard cap bounds it
	}
	if m := s.ls.e.opts.MaxClientOutstanding; m > 0 && int(s.outstanding) >= m {
		return false
	}
	return !s.over()
}

// peekChunk is the most input looked at (and, when gnet has to join its
// buffers, copied) at once; the parser accepts any split.
const peekChunk = 64 << 10

// process sends the keys of a waiting request, then parses and dispatches
// what the client has sent, until the input runs out or backpressure says
// stop. Unparsed bytes stay in gnet's buffer, untouched while paused.
func (s *session) process() {
	if s.closed || s.dead {
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
	if s.waiting != nil {
		s.pump()
	}
	defer s.returnParser()
	if s.ls.drain.on { // drain.go: answer what was parsed, parse no more
		s.discardInput()
		return
	}
	for {
		if !s.canParse() {
			s.pause()
			return
		}
		n := s.c.InboundBuffered()
		if n == 0 {
			return
		}
		if s.p == nil {
			s.p = s.ls.getParser()
		}
		s.ls.reads++
		buf, _ := s.c.Peek(min(n, peekChunk))
		off, more := s.parse(buf)
		if off > 0 {
			_, _ = s.c.Discard(off)
		}
		if !more || s.closing {
			return
		}
	}
}

// returnParser gives the parser back to the loop unless a request is half
// parsed (or the connection is closing: its parser is broken or done).
func (s *session) returnParser() {
	if s.p == nil || s.p.Pending() && !s.closing && !s.dead {
		return
	}
	s.ls.putParser(s.p)
	s.p = nil
}

// parse parses and dispatches requests from buf; it returns the bytes
// consumed and whether it consumed all of buf and may go on.
func (s *session) parse(buf []byte) (off int, more bool) {
	for off < len(buf) {
		if !s.canParse() {
			s.pause()
			return off, false
		}
		n, ok, err := s.p.Parse(buf[off:])
		off += n
		if err != nil {
			s.parsed = 0
			pe, _ := err.(*codec.ParseError)
			if pe == nil {
				pe = codec.ErrMalformed
			}
			if pe.Close {
				s.ls.stats.parseErrors.Add(1)
				sl := s.localSlot(mc.OpNone, false)
				sl.out = append(sl.out, pe.Reply...)
				sl.settleOut()
				sl.quit = true
				s.closing = true
				return len(buf), false
			}
			s.ls.stats.badKeys.Add(1)
			sl := s.localSlot(mc.OpNone, false)
			sl.out = append(sl.out, pe.Reply...)
			sl.settleOut()
			continue
		}
		if !ok {
			s.parsed += int32(n)
			break
		}
		s.parsed = 0
		s.dispatch(&s.p.Req)
		if s.closing || s.dead {
			return len(buf), false
		}
	}
	return off, true
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
	sl.read = s.ls.reads
	sl.account(slotCost)
	s.q.push(sl, &s.ls.rings)
	s.outstanding++
	return sl
}

// localSlot pushes a slot answered by mcroute itself; the caller fills out
// and calls settleOut.
func (s *session) localSlot(op mc.Op, noreply bool) *slot {
	sl := s.push(op, noreply)
	sl.useOut = true
	s.complete(sl)
	return sl
}

// complete marks sl answered; the reply goes out at the next flush.
func (s *session) complete(sl *slot) {
	s.outstanding--
	s.markDirty()
}

func (s *session) markDirty() {
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
		Cas: r.Cas, Delta: r.Delta, Key: k.key, ClientIP: s.clientIP(),
	}
	if r.Op.IsStorage() {
		k.val = append(k.val[:0], r.Value...)
		k.Value = k.val
	}
	sl.keys = append(sl.keys, k)
	sl.settleKey(k)
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
		if s.q.len() > 0 {
			s.q.back().settleOut()
		}
	}
}

// route queues every key of r for the router and sends as many as the
// client's window allows; pump sends the rest as replies drain.
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
	sl.ctx = s.ls.routerCtx()
	s.waiting = sl
	s.pump()
}

// pump sends the waiting request's keys through the router while the
// client is under its high water mark. A key may be answered at once (an
// error route), even completing the slot; the slot stays in the FIFO until
// flushed, so it cannot be reused meanwhile.
func (s *session) pump() {
	sl := s.waiting
	root := sl.ctx.Cfg.Root
	for sl.next < len(sl.keys) {
		if s.dead || s.closed {
			return
		}
		if s.over() {
			s.pause()
			return
		}
		k := sl.keys[sl.next]
		sl.next++
		k.est = minEst
		if sl.op.IsGet() {
			k.est = int(s.estKey)
		}
		sl.estimate(k.est)
		s.inflight++
		root.Route(sl.ctx, &k.Request, k)
	}
	s.waiting = nil
}

// OnReply receives the reply for one key; see mc.Callback.
func (k *keyReq) OnReply(rep *mc.Reply) {
	sl := k.slot
	s := sl.s
	live := s != nil && !s.dead
	if live {
		k.encode(sl, rep)
		sl.settleKey(k)
		sl.settleOut()
		if sl.op.IsGet() {
			// Follow the size of this client's get replies: jump up at
			// once, come down slowly.
			if n := len(k.out); n >= int(s.estKey) {
				s.estKey = int32(min(n, math.MaxInt32))
			} else {
				s.estKey = int32(max(minGet, int(s.estKey)-(int(s.estKey)-n)>>3))
			}
		}
	}
	if s != nil {
		s.inflight--
	}
	sl.estimate(-k.est)
	k.est = 0
	k.done = true
	sl.pending--
	switch {
	case sl.pending == 0 && s != nil:
		s.complete(sl)
	case sl.pending == 0:
		// The client went away while this slot was in flight.
		sl.ls.releaseSlot(sl)
		return
	case live && sl.op.IsGet() && s.q.front() == sl:
		s.markDirty() // a prefix of the keys may be ready to stream
	}
	if live {
		if sl.streamed && sl.useOut {
			// An error after VALUE blocks were written: the client cannot
			// be given the error line alone any more (doc.go).
			s.ls.stats.closedMidReply.Add(1)
			s.drop()
			return
		}
		s.checkCap()
	}
}

// encode writes rep into k or sl as the client will see it.
func (k *keyReq) encode(sl *slot, rep *mc.Reply) {
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
		// The broadcast answers once, with the worst reply (AllSync).
		if sl.worst == mc.ResUnknown || mc.Worse(rep.Result, sl.worst) {
			sl.worst = rep.Result
			sl.out = codec.AppendReply(sl.out[:0], sl.op, rep)
		}
	default:
		k.out = codec.AppendReply(k.out[:0], sl.op, rep)
	}
}

// flush writes every completed slot at the head of the FIFO, in order, in
// as few writes as possible, then releases them. A get at the head that is
// not complete yet has the VALUE blocks of its completed prefix of keys
// written once they are worth a write (streaming), and released.
func (s *session) flush() {
	s.dirty = false
	if s.closed || s.dead {
		return
	}
	ls := s.ls
	ready := s.holdBack()
	if ready == 0 {
		if !s.holdOver {
			if !s.holding {
				s.holding = true
				ls.up.After(holdMax, s)
			}
			ls.stats.heldBack.Add(1)
			return // complete() or OnTimer marks the session dirty again
		}
		ready = -1
	}
	s.holding, s.holdOver = false, false
	iov := ls.iov[:0]
	done := ls.done[:0]
	quit := false
	var stream *slot
	streamTo := 0
	for s.q.len() > 0 && ready != 0 {
		ready--
		sl := s.q.front()
		if sl.pending > 0 {
			if sl.op.IsGet() && !sl.useOut && !sl.noreply {
				var n int
				n, streamTo = sl.readyPrefix()
				if n >= streamMin || (n > 0 && s.over()) {
					for _, k := range sl.keys[sl.written:streamTo] {
						if k.hit {
							iov = append(iov, k.out)
						}
					}
					stream = sl
				}
			}
			break
		}
		s.q.pop(&ls.rings)
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
		if sl.stats {
			ls.sbuf = ls.e.appendStats(ls.sbuf[:0], sl.out)
			sl.out = append(sl.out[:0], ls.sbuf...)
			if cap(ls.sbuf) > retainCap {
				ls.sbuf = nil
			}
		}
		if sl.streamed && sl.useOut {
			quit = true // an error after VALUE blocks: close (doc.go)
			break
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
	if stream != nil {
		stream.release(stream.written, streamTo)
		stream.written = streamTo
		stream.streamed = true
	}
	for _, sl := range done {
		ls.releaseSlot(sl)
	}
	clear(done)
	ls.done = done[:0]
	if s.closed {
		return
	}
	if quit {
		s.closing = true
		_ = s.c.Close()
		return
	}
	s.checkCap()
}

// holdBack returns how many slots at the head of the FIFO flush may write:
// all of them (-1) unless the first slot still waiting for a reply was
// parsed from the same client read as completed slots before it. Then the
// replies of that read are held back until it is answered in full, and
// only the completed reads before it are written (0: nothing is).
//
// A pipelining client sends a batch in one write; its replies come from
// several servers in different loop wake-ups. Writing each wake-up's
// completed prefix costs a client write per wake-up and splits the
// client's next batch into as many reads (the client refills its window
// with what was answered); answering a read in one write keeps both at
// one per batch, as memcached's proxy does (engine/PERF.md, "Workload B
// with 4 backends").
//
// Nothing is held back from a client over its high water mark, one whose
// request is not all sent (waiting) or one paused: their replies must
// drain for them to go on. What is held back is counted in held like any
// unwritten reply, and every reply's arrival marks the session dirty, so
// the read is written in the wake-up that completes it.
func (s *session) holdBack() int {
	n := s.q.len()
	if n < 2 || s.q.front().pending > 0 || s.waiting != nil || s.inPaused {
		return -1
	}
	first := 1
	for first < n && s.q.at(first).pending == 0 {
		first++
	}
	if first == n {
		return -1 // all complete
	}
	read := s.q.at(first).read
	if s.q.at(first-1).read != read {
		return -1 // the completed prefix ends with a read answered in full
	}
	cut := first - 1
	for cut > 0 && s.q.at(cut-1).read == read {
		cut--
	}
	if cut == 0 && s.over() {
		return -1
	}
	if cut == 0 {
		return 0
	}
	return cut
}

// holdMax bounds how long flush holds a read's completed replies back
// for the rest of that read (holdBack): a request to a slow or dead
// server does not delay the replies parsed before it in the same read by
// more than this (plus the loop's timer precision, about a millisecond).
const holdMax = time.Millisecond

// OnTimer ends a hold that lasted holdMax (upstream.Timer; loop
// goroutine): the next flush writes what is complete. A timer left from
// an earlier hold can end a later one early, which only costs a write.
func (s *session) OnTimer() {
	if s.holding {
		s.holdOver = true
		s.markDirty()
	}
}

// streamMin is the size of a get's completed prefix worth writing before
// the whole get is complete.
const streamMin = 16 << 10

// readyPrefix returns the bytes of VALUE blocks of sl's answered keys from
// sl.written on, up to the first key not answered (the index returned).
func (sl *slot) readyPrefix() (n, to int) {
	to = sl.written
	for to < len(sl.keys) && sl.keys[to].done {
		if k := sl.keys[to]; k.hit {
			n += len(k.out)
		}
		to++
	}
	return n, to
}

// release gives back the reply and value buffers of keys [from, to) of sl,
// already written; the keyReqs stay in sl until it completes.
func (sl *slot) release(from, to int) {
	for _, k := range sl.keys[from:to] {
		k.out, k.val = dropBig(k.out), dropBig(k.val)
		k.Value = nil
		k.hit = false
		sl.settleKey(k)
	}
}

// dropBig empties b, forgetting it if it is too big to keep.
func dropBig(b []byte) []byte {
	if cap(b) > retainCap {
		return nil
	}
	return b[:0]
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

// appendIOV adds sl's reply to iov (for a get, what was not streamed yet).
func (sl *slot) appendIOV(iov [][]byte) [][]byte {
	if sl.useOut {
		if len(sl.out) > 0 {
			iov = append(iov, sl.out)
		}
		return iov
	}
	if sl.op.IsGet() {
		for _, k := range sl.keys[sl.written:] {
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
// released when their last reply arrives; keys never sent are dropped.
func (s *session) onClose() {
	s.closed = true
	ls := s.ls
	ls.untrack(s)
	ls.stats.connsOpen.Add(-1)
	s.waiting = nil
	if s.p != nil {
		ls.putParser(s.p)
		s.p = nil
	}
	for s.q.len() > 0 {
		sl := s.q.pop(&ls.rings)
		sl.pending -= len(sl.keys) - sl.next
		if sl.pending == 0 {
			ls.releaseSlot(sl)
			continue
		}
		sl.s = nil // released by the last OnReply
	}
}

var _ mc.Callback = (*keyReq)(nil)
