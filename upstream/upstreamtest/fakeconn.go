// Package upstreamtest has test doubles for the upstream package: a fake
// gnet.Conn that a test feeds with server replies and reads requests from.
// Unit tests only.
package upstreamtest

import (
	"bytes"

	"github.com/panjf2000/gnet/v2"
)

// FakeConn implements the part of gnet.Conn that upstream.Conn uses. In
// holds bytes "from the server" (Peek/Discard), Out collects what was
// written "to the server". Calling any other gnet.Conn method panics.
type FakeConn struct {
	gnet.Conn
	In, Out bytes.Buffer
	Closed  bool
	// Unsent is what OutboundBuffered reports: bytes gnet would still hold.
	Unsent int
	// WriteErr, when set, makes Write fail the way gnet's does when
	// write(2) fails: it closes the connection inside Write, calling
	// OnClose (the engine's OnClose, synchronously), and returns WriteErr.
	WriteErr error
	OnClose  func()
}

// OutboundBuffered reports Unsent.
func (f *FakeConn) OutboundBuffered() int { return f.Unsent }

// Peek returns all buffered input.
func (f *FakeConn) Peek(int) ([]byte, error) { return f.In.Bytes(), nil }

// Discard drops n bytes of input (all of it when n <= 0, like gnet).
func (f *FakeConn) Discard(n int) (int, error) {
	if n <= 0 || n >= f.In.Len() {
		n = f.In.Len()
		f.In.Reset()
		return n, nil
	}
	f.In.Next(n)
	return n, nil
}

// Write appends to Out, or fails as WriteErr says.
func (f *FakeConn) Write(b []byte) (int, error) {
	if f.WriteErr != nil {
		f.Closed = true
		if f.OnClose != nil {
			f.OnClose()
		}
		return 0, f.WriteErr
	}
	return f.Out.Write(b)
}

// Close records the close.
func (f *FakeConn) Close() error { f.Closed = true; return nil }

// SetContext does nothing.
func (f *FakeConn) SetContext(any) {}
