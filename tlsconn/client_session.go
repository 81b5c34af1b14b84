package tlsconn

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// plainChunk is the free room Open keeps for decrypted bytes: one TLS
// record's worth, so a whole record is opened (or handed over by
// crypto/tls) at once.
const plainChunk = 16<<10 + 512

// maxKeep bounds the buffers a Client keeps between calls: a rare huge
// value must not pin its memory for the connection's lifetime.
const maxKeep = 1 << 20

// What runs a Client's record layer.
const (
	// clientStd: crypto/tls, over the in-memory pipe, for good (TLS 1.2,
	// ChaCha20, no secrets captured, StdRecordLayer, or something the
	// switch does not handle arrived first).
	clientStd = iota
	// clientShadow: after a TLS 1.3 AES-GCM handshake, until the first
	// application data arrives. crypto/tls still seals, and is fed the
	// server's session tickets so that its session cache gets them; the
	// Client frames and opens each record itself (rx) to see what it is.
	clientShadow
	// clientRecord: this package's record layer (record.go) in both
	// directions; crypto/tls is no longer used.
	clientRecord
)

// Client is one TLS client session continued inside an event loop after
// its handshake (see Handshake): the loop offers it the ciphertext it read
// (Open), parses the plaintext it decrypted (Plain, Consume) and writes
// the ciphertext it sealed (Seal, Out, Sent). No goroutine, no extra
// syscall.
//
// A TLS 1.3 AES-GCM session (what servers pick on AES-NI machines) moves
// to this package's record layer when the server's first application
// record arrives: from then on opening and sealing allocate nothing.
// Until then, and for good with TLS 1.2 or ChaCha20, crypto/tls runs over
// an in-memory transport in the loop's goroutine.
//
// The switch: the handshake leaves no server record inside crypto/tls
// (it reads nc record by record), so the first record the loop reads is
// the first one under SERVER_TRAFFIC_SECRET_0, sequence 0. Open frames
// the records itself and opens each with that key. NewSessionTicket
// records go on to crypto/tls as well (its session cache takes them, so
// reconnects resume); they and crypto/tls advance in step. The first
// application record is kept and the Client switches: the receive
// sequence number is the records opened so far, the send one the records
// crypto/tls sealed since the handshake (counted by the pipe). Anything
// else first (a KeyUpdate, an alert, a ticket split across records, a
// record that does not open) goes to crypto/tls, which keeps the session.
//
// All methods must be called from the one goroutine that owns the
// connection (its event loop).
type Client struct {
	tc    *tls.Conn // nil once on the record layer
	state tls.ConnectionState
	p     pipe
	mode  int
	plain []byte // decrypted, not yet consumed

	// Own record layer (shadow: rx only, tx waits for the switch).
	rx, tx *halfConn
	part   []byte // a partial server record; allocated on first use, kept
	err    error  // sticky, record mode: io.EOF after close_notify

	// kTLS (client_ktls.go): the setsockopt to offload with (nil: off),
	// whether the one attempt was made, whether the kernel decrypts, and
	// the ClientConfig's flag that its first refusal was reported.
	ktls       Setsockopt
	ktlsTried  bool
	rxKernel   bool
	ktlsLogged *atomic.Bool
}

// start picks the record layer after a successful handshake.
func (c *Client) start(keys *clientKeys) {
	c.state = c.tc.ConnectionState()
	c.plain = make([]byte, 0, plainChunk)
	if c.state.Version != tls.VersionTLS13 || keys.client == nil || keys.server == nil {
		return
	}
	rx, err1 := newHalfConn(c.state.CipherSuite, keys.server, 0)
	tx, err2 := newHalfConn(c.state.CipherSuite, keys.client, 0)
	if err1 != nil || err2 != nil {
		return // ChaCha20: crypto/tls's
	}
	c.rx, c.tx, c.mode = rx, tx, clientShadow
}

// InLoopRecordLayer reports whether the session runs on this package's
// record layer (false: crypto/tls's, still or for good).
func (c *Client) InLoopRecordLayer() bool { return c.mode == clientRecord }

