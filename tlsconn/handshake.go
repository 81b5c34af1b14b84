package tlsconn

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// errWouldBlock is what the in-memory transport returns when the loop has
// fed it nothing more. Outside the handshake crypto/tls keeps such an error
// out of its sticky state because it is Temporary (gnet-and-tls.md §3); the
// std-mode tests check that this still holds.
var errWouldBlock = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tlsconn: would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

var errHandshakeTimeout = errors.New("tlsconn: handshake timed out")

// hsConn is the net.Conn crypto/tls runs on. During the handshake a pool
// worker reads from it and blocks until the loop feeds bytes (Read stops at
// record boundaries, so that no application record is swallowed into
// crypto/tls's buffer); what crypto/tls writes is collected for the loop
// to send. After the handshake it is either dropped (in-loop record layer)
// or switched to non-blocking and used by the loop alone (std mode).
type hsConn struct {
	mu       sync.Mutex
	in       []byte // ciphertext fed by the loop, not yet read
	out      []byte // written by crypto/tls, not yet taken by the loop
	sent     []byte // everything written during the handshake (ticket count)
	closed   bool   // the loop gave up on the connection
	loop     bool   // switched: non-blocking, loop-only
	done     bool   // the worker finished
	signal   chan struct{}
	deadline <-chan time.Time
	wake     func() // tells the loop there is output or a result

	// record-boundary reads during the handshake
	hdr  [recordHeader]byte
	hdrN int
	left int

	local, remote net.Addr

	// Written by the worker; read by the loop after done.
	err         error
	reason      Reason
	clientApp   []byte // CLIENT_TRAFFIC_SECRET_0
	serverApp   []byte // SERVER_TRAFFIC_SECRET_0
	queuedUntil time.Time
}

func newHSConn(local, remote net.Addr, wake func()) *hsConn {
	return &hsConn{signal: make(chan struct{}, 1), wake: wake, local: local, remote: remote}
}

func (h *hsConn) poke() {
	select {
	case h.signal <- struct{}{}:
	default:
	}
}

// feed appends ciphertext from the loop.
func (h *hsConn) feed(p []byte) {
	h.mu.Lock()
	h.in = append(h.in, p...)
	h.mu.Unlock()
	h.poke()
}

// abort makes a blocked handshake fail (the connection closed).
func (h *hsConn) abort() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.poke()
}

// takeOutput appends what crypto/tls wrote to dst.
func (h *hsConn) takeOutput(dst []byte) []byte {
	h.mu.Lock()
	dst = append(dst, h.out...)
	h.out = h.out[:0]
	h.mu.Unlock()
	return dst
}

func (h *hsConn) Read(p []byte) (int, error) {
	for {
		h.mu.Lock()
		if h.loop {
			n := copy(p, h.in)
			h.in = h.in[n:]
			if len(h.in) == 0 {
				h.in = h.in[:0:0]
			}
			h.mu.Unlock()
			if n == 0 {
				return 0, errWouldBlock
			}
			return n, nil
		}
		if len(h.in) > 0 {
			n := h.take(p)
			h.mu.Unlock()
			return n, nil
		}
		closed := h.closed
		h.mu.Unlock()
		if closed {
			return 0, io.EOF
		}
		select {
		case <-h.signal:
		case <-h.deadline:
			return 0, errHandshakeTimeout
		}
	}
}

// take copies into p at most up to the end of the current record header
// or body.
func (h *hsConn) take(p []byte) int {
	var n int
	if h.left == 0 {
		n = copy(p[:min(len(p), recordHeader-h.hdrN)], h.in)
		copy(h.hdr[h.hdrN:], p[:n])
		h.hdrN += n
		if h.hdrN == recordHeader {
			h.hdrN = 0
			h.left = int(binary.BigEndian.Uint16(h.hdr[3:]))
		}
	} else {
		n = copy(p[:min(len(p), h.left)], h.in)
		h.left -= n
	}
	h.in = h.in[n:]
	return n
}

func (h *hsConn) Write(p []byte) (int, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return 0, net.ErrClosed
	}
	h.out = append(h.out, p...)
	loop := h.loop
	if !loop {
		h.sent = append(h.sent, p...)
	}
	h.mu.Unlock()
	if !loop && h.wake != nil {
		h.wake()
	}
	return len(p), nil
}

func (h *hsConn) Close() error                     { h.abort(); return nil }
func (h *hsConn) LocalAddr() net.Addr              { return h.local }
func (h *hsConn) RemoteAddr() net.Addr             { return h.remote }
func (h *hsConn) SetDeadline(time.Time) error      { return nil }
func (h *hsConn) SetReadDeadline(time.Time) error  { return nil }
func (h *hsConn) SetWriteDeadline(time.Time) error { return nil }

// keyLog captures the application traffic secrets of one handshake from
// crypto/tls's key log (the only way it exposes them).
type keyLog struct{ h *hsConn }

func (k keyLog) Write(line []byte) (int, error) {
	if label, secret := keyLogSecret(line); secret != nil {
		switch label {
		case "CLIENT_TRAFFIC_SECRET_0":
			k.h.clientApp = secret
		case "SERVER_TRAFFIC_SECRET_0":
			k.h.serverApp = secret
		}
	}
	return len(line), nil
}

// keyLogSecret splits one line of crypto/tls's key log (NSS format:
// label, client random, secret in hex) into its label and secret; secret
// is nil for a line it cannot read.
func keyLogSecret(line []byte) (label string, secret []byte) {
	f := strings.Fields(string(line))
	if len(f) != 3 {
		return "", nil
	}
	secret, err := hex.DecodeString(f[2])
	if err != nil {
		return "", nil
	}
	return f[0], secret
}

// countAppRecords returns how many of the records in sent (what our side
// wrote during the handshake) are sealed with the application traffic
// secret: NewSessionTicket messages a TLS 1.3 server sends before its
// first application record. The first record that opens under the key has
// sequence number 0.
func countAppRecords(suite uint16, secret, sent []byte) uint64 {
	hc, err := newHalfConn(suite, secret, 0)
	if err != nil {
		return 0
	}
	var scratch []byte
	for len(sent) >= recordHeader {
		n := recordHeader + int(binary.BigEndian.Uint16(sent[3:]))
		if n > len(sent) {
			break
		}
		rec := sent[:n]
		sent = sent[n:]
		if rec[0] != typeAppData {
			continue
		}
		seq := hc.seq
		if _, _, err := hc.open(scratch[:0], rec); err != nil {
			hc.seq = seq
		}
	}
	return hc.seq
}
