package tlsconn

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
)

const (
	modeHandshake = iota // a worker runs the handshake
	modeRecord           // in-loop TLS 1.3 AES-GCM record layer (ours)
	modeStd              // in-loop crypto/tls over the non-blocking hsConn
	modePlain            // tls_to_plain: no record layer after the handshake
	modeFailed
)

// plainLimit is how much decrypted input a Conn holds before it stops
// taking ciphertext: the rest waits in gnet's buffer (backpressure).
const plainLimit = 64 << 10

// Conn is one TLS connection driven by an event loop. After the handshake
// it has no goroutine: the loop feeds it ciphertext (Input), reads the
// plaintext (Plaintext, Consume), seals replies (Seal, SealV) and sends
// what it produced (TakeOutput). Every method except those of Server runs
// on the connection's loop.
type Conn struct {
	srv  *Server
	hs   *hsConn
	tc   *tls.Conn // std mode
	bufs *Buffers
	mode int

	state      tls.ConnectionState // after the handshake
	reason     Reason
	err        error
	eof        bool // close_notify received
	counted    bool // in Stats.Open
	client     bool
	rx, tx     *halfConn
	sealKeyUpd bool // a KeyUpdate answer is due before the next record

	// Passthrough directions: the socket carries plaintext, because the
	// kernel does the record layer (kTLS) or there is none (tls_to_plain).
	rxPlain, txPlain bool
	toPlain          bool // ALPN mc_tls_to_pt was negotiated
	ktlsTried        bool // OffloadKTLS made its one attempt

	ct   []byte // records not yet opened, from co: a partial one, or what the handshake left
	co   int
	pt   []byte // plaintext not yet consumed, from po
	po   int
	ctrl []byte // records to send that the loop has not taken (alerts, KeyUpdate)
}

// Buffers is a per-loop free list of plaintext and record buffers, so that
// an idle connection holds none. Not safe for concurrent use.
type Buffers struct{ free [][]byte }

func (b *Buffers) get() []byte {
	if b == nil || len(b.free) == 0 {
		return make([]byte, 0, plainLimit+maxCiphertext)
	}
	x := b.free[len(b.free)-1]
	b.free = b.free[:len(b.free)-1]
	return x
}

func (b *Buffers) put(x []byte) {
	if b == nil || cap(x) < plainLimit || cap(x) > 4*plainLimit || len(b.free) >= 64 {
		return
	}
	b.free = append(b.free, x[:0])
}

// setup runs on the worker after a successful handshake: it picks the
// record layer and derives its keys. The loop reads the result after Poll
// sees done.
func (c *Conn) setup(tc *tls.Conn) {
	c.tc = tc
	c.state = tc.ConnectionState()
	h := c.hs
	if c.state.NegotiatedProtocol == ALPNToPlain {
		c.toPlain = true
		h.sent = nil
		return
	}
	if !c.srv.opts.StdRecordLayer && c.state.Version == tls.VersionTLS13 && h.clientApp != nil && h.serverApp != nil {
		rxSecret, txSecret := h.clientApp, h.serverApp
		if c.client {
			rxSecret, txSecret = txSecret, rxSecret
		}
		txSeq := countAppRecords(c.state.CipherSuite, txSecret, h.sent)
		rx, err1 := newHalfConn(c.state.CipherSuite, rxSecret, 0)
		tx, err2 := newHalfConn(c.state.CipherSuite, txSecret, txSeq)
		if err1 == nil && err2 == nil {
			c.rx, c.tx = rx, tx
		}
	}
	h.sent = nil
}

