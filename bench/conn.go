package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"
)

// epoch anchors the run clock: nanotime is monotonic nanoseconds since
// process start, cheap (vDSO) and allocation-free.
var epoch = time.Now()

func nanotime() int64 { return int64(time.Since(epoch)) }

// flushBytes: a write buffer this full is written before more is appended,
// so a burst of large sets does not grow it without bound.
const flushBytes = 64 << 10

var (
	errAborted  = errors.New("run canceled")
	errBroken   = errors.New("connection dropped after a malformed or unsolicited reply")
	errTimedOut = errors.New("no reply within the reply timeout")
	errPeer     = errors.New("peer failed")
	past        = time.Unix(1, 0)
)

// opStats is what one connection counted for one command type.
type opStats struct {
	hist              Histogram
	ops, hits, misses uint64
	errors            uint64
	bytesIn, bytesOut uint64
}

// live holds the counters the progress line reads every second.
type live struct {
	ops, hits, misses, errors, latNs atomic.Uint64
}

// conn is one connection of the generator and everything it owns. Fields are
// grouped by the goroutine that writes them: in open loop the sender and the
// reader run concurrently and touch disjoint fields; the manager (run) only
// acts between sessions.
type conn struct {
	id     int
	cfg    *Config
	addr   string
	prefix []byte
	vals   *values
	ring   *ring
	nc     net.Conn
	abort  atomic.Bool // the run's context is done

	// sender
	ratio            ratioSched
	setKeys, getKeys keyGen
	wbuf             []byte
	wdl              int64 // write deadline currently armed, run clock
	runEnd           int64 // time mode: stop issuing at this time; 0 in request mode
	limit            int64 // request mode: requests to send in all
	interval         int64 // open loop: ns between this connection's requests
	next             int64 // open loop: intended time of the next request
	pacer            *pacer
	sent             uint64
	notSent          uint64
	sendLag          Histogram

	// reader
	chk        checker
	rbuf       []byte
	r, w       int
	rdl        int64 // read deadline currently armed, run clock
	inReply    bool
	replyBytes int
	op         [numOps]opStats
	errKinds   [numErrKinds]uint64
	errSample  [numErrKinds]string
	checked    uint64
	live       live
	pend       struct{ ops, hits, misses, errors, latNs uint64 }

	// open loop coordination
	writerDone, writerFailed, readerFailed atomic.Bool

	// manager
	connectFailures uint64
	connectSample   string
	reconnects      uint64
}

func newConn(id int, cfg *Config, vals *values) *conn {
	conns := cfg.Conns()
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(id)))
	capacity := cfg.Pipeline
	if cfg.Rate > 0 {
		capacity = cfg.MaxInflight
	}
	c := &conn{
		id:      id,
		cfg:     cfg,
		addr:    cfg.Servers[id%len(cfg.Servers)],
		prefix:  []byte(cfg.KeyPrefix),
		vals:    vals,
		ring:    newRing(capacity, cfg.MultiKeyGet),
		ratio:   newRatioSched(cfg.Ratio),
		setKeys: newKeyGen(cfg.SetPattern, cfg.KeyMin, cfg.KeyMax, cfg.KeyMedian, cfg.KeyStddev, id, conns, rng),
		getKeys: newKeyGen(cfg.GetPattern, cfg.KeyMin, cfg.KeyMax, cfg.KeyMedian, cfg.KeyStddev, id, conns, rng),
		chk:     newChecker([]byte(cfg.KeyPrefix), cfg.Verify, vals, cfg.MultiKeyGet),
	}
	maxReply := cfg.MultiKeyGet*(cfg.DataSizeMax+len(cfg.KeyPrefix)+80) + 64
	c.rbuf = make([]byte, max(64<<10, 2*maxReply))
	c.wbuf = make([]byte, 0, flushBytes+cfg.DataSizeMax+len(cfg.KeyPrefix)+64+cfg.MultiKeyGet*(len(cfg.KeyPrefix)+22))
	return c
}

// ---- manager ----

func (c *conn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if c.cfg.TLS != nil {
		tcfg := c.cfg.TLS
		if tcfg.ServerName == "" && !tcfg.InsecureSkipVerify {
			tcfg = tcfg.Clone() // like tls.Dial: verify the dialed host
			tcfg.ServerName, _, _ = net.SplitHostPort(c.addr)
		}
		tc := tls.Client(nc, tcfg)
		hctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return fmt.Errorf("tls handshake: %w", err)
		}
		nc = tc
	}
	c.nc = nc
	c.rdl, c.wdl = 0, 0
	c.r, c.w, c.inReply = 0, 0, false
	return nil
}

