// mcroute patch (PATCH.md §8), ours whole: what a connection needs only
// while its loop serves it is lent by the loop instead of kept in every
// conn, so an idle connection is smaller.

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import bsPool "github.com/panjf2000/gnet/v2/pkg/pool/byteslice"

// connProto is conn.proto: upstream's string ("tcp", "udp", "unix") in
// one byte.
type connProto uint8

const (
	protoTCP connProto = iota
	protoUDP
	protoUnix
	protoOther
)

func protoOf(s string) connProto {
	switch s {
	case "tcp":
		return protoTCP
	case "udp":
		return protoUDP
	case "unix":
		return protoUnix
	}
	return protoOther
}

// loopLend is what an eventloop lends to one connection at a time (an
// eventloop field; touched only on the loop's goroutine).
//
// inConn/inBuf are upstream's conn.buffer: the bytes of the latest read,
// not yet consumed, as a slice of eventloop.buffer. Upstream's conn.buffer
// is non-empty only while that connection's OnTraffic runs from a read
// (read and readUDP empty it right after), so the loop keeps one: every
// other connection's buf() is empty, as its conn.buffer was.
//
// peekOwner/peekCache are upstream's conn.cache: the bsPool buffer that
// Peek assembled from the inbound ring and the latest read, put back by
// the owner's next Discard. If another connection's Peek needs one first,
// the previous buffer is left to the garbage collector instead of going
// back to the pool (upstream does the same when one conn Peeks twice);
// the bytes a caller holds stay valid either way.
type loopLend struct {
	inConn    *conn
	inBuf     []byte
	peekOwner *conn
	peekCache []byte
}

// buf is upstream's c.buffer (see loopLend).
func (c *conn) buf() []byte {
	if el := c.loop; el.lend.inConn == c {
		return el.lend.inBuf
	}
	return nil
}

// setBuf is upstream's c.buffer = b, for b a suffix of buf() (or empty).
func (c *conn) setBuf(b []byte) {
	if el := c.loop; el.lend.inConn == c {
		el.lend.inBuf = b
	}
}

// lendBuf makes b (part of el.buffer) c's buffer: upstream's
// c.buffer = el.buffer[:n] before OnTraffic.
func (el *eventloop) lendBuf(c *conn, b []byte) {
	el.lend.inConn, el.lend.inBuf = c, b
}

// takeBuf ends lendBuf and returns what c left unread: upstream's read of
// c.buffer after OnTraffic, then c.buffer = c.buffer[:0].
func (el *eventloop) takeBuf(c *conn) []byte {
	if el.lend.inConn != c {
		return nil
	}
	b := el.lend.inBuf
	el.lend.inConn, el.lend.inBuf = nil, nil
	return b
}

// unlend drops whatever el lends to c: c is being released (upstream's
// c.buffer = nil; its c.cache went with the conn, to the collector).
func (el *eventloop) unlend(c *conn) {
	if el.lend.inConn == c {
		el.lend.inConn, el.lend.inBuf = nil, nil
	}
	if el.lend.peekOwner == c {
		el.lend.peekOwner, el.lend.peekCache = nil, nil
	}
}

// setPeekCache is upstream's c.cache = buf in Peek.
func (el *eventloop) setPeekCache(c *conn, buf []byte) {
	el.lend.peekOwner, el.lend.peekCache = c, buf
}

// putPeekCache is upstream's Discard prologue: c's Peek buffer back to
// bsPool.
func (el *eventloop) putPeekCache(c *conn) {
	if el.lend.peekOwner != c {
		return
	}
	if len(el.lend.peekCache) > 0 {
		bsPool.Put(el.lend.peekCache)
	}
	el.lend.peekOwner, el.lend.peekCache = nil, nil
}

// registerConn is eventloop.register as a plain function: accept0 and
// enroll queue it with Trigger, and a method value (el.register) would be
// allocated per accepted connection. The conn's loop is the loop whose
// queue runs it.
func registerConn(a any) error {
	c, ok := a.(*conn)
	if !ok {
		c = a.(*connWithCallback).c
	}
	return c.loop.register(a)
}