// Open feeds src, ciphertext read from the socket, to the session and
// decrypts every complete record in it, appending the plaintext to what
// Plain returns. It takes all of src (a partial record is kept), so the
// caller discards len(src) from its input buffer. src is not retained.
//
// The error is io.EOF when the server sent close_notify, another error
// when the session is broken (bad record, alert); the plaintext decrypted
// before it is still in Plain. Open may produce bytes to send (a
// KeyUpdate answer, an alert): the caller writes Out after it.
func (c *Client) Open(src []byte) error {
	if c.rxKernel {
		return errKernelRX
	}
	if c.mode == clientStd {
		return c.openStd(src)
	}
	for c.err == nil {
		var rec []byte
		if len(c.part) > 0 {
			need := recordLen(c.part)
			if need > recordHeader+maxCiphertext {
				c.err = errRecordTooBig
				break
			}
			if len(c.part) < need {
				n := min(need-len(c.part), len(src))
				if n == 0 {
					break
				}
				c.part = append(c.part, src[:n]...)
				src = src[n:]
				continue // the header may just have become whole
			}
			rec = c.part
		} else {
			if len(src) == 0 {
				break
			}
			n := recordLen(src)
			if n > recordHeader+maxCiphertext {
				c.err = errRecordTooBig
				break
			}
			if n > len(src) {
				if c.part == nil {
					c.part = make([]byte, 0, recordHeader+maxCiphertext)
				}
				c.part = append(c.part, src...)
				break
			}
			rec, src = src[:n], src[n:] // opened straight from the caller's buffer
		}
		switch c.mode {
		case clientShadow:
			handled := c.shadow(rec)
			if !handled || c.mode == clientStd {
				// crypto/tls keeps the session: it gets rec (unless it
				// has had it) and the rest.
				c.mode = clientStd
				var err error
				if !handled {
					err = c.openStd(rec)
				}
				c.part = c.part[:0]
				if err == nil {
					err = c.openStd(src)
				}
				return err
			}
		case clientRecord:
			c.record(rec)
		}
		c.part = c.part[:0] // if rec was the held record, done with it
	}
	return c.err
}

// recordLen is the length of the record b starts with, header included;
// recordHeader while b holds less than a header.
func recordLen(b []byte) int {
	if len(b) < recordHeader {
		return recordHeader
	}
	return recordHeader + int(binary.BigEndian.Uint16(b[3:]))
}

// room makes sure that a record's plaintext fits after Plain.
func (c *Client) room() {
	if cap(c.plain)-len(c.plain) < plainChunk {
		b := make([]byte, len(c.plain), 2*cap(c.plain)+plainChunk)
		copy(b, c.plain)
		c.plain = b
	}
}

// shadow handles rec, a whole server record, before the switch. It
// returns false, leaving rec unhandled, when crypto/tls must keep the
// session.
func (c *Client) shadow(rec []byte) bool {
	c.room()
	start := len(c.plain)
	out, typ, err := c.rx.open(c.plain, rec)
	if err != nil {
		return false
	}
	switch typ {
	case typeAppData:
		// The first application data: this and what follows are ours.
		c.plain = out
		c.tx.seq = c.p.sealed
		c.mode, c.tc, c.p.in = clientRecord, nil, nil
		return true
	case typeHandshake:
		if !onlyTickets(out[start:]) {
			return false // a KeyUpdate, a split message: crypto/tls's
		}
		// crypto/tls takes the tickets into its session cache, in step
		// with rx (same record, same sequence number).
		c.p.in = rec
		n, err := c.tc.Read(c.plain[start:cap(c.plain)])
		c.p.in = nil
		if n != 0 || err != errWouldBlock {
			// Not what a ticket record does: crypto/tls has consumed
			// rec and keeps the session (its error, if any, is sticky
			// and Open returns it next).
			c.plain = c.plain[:start+n]
			c.mode = clientStd
		}
		return true
	}
	return false // an alert: crypto/tls reports it
}

// onlyTickets reports whether b is whole handshake messages, all
// NewSessionTicket.
func onlyTickets(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 4 || b[0] != msgNewSessionTicket {
			return false
		}
		n := 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
		if n > len(b) {
			return false
		}
		b = b[n:]
	}
	return true
}

// record opens one whole record on the own record layer and acts on it.
func (c *Client) record(rec []byte) {
	c.room()
	start := len(c.plain)
	out, typ, err := c.rx.open(c.plain, rec)
	if err != nil {
		c.err = err
		return
	}
	switch typ {
	case typeAppData:
		c.plain = out
	case typeHandshake:
		c.postHandshake(out[start:])
	case typeAlert:
		c.alert(out[start:])
	default:
		c.err = errBadRecord
	}
}

// alert acts on an alert record's content, as crypto/tls does in TLS 1.3:
// close_notify ends the input (io.EOF), a user_canceled warning is
// ignored, anything else breaks the session.
func (c *Client) alert(msg []byte) {
	const warning, closeNotify, userCanceled = 1, 0, 90
	switch {
	case len(msg) != 2:
		c.err = errBadRecord
	case msg[1] == closeNotify:
		c.err = io.EOF
	case msg[0] == warning && msg[1] == userCanceled:
	default:
		c.err = &net.OpError{Op: "remote error", Err: tls.AlertError(msg[1])}
	}
}