// Poll reports the handshake's progress: done is false while it runs;
// then err is nil once established, or the refusal (Reason says why).
// It is cheap after the handshake.
func (c *Conn) Poll() (done bool, err error) {
	if c.mode != modeHandshake {
		return true, c.err
	}
	h := c.hs
	h.mu.Lock()
	if !h.done {
		h.mu.Unlock()
		return false, nil
	}
	// What crypto/tls wrote last (an alert, the last flight, tickets)
	// goes out with the loop's next output.
	c.ctrl = append(c.ctrl, h.out...)
	h.out = nil
	h.mu.Unlock()
	st := &c.srv.stats
	if h.err != nil {
		// Counted where the handshake ended (Server.countFailure).
		c.mode, c.err, c.reason = modeFailed, h.err, h.reason
		return true, c.err
	}
	st.Handshakes.Add(1)
	st.Open.Add(1)
	c.counted = true
	if c.state.DidResume {
		st.Resumed.Add(1)
	}
	if c.toPlain {
		// tls_to_plain: what follows the handshake is plaintext, both ways,
		// starting with what crypto/tls did not read.
		st.ToPlainOpened.Add(1)
		c.mode, c.rxPlain, c.txPlain, c.tc = modePlain, true, true, nil
		h.mu.Lock()
		left := h.in
		h.in = nil
		h.mu.Unlock()
		if len(left) > 0 {
			c.pt = append(c.bufs.get(), left...)
		}
		return true, nil
	}
	if c.rx != nil {
		// The record layer is ours: the bytes crypto/tls did not read are
		// the first application records.
		c.mode = modeRecord
		h.mu.Lock()
		left := h.in
		h.in = nil
		h.mu.Unlock()
		if len(left) > 0 {
			c.ct = append(c.bufs.get(), left...)
		}
		c.tc = nil
	} else {
		st.StdMode.Add(1)
		c.mode = modeStd
		h.mu.Lock()
		h.loop = true
		h.mu.Unlock()
	}
	c.drain(nil)
	return true, nil
}

// Reason is why the handshake failed (ReasonNone if it did not).
func (c *Conn) Reason() Reason { return c.reason }

// State is crypto/tls's view of the established connection.
func (c *Conn) State() *tls.ConnectionState { return &c.state }

// Err is the error that ended the connection, io.EOF after close_notify.
func (c *Conn) Err() error { return c.err }

// Input takes ciphertext from the loop and returns how much it consumed;
// it takes nothing while Plaintext holds plainLimit bytes or more.
func (c *Conn) Input(p []byte) int {
	switch c.mode {
	case modeHandshake:
		c.hs.feed(p)
		return len(p)
	case modeFailed:
		return len(p)
	}
	if c.err != nil {
		return len(p) // after close_notify or an error nothing more is read
	}
	if c.rxPlain {
		return c.passIn(p)
	}
	return c.drain(p)
}

// passIn takes plaintext straight from the socket (kTLS RX, tls_to_plain),
// up to plainLimit held.
func (c *Conn) passIn(p []byte) int {
	n := min(len(p), plainLimit-len(c.pt))
	if n <= 0 {
		return 0
	}
	if c.pt == nil {
		c.pt = c.bufs.get()
	}
	c.pt = append(c.pt, p[:n]...)
	return n
}

// drain decrypts what it can of the ciphertext held and of p, and returns
// how much of p it consumed.
func (c *Conn) drain(p []byte) int {
	if c.mode == modeStd {
		return c.drainStd(p)
	}
	used := 0
	for c.err == nil && len(c.pt) < plainLimit {
		if held := c.ct[c.co:]; len(held) > 0 {
			// Records held back (a partial one, or several handed over
			// after the handshake) come first.
			need := recordHeader
			if len(held) >= recordHeader {
				need = recordHeader + int(binary.BigEndian.Uint16(held[3:]))
			}
			if need > recordHeader+maxCiphertext {
				c.fail(errRecordTooBig)
				break
			}
			if len(held) < need {
				n := min(need-len(held), len(p)-used)
				if n == 0 {
					break
				}
				c.ct = append(c.ct, p[used:used+n]...)
				used += n
				continue
			}
			c.record(held[:need])
			c.co += need
			if c.co == len(c.ct) {
				c.bufs.put(c.ct)
				c.ct, c.co = nil, 0
			}
			continue
		}
		rest := p[used:]
		if len(rest) == 0 {
			break
		}
		if len(rest) >= recordHeader {
			n := recordHeader + int(binary.BigEndian.Uint16(rest[3:]))
			if n > recordHeader+maxCiphertext {
				c.fail(errRecordTooBig)
				break
			}
			if n <= len(rest) {
				c.record(rest[:n]) // opened straight from the caller's buffer
				used += n
				continue
			}
		}
		if c.ct == nil {
			c.ct = c.bufs.get()
		}
		c.ct = append(c.ct[:0], rest...)
		c.co = 0
		used = len(p)
	}
	if c.err != nil {
		return len(p)
	}
	return used
}