// run drives the connection until its share of the run is done, reconnecting
// after failures; every request it sent is resolved when it returns.
func (c *conn) run(ctx context.Context) {
	if c.cfg.Rate > 0 {
		c.pacer = newPacer()
		defer c.pacer.close()
	}
	for !c.finished() && ctx.Err() == nil {
		if c.nc == nil {
			if err := c.dial(ctx); err != nil {
				c.connectFailures++
				if c.connectSample == "" {
					c.connectSample = err.Error()
				}
				sleepCtx(ctx, 100*time.Millisecond)
				continue
			}
			c.reconnects++
		}
		nc := c.nc
		stop := context.AfterFunc(ctx, func() {
			c.abort.Store(true)
			_ = nc.SetDeadline(past)
		})
		var err error
		if c.cfg.Rate > 0 {
			err = c.openSession()
		} else {
			err = c.closedSession()
		}
		stop()
		_ = nc.Close()
		c.nc = nil
		if err == nil {
			break
		}
		c.failOutstanding(err)
	}
	if c.nc != nil {
		_ = c.nc.Close()
		c.nc = nil
	}
	c.failOutstanding(errAborted)
	if c.cfg.Rate > 0 {
		c.countNotSent()
	}
	c.flushLive()
}

// finished: nothing more to send.
func (c *conn) finished() bool {
	if c.limit > 0 {
		return int64(c.sent) >= c.limit
	}
	if c.cfg.Rate > 0 {
		return c.next >= c.runEnd || nanotime() >= c.runEnd
	}
	return nanotime() >= c.runEnd
}

// failOutstanding resolves every request still in the ring as an error of
// the kind err implies.
func (c *conn) failOutstanding(err error) {
	if c.ring.empty() {
		return
	}
	kind := errConnLost
	sample := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, errTimedOut) || (errors.As(err, &ne) && ne.Timeout() && !c.abort.Load()):
		kind, sample = errNoReply, errTimedOut.Error()
	case errors.Is(err, errAborted) || c.abort.Load():
		kind, sample = errNoReply, "run ended (canceled) with the request outstanding"
	}
	now := nanotime()
	for !c.ring.empty() {
		h := c.ring.head.Load()
		req, _ := c.ring.slot(h)
		c.finish(now, req, kind, []byte(sample), 0, 0)
		c.ring.head.Store(h + 1)
	}
	c.inReply = false
}

// countNotSent counts the open-loop requests that were due before the end of
// the run but never went out.
func (c *conn) countNotSent() {
	if c.limit > 0 || c.next >= c.runEnd {
		return
	}
	n := (c.runEnd - c.next + c.interval - 1) / c.interval
	c.notSent += uint64(n)
	c.next = c.runEnd
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ---- sender ----

// build appends one request to wbuf and pushes it on the ring. start is its
// intended (open loop) or actual (closed loop) send time.
func (c *conn) build(start int64) {
	t := c.ring.tail.Load()
	req, keys := c.ring.slot(t)
	off := len(c.wbuf)
	if c.ratio.nextIsSet() {
		k := c.setKeys.Next()
		keys[0] = k
		c.wbuf = appendSet(c.wbuf, c.prefix, k, c.vals.of(k))
		req.op, req.nkeys = opSet, 1
	} else {
		c.wbuf = append(c.wbuf, "get"...)
		for i := 0; i < c.cfg.MultiKeyGet; i++ {
			k := c.getKeys.Next()
			keys[i] = k
			c.wbuf = append(c.wbuf, ' ')
			c.wbuf = appendKey(c.wbuf, c.prefix, k)
		}
		c.wbuf = append(c.wbuf, "\r\n"...)
		req.op, req.nkeys = opGet, uint16(c.cfg.MultiKeyGet)
	}
	req.out = int32(len(c.wbuf) - off)
	req.start = start
	c.sent++
	c.ring.tail.Store(t + 1)
}

// write sends wbuf and empties it.
func (c *conn) write() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	now := nanotime()
	if rt := int64(c.cfg.ReplyTimeout); c.wdl-now < rt*3/4 {
		c.wdl = now + rt
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.cfg.ReplyTimeout))
		if c.readerFailed.Load() {
			return errPeer
		}
	}
	_, err := c.nc.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	return err
}