// postHandshake handles what a server may send after the switch: a
// KeyUpdate (the read key moves on; update_requested is answered with a
// KeyUpdate of ours, appended to Out, and the send key moves on too) and
// session tickets (ignored: the session cache has those sent before the
// first reply). A message split across records is refused, as is a
// message after a KeyUpdate in its record (it would need the new key).
func (c *Client) postHandshake(b []byte) {
	for len(b) > 0 {
		if len(b) < 4 {
			c.err = errUnexpected
			return
		}
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 4+n {
			c.err = errUnexpected
			return
		}
		typ, body := b[0], b[4:4+n]
		b = b[4+n:]
		switch {
		case typ == msgKeyUpdate && n == 1 && body[0] <= 1 && len(b) == 0:
			if body[0] == 1 {
				// Sealed under the old key, then ours moves on too
				// (RFC 8446 §4.6.3).
				c.p.out = c.tx.sealControl(c.p.out, typeHandshake, keyUpdateNotRequested[:])
				if err := c.tx.update(); err != nil {
					c.err = err
					return
				}
			}
			if err := c.rx.update(); err != nil {
				c.err = err
				return
			}
		case typ == msgNewSessionTicket:
		default:
			c.err = errUnexpected
			return
		}
	}
}

// keyUpdateNotRequested is the KeyUpdate message a Client answers with.
var keyUpdateNotRequested = [5]byte{msgKeyUpdate, 0, 0, 1, 0}

// openStd is Open on crypto/tls's record layer.
func (c *Client) openStd(src []byte) error {
	c.p.in = src
	var err error
	for {
		c.room()
		n, rerr := c.tc.Read(c.plain[len(c.plain):cap(c.plain)])
		c.plain = c.plain[:len(c.plain)+n]
		if rerr != nil {
			if rerr != errWouldBlock {
				err = rerr
			}
			break
		}
	}
	c.p.in = nil
	return err
}

// Plain returns the decrypted bytes not yet consumed. The slice is valid
// until the next call of Open or Consume.
func (c *Client) Plain() []byte { return c.plain }

// Consume drops the first n bytes of Plain (the replies parsed from it).
func (c *Client) Consume(n int) {
	rest := copy(c.plain, c.plain[n:])
	c.plain = c.plain[:rest]
	if rest == 0 && cap(c.plain) > maxKeep {
		c.plain = make([]byte, 0, plainChunk)
	}
}

// Seal encrypts p (the requests of one flush) and appends the records to
// Out: one Seal, one record per 16 KiB of p. p is not retained. The error
// says the session is broken (not after a mere close_notify: TLS 1.3
// allows sending after the server stopped).
func (c *Client) Seal(p []byte) error {
	if c.mode != clientRecord {
		_, err := c.tc.Write(p)
		return err
	}
	if c.err != nil && c.err != io.EOF {
		return c.err
	}
	var s sealer
	s.begin(c.tx, c.p.out)
	s.write(p)
	c.p.out = s.end()
	return nil
}

// Out returns the ciphertext waiting to be written to the socket (by
// Seal, or by Open when the session answered something). Valid until the
// next call of Seal, Open or Sent.
func (c *Client) Out() []byte { return c.p.out }

// Sent tells the Client that Out was handed to the socket.
func (c *Client) Sent() {
	if cap(c.p.out) > maxKeep {
		c.p.out = nil
		return
	}
	c.p.out = c.p.out[:0]
}

// ConnectionState returns the session's state as the handshake left it
// (version, cipher suite, peer certificates, whether it resumed).
func (c *Client) ConnectionState() tls.ConnectionState { return c.state }

// The in-memory transport returns errWouldBlock (handshake.go) when the
// loop has offered no more bytes. crypto/tls keeps a partial record and
// returns the error without storing it because it is Temporary (checked by
// TestClientPartialRecords: a Go upgrade that changes this fails there).

// pipe is the net.Conn crypto/tls runs over. During the handshake it
// passes reads and writes to the socket (raw), reading one record at a
// time; afterwards it reads what Open offers (in) and appends what
// crypto/tls writes to out (copying: crypto/tls reuses its record
// buffer), counting the records (sealed).
type pipe struct {
	raw           *recordConn // the socket, during the handshake only
	in            []byte
	out           []byte
	sealed        uint64 // records crypto/tls wrote after the handshake
	local, remote net.Addr
}

func (p *pipe) Read(b []byte) (int, error) {
	if p.raw != nil {
		return p.raw.Read(b)
	}
	if len(p.in) == 0 {
		return 0, errWouldBlock
	}
	n := copy(b, p.in)
	p.in = p.in[n:]
	return n, nil
}

func (p *pipe) Write(b []byte) (int, error) {
	if p.raw != nil {
		return p.raw.Write(b)
	}
	p.out = append(p.out, b...)
	for r := b; len(r) >= recordHeader; r = r[min(len(r), recordLen(r)):] {
		p.sealed++
	}
	return len(b), nil
}

// Close does nothing: the event loop owns the socket.
func (p *pipe) Close() error                     { return nil }
func (p *pipe) LocalAddr() net.Addr              { return p.local }
func (p *pipe) RemoteAddr() net.Addr             { return p.remote }
func (p *pipe) SetDeadline(time.Time) error      { return nil }
func (p *pipe) SetReadDeadline(time.Time) error  { return nil }
func (p *pipe) SetWriteDeadline(time.Time) error { return nil }

var _ io.ReadWriter = (*pipe)(nil)