// record opens one whole record and acts on its content.
func (c *Conn) record(rec []byte) {
	if c.pt == nil {
		c.pt = c.bufs.get()
	}
	start := len(c.pt)
	out, typ, err := c.rx.open(c.pt, rec)
	if err != nil {
		c.pt = c.pt[:start]
		c.fail(err)
		return
	}
	switch typ {
	case typeAppData:
		c.pt = out
	case typeAlert:
		c.pt = out[:start]
		msg := out[start:]
		if len(msg) == 2 && msg[1] == 0 {
			c.err, c.eof = io.EOF, true // close_notify
			return
		}
		c.fail(errAlert)
	case typeHandshake:
		msgs := out[start:]
		c.pt = out[:start]
		c.postHandshake(msgs)
	default:
		c.pt = out[:start]
		c.fail(errBadRecord)
	}
}

// postHandshake handles KeyUpdate (and ignores a client's tickets). A
// message split across records is not supported (no peer does that with
// these small messages).
func (c *Conn) postHandshake(b []byte) {
	for len(b) > 0 {
		if len(b) < 4 {
			c.fail(errUnexpected)
			return
		}
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 4+n {
			c.fail(errUnexpected)
			return
		}
		typ, body := b[0], b[4:4+n]
		b = b[4+n:]
		switch {
		case typ == msgKeyUpdate && n == 1 && body[0] <= 1:
			if err := c.rx.update(); err != nil {
				c.fail(err)
				return
			}
			if body[0] == 1 && !c.sealKeyUpd {
				// update_requested: answer with our own KeyUpdate, sealed
				// under the old key, then switch (RFC 8446 §4.6.3).
				c.ctrl = c.tx.sealControl(c.ctrl, typeHandshake, []byte{msgKeyUpdate, 0, 0, 1, 0})
				if err := c.tx.update(); err != nil {
					c.fail(err)
					return
				}
			}
		case typ == msgNewSessionTicket && c.client:
		default:
			c.fail(errUnexpected)
			return
		}
	}
}

func (c *Conn) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// drainStd feeds p to crypto/tls and reads plaintext until it would block.
func (c *Conn) drainStd(p []byte) int {
	used := 0
	if len(p) > 0 {
		c.hs.mu.Lock()
		if len(c.hs.in) < plainLimit {
			c.hs.in = append(c.hs.in, p...)
			used = len(p)
		}
		c.hs.mu.Unlock()
	}
	for c.err == nil && len(c.pt) < plainLimit {
		if c.pt == nil {
			c.pt = c.bufs.get()
		}
		if cap(c.pt)-len(c.pt) < maxPlaintext {
			break
		}
		n, err := c.tc.Read(c.pt[len(c.pt):cap(c.pt)])
		c.pt = c.pt[:len(c.pt)+n]
		if err != nil {
			if errors.Is(err, errWouldBlock) {
				break
			}
			c.fail(err)
			if err == io.EOF {
				c.eof = true
			}
		} else if n == 0 {
			break
		}
	}
	// Reading may have produced output (a KeyUpdate answer, an alert).
	c.ctrl = c.hs.takeOutput(c.ctrl)
	return used
}

// Buffered is the decrypted input not yet consumed.
func (c *Conn) Buffered() int { return len(c.pt) - c.po }

// Plaintext returns the decrypted input not yet consumed. It stays valid
// until Consume or Input.
func (c *Conn) Plaintext() []byte { return c.pt[c.po:] }

// Consume drops the first n bytes of Plaintext (n < 0: all of it). When
// nothing is left, the buffer goes back to the loop's free list.
func (c *Conn) Consume(n int) int {
	if n < 0 || n > len(c.pt)-c.po {
		n = len(c.pt) - c.po
	}
	c.po += n
	if c.po == len(c.pt) && c.pt != nil {
		c.bufs.put(c.pt)
		c.pt, c.po = nil, 0
	}
	return n
}

// TakeOutput appends the bytes to send (handshake messages, alerts, a
// KeyUpdate answer) to dst.
func (c *Conn) TakeOutput(dst []byte) []byte {
	if c.mode == modeHandshake {
		return c.hs.takeOutput(dst)
	}
	dst = append(dst, c.ctrl...)
	c.ctrl = c.ctrl[:0]
	return dst
}

// HasOutput reports whether TakeOutput has something.
func (c *Conn) HasOutput() bool { return len(c.ctrl) > 0 }

