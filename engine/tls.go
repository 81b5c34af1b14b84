package engine

import (
	"io"
	"net"
	"net/netip"
	"strconv"

	"github.com/panjf2000/gnet/v2"

	"mcroute/tlsconn"
)

// TLS client connections (--ssl-port). A connection accepted on a TLS
// port gets a tlsSession as its gnet context instead of a session: while a
// pool worker runs the handshake the loop only shuttles bytes (tlsconn's
// Input and TakeOutput); once it is established an ordinary session is
// created whose gnet.Conn is a tlsWire, which decrypts on Peek and seals on
// Write. Plain sessions are untouched: their gnet.Conn is the socket.
//
// A TLS connection whose socket comes to carry plaintext — the kernel took
// the record layer (kTLS, tried after each pass until it is decided) or the
// client negotiated tls_to_plain — goes direct once tlsconn holds no
// plaintext for it: the session's gnet.Conn becomes the socket itself and
// the tlsSession only forwards events (and releases the tlsconn.Conn on
// close).

// loopTLS is a loop's scratch for TLS connections.
type loopTLS struct {
	bufs tlsconn.Buffers // plaintext and record buffers of busy connections
	out  []byte          // records sealed by one Write, handed to gnet at once
}

// tlsSession is a client connection on a TLS port.
type tlsSession struct {
	ls *loopState
	t  *tlsconn.Conn
	w  tlsWire
	s  *session // nil until the handshake is done
	// direct: the socket carries plaintext and s reads and writes it as
	// is (s.c is the socket).
	direct bool
	// ktlsDone: the kTLS offload was decided (done, refused or not for
	// this connection); until then it is tried after every pass.
	ktlsDone bool
}

// tlsWire is the gnet.Conn a TLS session reads and writes through. The
// methods it does not override reach the socket.
type tlsWire struct {
	gnet.Conn
	x *tlsSession
}

func (ls *loopState) tlsState() *loopTLS {
	if ls.tls == nil {
		ls.tls = &loopTLS{}
	}
	return ls.tls
}

// isTLS reports whether a connection accepted at local came in on a TLS
// port.
func (e *Engine) isTLS(local net.Addr) bool {
	if len(e.tlsPorts) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return false
	}
	for _, l := range e.tlsPorts {
		if l.Port() == ap.Port() && (!l.Addr().IsValid() || l.Addr().IsUnspecified() || l.Addr().Unmap() == ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// parseListenAddrs returns the TLS listen addresses as AddrPorts (an
// invalid Addr for ":port").
func parseListenAddrs(addrs []string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			continue
		}
		ip, _ := netip.ParseAddr(host)
		out = append(out, netip.AddrPortFrom(ip, uint16(p)))
	}
	return out
}

func (ls *loopState) newTLSSession(c gnet.Conn) *tlsSession {
	x := &tlsSession{ls: ls}
	x.w = tlsWire{Conn: c, x: x}
	x.t = ls.e.opts.TLS.Accept(c.LocalAddr(), c.RemoteAddr(), func() { _ = c.Wake(nil) }, &ls.tlsState().bufs)
	return x
}

// send hands whatever tlsconn has to send (handshake flights, alerts, a
// KeyUpdate answer) to the socket.
func (x *tlsSession) send() {
	lt := x.ls.tls
	out := x.t.TakeOutput(lt.out[:0])
	if len(out) > 0 {
		_, _ = x.w.Conn.Write(out)
	}
	lt.out = out[:0]
}

func (x *tlsSession) onTraffic() gnet.Action {
	if x.direct {
		return x.s.onTraffic()
	}
	c := x.w.Conn
	if x.s == nil {
		if n := c.InboundBuffered(); n > 0 {
			buf, _ := c.Peek(n)
			_, _ = c.Discard(x.t.Input(buf))
		}
		x.send()
		done, err := x.t.Poll()
		if !done {
			return gnet.None
		}
		x.send()
		if err != nil {
			x.ls.e.opts.Logf("tls: refused %s: %s: %v", c.RemoteAddr(), x.t.Reason(), err)
			return gnet.Close
		}
		x.s = x.ls.newSession(&x.w)
	}
	x.w.pump()
	act := x.s.onTraffic()
	x.send()
	if err := x.t.Err(); err != nil && x.t.Buffered() == 0 && act == gnet.None && !x.s.closed {
		if err != io.EOF {
			x.ls.e.opts.Logf("tls: %s: %v", c.RemoteAddr(), err)
		}
		x.s.closing = true
		return gnet.Close
	}
	if act == gnet.None && !x.s.closed {
		x.settle()
	}
	return act
}

