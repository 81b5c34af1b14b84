package upstream

import (
	"github.com/panjf2000/gnet/v2"

	"mcroute/tlsconn"
)

// transport is how a Conn's bytes reach the server: a plain gnet socket,
// or a TLS session run in the loop over it (sec, transport_tls.go).
// It is a small concrete type so the request path has no interface call
// beyond gnet's own.
//
// A transport is either attached (gc set) or not. detach forgets the
// socket at once, so nothing is written to a connection that is being
// closed; gnet's later OnClose for it is recognised as stale by is.
type transport struct {
	gc  gnet.Conn
	sec *tlsconn.Client // nil: plaintext (or handed to kernel TLS)
	// rxPlain: the kernel decrypts (kTLS took RX, refused TX), so replies
	// are read as plaintext while sec still seals what is sent.
	rxPlain bool
	// ktlsDone: the kTLS offload of sec is decided (made, refused, or
	// not for this session); no more attempts (transport_tls.go).
	ktlsDone bool
}

// is reports whether gc is the attached socket.
func (t *transport) is(gc gnet.Conn) bool { return t.gc != nil && t.gc == gc }

// write hands b to the socket. gnet copies what write(2) does not take;
// a failed write makes gnet close the connection inside this call.
func (t *transport) write(b []byte) {
	if t.sec != nil {
		t.writeTLS(b)
		return
	}
	_, _ = t.gc.Write(b)
}

// buffered returns the bytes gnet holds that the socket has not taken.
func (t *transport) buffered() int {
	if t.gc == nil {
		return 0
	}
	return t.gc.OutboundBuffered()
}

// detach forgets the socket and, if closeIt, asks gnet to close it (gnet
// calls OnClose later, which the Conn ignores as stale).
func (t *transport) detach(closeIt bool) {
	gc := t.gc
	t.gc, t.sec, t.rxPlain, t.ktlsDone = nil, nil, false, false
	if closeIt && gc != nil {
		_ = gc.Close()
	}
}