// Seal appends p, sealed as application data, to dst. p becomes as few
// records as its size allows.
func (c *Conn) Seal(dst, p []byte) []byte {
	dst = append(dst, c.ctrl...)
	c.ctrl = c.ctrl[:0]
	if c.txPlain {
		return append(dst, p...)
	}
	if c.mode == modeStd {
		_, _ = c.tc.Write(p)
		return c.hs.takeOutput(dst)
	}
	var s sealer
	s.begin(c.tx, dst)
	s.write(p)
	return s.end()
}

// SealV is Seal of the concatenation of iov.
func (c *Conn) SealV(dst []byte, iov [][]byte) []byte {
	dst = append(dst, c.ctrl...)
	c.ctrl = c.ctrl[:0]
	if c.txPlain {
		for _, p := range iov {
			dst = append(dst, p...)
		}
		return dst
	}
	if c.mode == modeStd {
		for _, p := range iov {
			_, _ = c.tc.Write(p)
		}
		return c.hs.takeOutput(dst)
	}
	var s sealer
	s.begin(c.tx, dst)
	for _, p := range iov {
		s.write(p)
	}
	return s.end()
}

// CloseNotify appends a close_notify alert to dst; nothing when the
// socket carries plaintext (tls_to_plain, or kTLS TX, which would need a
// cmsg: the connection just closes).
func (c *Conn) CloseNotify(dst []byte) []byte {
	if c.txPlain {
		return dst
	}
	switch c.mode {
	case modeRecord:
		return c.tx.sealControl(dst, typeAlert, []byte{1, 0})
	case modeStd:
		_ = c.tc.CloseWrite()
		return c.hs.takeOutput(dst)
	}
	return dst
}

// Established reports whether the handshake succeeded and the connection
// has not failed.
func (c *Conn) Established() bool {
	return (c.mode == modeRecord || c.mode == modeStd || c.mode == modePlain) && c.err == nil
}

// Passthrough reports whether the socket carries plaintext both ways: the
// kernel does the record layer (OffloadKTLS returned OffloadDone) or the
// client negotiated tls_to_plain. Once the Conn holds no plaintext
// (Buffered is 0) and has no output, the loop may read and write the
// socket directly and stop calling the Conn until it closes.
func (c *Conn) Passthrough() bool { return c.rxPlain && c.txPlain && c.err == nil }

// ToPlain reports whether the client negotiated ALPN mc_tls_to_pt: after
// the handshake the connection is plaintext (identity only).
func (c *Conn) ToPlain() bool { return c.toPlain }

// InLoopRecordLayer reports whether the connection runs on mcroute's own
// TLS 1.3 record layer (false: crypto/tls's, std mode).
func (c *Conn) InLoopRecordLayer() bool { return c.mode == modeRecord }

// Close releases the connection: a handshake under way fails, buffers go
// back to the loop, the open count drops. Call it once, on the loop, when
// the socket has closed.
func (c *Conn) Close() {
	if c.mode == modeHandshake {
		c.hs.abort()
	}
	if c.counted {
		c.srv.stats.Open.Add(-1)
		if c.toPlain {
			c.srv.stats.ToPlainClosed.Add(1)
		}
		c.counted = false
	}
	c.bufs.put(c.pt)
	c.bufs.put(c.ct)
	c.pt, c.ct, c.po, c.co = nil, nil, 0, 0
	if c.mode != modeHandshake {
		c.mode = modeFailed
	}
}

// NewRecordConn returns a Conn already established on the in-loop record
// layer, from traffic secrets obtained elsewhere (a handshake whose key log
// was captured): rx decrypts what the peer sends, tx seals what we send,
// each with the sequence number of its next record. client says which side
// we are (a client ignores the server's session tickets). It serves the
// outbound direction and load generators; suite must be TLS 1.3 AES-GCM.
func NewRecordConn(client bool, suite uint16, rxSecret []byte, rxSeq uint64, txSecret []byte, txSeq uint64, bufs *Buffers) (*Conn, error) {
	rx, err := newHalfConn(suite, rxSecret, rxSeq)
	if err != nil {
		return nil, err
	}
	tx, err := newHalfConn(suite, txSecret, txSeq)
	if err != nil {
		return nil, err
	}
	return &Conn{mode: modeRecord, client: client, rx: rx, tx: tx, bufs: bufs}, nil
}
