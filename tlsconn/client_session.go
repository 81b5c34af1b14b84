package tlsconn

import (
	"crypto/tls"
	"io"
	"net"
	"time"
)

// plainChunk is the free room Open keeps for decrypted bytes: one TLS
// record's worth, so crypto/tls hands over a whole record per Read.
const plainChunk = 16<<10 + 512

// maxKeep bounds the buffers a Client keeps between calls: a rare huge
// value must not pin its memory for the connection's lifetime.
const maxKeep = 1 << 20

// Client is one TLS client session continued inside an event loop after
// its handshake (see Handshake): the loop offers it the ciphertext it read
// (Open), parses the plaintext it decrypted (Plain, Consume) and writes
// the ciphertext it sealed (Seal, Out, Sent). No goroutine, no extra
// syscall: crypto/tls runs over an in-memory transport in the loop's own
// goroutine.
//
// All methods must be called from the one goroutine that owns the
// connection (its event loop).
type Client struct {
	tc    *tls.Conn
	p     pipe
	plain []byte // decrypted, not yet consumed
}

// Open feeds src, ciphertext read from the socket, to the session and
// decrypts every complete record in it, appending the plaintext to what
// Plain returns. It takes all of src (partial records wait inside
// crypto/tls), so the caller discards len(src) from its input buffer.
//
// The error is io.EOF when the server sent close_notify, another error
// when the session is broken (bad record, alert); the plaintext decrypted
// before it is still in Plain. Open may produce bytes to send (a
// KeyUpdate answer, an alert): the caller writes Out after it.
func (c *Client) Open(src []byte) error {
	c.p.in = src
	var err error
	for {
		if cap(c.plain)-len(c.plain) < plainChunk {
			c.grow()
		}
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

func (c *Client) grow() {
	b := make([]byte, len(c.plain), 2*cap(c.plain)+plainChunk)
	copy(b, c.plain)
	c.plain = b
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
// Out: one Seal, one record per 16 KiB of p. p is not retained.
func (c *Client) Seal(p []byte) error {
	_, err := c.tc.Write(p)
	return err
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

// ConnectionState returns the session's state (version, cipher suite,
// peer certificates, whether it resumed). It allocates: not for the
// request path.
func (c *Client) ConnectionState() tls.ConnectionState { return c.tc.ConnectionState() }

// The in-memory transport returns errWouldBlock (handshake.go) when the
// loop has offered no more bytes. crypto/tls keeps a partial record and
// returns the error without storing it because it is Temporary (checked by
// TestClientPartialRecords: a Go upgrade that changes this fails there).

// pipe is the net.Conn crypto/tls runs over. During the handshake it
// passes reads and writes to the socket (raw); afterwards it reads what
// Open offers (in) and appends what crypto/tls writes to out (copying:
// crypto/tls reuses its record buffer).
type pipe struct {
	raw           net.Conn
	in            []byte
	out           []byte
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