func (c *conn) budgetSpent() bool { return c.limit > 0 && int64(c.sent) >= c.limit }

// closedSession keeps Pipeline requests outstanding on one goroutine: write
// what the window allows, read, check, repeat. It returns nil when the
// connection's share of the run is done and every reply is in.
func (c *conn) closedSession() error {
	for {
		if c.abort.Load() {
			return errAborted
		}
		now := nanotime()
		stopping := c.budgetSpent() || (c.limit == 0 && now >= c.runEnd)
		if !stopping {
			for c.ring.len() < c.cfg.Pipeline && !c.budgetSpent() {
				c.build(now)
				if len(c.wbuf) >= flushBytes {
					if err := c.write(); err != nil {
						return err
					}
				}
			}
			if err := c.write(); err != nil {
				return err
			}
		}
		if c.ring.empty() {
			if stopping {
				return nil
			}
			continue
		}
		if err := c.readSome(); err != nil {
			return err
		}
	}
}

// openSession runs a paced writer on this goroutine and a reader beside it.
func (c *conn) openSession() error {
	c.writerDone.Store(false)
	c.writerFailed.Store(false)
	c.readerFailed.Store(false)
	errc := make(chan error, 1)
	go func() { errc <- c.openReader() }()
	werr := c.openWriter()
	if werr != nil {
		c.writerFailed.Store(true)
	}
	c.writerDone.Store(true)
	if werr != nil || c.ring.empty() {
		_ = c.nc.SetReadDeadline(past) // wake the reader
	}
	rerr := <-errc
	if werr != nil && !errors.Is(werr, errPeer) {
		return werr
	}
	return rerr
}

// openWriter sends each request at its intended time: t0 + i*interval, waking
// by the pacer (see pacer for why not a Go timer). When
// it falls behind (a slow write, a full ring) it sends the backlog as soon as
// it can; the latency of each request still counts from its intended time.
func (c *conn) openWriter() error {
	for {
		if c.abort.Load() {
			return errAborted
		}
		if c.readerFailed.Load() {
			return errPeer
		}
		now := nanotime()
		for c.next <= now && !c.budgetSpent() && (c.limit > 0 || c.next < c.runEnd) && c.ring.len() < c.cfg.MaxInflight {
			c.sendLag.Record(now - c.next)
			c.build(c.next)
			c.next += c.interval
			if len(c.wbuf) >= flushBytes {
				if err := c.write(); err != nil {
					return err
				}
			}
		}
		if err := c.write(); err != nil {
			return err
		}
		if c.budgetSpent() {
			return nil
		}
		if c.limit == 0 && (c.next >= c.runEnd || now >= c.runEnd) {
			c.countNotSent()
			return nil
		}
		d := c.next - nanotime()
		if c.next <= now { // due but the ring is full: wait for replies
			d = min(c.interval, int64(100*time.Microsecond))
		}
		c.pacer.sleep(time.Duration(min(d, int64(10*time.Millisecond))))
	}
}

// ---- reader ----

// makeRoom ensures free space at the end of rbuf, moving an unfinished
// element to the front only when space runs short.
func (c *conn) makeRoom() {
	if c.r == c.w {
		c.r, c.w = 0, 0
		return
	}
	if len(c.rbuf)-c.w < 16<<10 || c.w == len(c.rbuf) {
		c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
		c.r = 0
	}
	if c.w == len(c.rbuf) {
		c.grow(2 * len(c.rbuf))
	}
}

func (c *conn) grow(n int) {
	b := make([]byte, n)
	c.w = copy(b, c.rbuf[c.r:c.w])
	c.r = 0
	c.rbuf = b
}

func (c *conn) armRead() {
	now := nanotime()
	if rt := int64(c.cfg.ReplyTimeout); c.rdl-now < rt*3/4 {
		c.rdl = now + rt
		_ = c.nc.SetReadDeadline(time.Now().Add(c.cfg.ReplyTimeout))
	}
}

// readSome reads once and checks whatever replies are complete.
func (c *conn) readSome() error {
	c.makeRoom()
	c.armRead()
	n, err := c.nc.Read(c.rbuf[c.w:])
	if n > 0 {
		c.w += n
		if !c.parse(nanotime()) {
			return errBroken
		}
	}
	return err
}