// settle runs after a pass: it tries the kTLS offload (which needs every
// record read so far opened and everything sealed written, tlsconn says
// OffloadLater otherwise), then goes direct when the socket carries
// plaintext and tlsconn holds none.
func (x *tlsSession) settle() {
	c := x.w.Conn
	if !x.ktlsDone {
		x.ktlsDone = x.t.OffloadKTLS(c.Fd(), c.InboundBuffered(), c.OutboundBuffered()) != tlsconn.OffloadLater
	}
	if x.t.Passthrough() && x.t.Buffered() == 0 && !x.t.HasOutput() && c.InboundBuffered() == 0 {
		x.direct = true
		x.s.c = c
		x.ls.stats.tlsDirect.Add(1)
	}
}

func (x *tlsSession) onClose() {
	if x.s != nil {
		x.s.onClose()
	}
	x.t.Close()
}

// pump decrypts what the socket holds, up to tlsconn's plaintext limit;
// the rest stays in gnet's buffer until the parser has room.
func (w *tlsWire) pump() {
	c := w.Conn
	n := c.InboundBuffered()
	if n == 0 {
		return
	}
	buf, _ := c.Peek(n)
	_, _ = c.Discard(w.x.t.Input(buf))
}

// InboundBuffered is the plaintext ready for the parser. When none is
// left it decrypts more first; it never moves plaintext a Peek returned.
func (w *tlsWire) InboundBuffered() int {
	if w.x.t.Buffered() == 0 && w.x.t.Established() {
		w.pump()
	}
	return w.x.t.Buffered()
}

// Peek returns up to n bytes of plaintext (all of it for n < 0), valid
// until Discard.
func (w *tlsWire) Peek(n int) ([]byte, error) {
	b := w.x.t.Plaintext()
	if n >= 0 && n < len(b) {
		b = b[:n]
	}
	return b, nil
}

// Discard drops n bytes of plaintext (all for n < 0).
func (w *tlsWire) Discard(n int) (int, error) { return w.x.t.Consume(n), nil }

// Next returns a copy of up to n bytes of plaintext and consumes them.
func (w *tlsWire) Next(n int) ([]byte, error) {
	b, _ := w.Peek(n)
	b = append([]byte(nil), b...)
	w.x.t.Consume(len(b))
	return b, nil
}

// Read copies plaintext into p.
func (w *tlsWire) Read(p []byte) (int, error) {
	n := copy(p, w.x.t.Plaintext())
	w.x.t.Consume(n)
	return n, nil
}

// Write seals b (as few records as its size allows) and writes the
// records with one call.
func (w *tlsWire) Write(b []byte) (int, error) {
	lt := w.x.ls.tls
	out := w.x.t.Seal(lt.out[:0], b)
	_, err := w.Conn.Write(out)
	lt.out = trimScratch(out)
	return len(b), err
}

// Writev seals the concatenation of bs: one batch of replies, one write.
func (w *tlsWire) Writev(bs [][]byte) (int, error) {
	lt := w.x.ls.tls
	out := w.x.t.SealV(lt.out[:0], bs)
	_, err := w.Conn.Write(out)
	lt.out = trimScratch(out)
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	return n, err
}

// Close sends close_notify, then closes the socket after what is queued.
func (w *tlsWire) Close() error {
	if w.x.t.Established() {
		lt := w.x.ls.tls
		out := w.x.t.CloseNotify(lt.out[:0])
		_, _ = w.Conn.Write(out)
		lt.out = out[:0]
	}
	return w.Conn.Close()
}

func trimScratch(b []byte) []byte {
	if cap(b) > 1<<20 {
		return nil
	}
	return b[:0]
}