// openReader reads and checks replies until the writer is done and nothing
// is outstanding. Idle read timeouts (nothing outstanding, or the oldest
// request younger than the reply timeout) are not errors in open loop.
func (c *conn) openReader() error {
	rt := int64(c.cfg.ReplyTimeout)
	fail := func(err error) error {
		c.readerFailed.Store(true)
		_ = c.nc.SetWriteDeadline(past)
		return err
	}
	for {
		if c.writerDone.Load() && c.ring.empty() {
			return nil
		}
		if c.writerFailed.Load() || c.abort.Load() {
			return errAborted
		}
		c.armRead()
		if c.writerDone.Load() && c.ring.empty() {
			return nil
		}
		err := c.readSome()
		if err == nil {
			continue
		}
		if errors.Is(err, errBroken) {
			return fail(err)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && !c.abort.Load() && !c.writerFailed.Load() {
			c.rdl = 0 // the deadline passed (or was set in the past to wake us): re-arm
			if c.ring.empty() {
				continue
			}
			req, _ := c.ring.slot(c.ring.head.Load())
			if nanotime()-req.start < rt {
				continue
			}
			return fail(errTimedOut)
		}
		return fail(err)
	}
}

// parse checks the replies in rbuf[r:w]. It returns false when the stream
// can no longer be trusted and the connection must be dropped.
func (c *conn) parse(now int64) bool {
	defer c.flushLive()
	for c.r < c.w {
		if !c.inReply {
			if c.ring.empty() {
				c.errKinds[errUnsolicited]++
				if c.errSample[errUnsolicited] == "" {
					c.errSample[errUnsolicited] = sample(c.rbuf[c.r:min(c.w, c.r+80)])
				}
				return false
			}
			req, keys := c.ring.slot(c.ring.head.Load())
			c.chk.begin(req.op, keys[:req.nkeys])
			c.inReply, c.replyBytes = true, 0
		}
		n, need, done := c.chk.step(c.rbuf[c.r:c.w])
		c.r += n
		c.replyBytes += n
		if c.chk.fatal {
			c.complete(now)
			return false
		}
		if n == 0 {
			if need > len(c.rbuf) {
				c.grow(need + need/2)
			}
			return true
		}
		if done {
			c.complete(now)
		}
	}
	return true
}

// complete resolves the request at the head of the ring with the checker's
// verdict.
func (c *conn) complete(now int64) {
	h := c.ring.head.Load()
	req, _ := c.ring.slot(h)
	c.finish(now, req, c.chk.kind, c.chk.line, c.chk.hits, c.replyBytes)
	c.ring.head.Store(h + 1)
	c.inReply = false
}

// finish counts one resolved request.
func (c *conn) finish(now int64, req *request, kind errKind, line []byte, hits, in int) {
	st := &c.op[req.op]
	c.checked++
	st.bytesOut += uint64(req.out)
	st.bytesIn += uint64(in)
	if kind != errNone {
		st.errors++
		c.errKinds[kind]++
		if c.errSample[kind] == "" {
			c.errSample[kind] = sample(line)
		}
		c.pend.errors++
		return
	}
	lat := now - req.start
	st.hist.Record(lat)
	st.ops++
	c.pend.ops++
	c.pend.latNs += uint64(max(lat, 0))
	if req.op == opGet {
		st.hits += uint64(hits)
		st.misses += uint64(int(req.nkeys) - hits)
		c.pend.hits += uint64(hits)
		c.pend.misses += uint64(int(req.nkeys) - hits)
	}
}

func (c *conn) flushLive() {
	p := &c.pend
	if p.ops|p.errors != 0 {
		c.live.ops.Add(p.ops)
		c.live.hits.Add(p.hits)
		c.live.misses.Add(p.misses)
		c.live.errors.Add(p.errors)
		c.live.latNs.Add(p.latNs)
		*p = struct{ ops, hits, misses, errors, latNs uint64 }{}
	}
}

// sample turns the line behind an error into a short printable string.
func sample(b []byte) string {
	if len(b) > 80 {
		b = b[:80]
	}
	out := make([]byte, 0, len(b))
	for _, ch := range b {
		if ch < 0x20 || ch > 0x7e {
			out = append(out, '?')
			continue
		}
		out = append(out, ch)
	}
	return string(out)
}
