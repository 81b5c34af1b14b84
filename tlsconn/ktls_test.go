package tlsconn

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeKernel records the setsockopt calls of a kTLS offload and refuses
// the one named by fail ("ulp", "rx", "tx"), as a kernel could.
type fakeKernel struct {
	mu     sync.Mutex
	calls  []string
	rx, tx []byte
	fail   string
}

func (k *fakeKernel) set(fd, level, opt int, val string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var name string
	switch {
	case level == syscall.IPPROTO_TCP && opt == tcpULP && val == "tls":
		name = "ulp"
	case level == solTLS && opt == tlsRX:
		name, k.rx = "rx", []byte(val)
	case level == solTLS && opt == tlsTX:
		name, k.tx = "tx", []byte(val)
	default:
		return syscall.EINVAL
	}
	k.calls = append(k.calls, name)
	if name == k.fail {
		return syscall.ENOENT
	}
	return nil
}

// halfConnFromInfo is what the kernel makes of a crypto_info: the record
// layer of one direction (record.go's halfConn), keyed from its bytes.
func halfConnFromInfo(t *testing.T, info []byte) *halfConn {
	t.Helper()
	if len(info) < 4 || binary.NativeEndian.Uint16(info) != tls13Version {
		t.Fatalf("crypto_info %x", info)
	}
	keyLen := 16
	if binary.NativeEndian.Uint16(info[2:]) == cipherAES256 {
		keyLen = 32
	}
	if len(info) != 4+8+keyLen+4+8 {
		t.Fatalf("crypto_info of %d bytes", len(info))
	}
	iv, key, salt := info[4:12], info[12:12+keyLen], info[12+keyLen:16+keyLen]
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	hc := &halfConn{aead: aead, seq: binary.BigEndian.Uint64(info[16+keyLen:])}
	copy(hc.iv[:4], salt)
	copy(hc.iv[4:], iv)
	return hc
}

// loopConn plays an event loop for one server Conn, synchronously: the
// test decides when input is fed and when the offload is tried.
type loopConn struct {
	t    *testing.T
	c    *Conn
	raw  net.Conn
	in   chan []byte
	held []byte // read from the socket, not fed to the Conn
}

func newLoopConn(t *testing.T, s *Server, raw net.Conn) *loopConn {
	l := &loopConn{t: t, raw: raw, in: make(chan []byte, 256)}
	l.c = s.Accept(raw.LocalAddr(), raw.RemoteAddr(), nil, &Buffers{})
	t.Cleanup(l.c.Close)
	go func() {
		defer close(l.in)
		for {
			b := make([]byte, 64<<10)
			n, err := raw.Read(b)
			if n > 0 {
				l.in <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return l
}

// read waits for bytes from the socket and keeps them in held.
func (l *loopConn) read() {
	l.t.Helper()
	select {
	case b, ok := <-l.in:
		if !ok {
			l.t.Fatal("socket closed")
		}
		l.held = append(l.held, b...)
	case <-time.After(5 * time.Second):
		l.t.Fatal("nothing read")
	}
}

// readN reads until n bytes are held.
func (l *loopConn) readN(n int) {
	for len(l.held) < n {
		l.read()
	}
}

// feed gives up to n held bytes (n < 0: all) to the Conn and sends what
// it has to send.
func (l *loopConn) feed(n int) {
	if n < 0 || n > len(l.held) {
		n = len(l.held)
	}
	used := l.c.Input(l.held[:n])
	l.held = l.held[used:]
	if out := l.c.TakeOutput(nil); len(out) > 0 {
		_, _ = l.raw.Write(out)
	}
}

// handshake serves the handshake until it is done.
func (l *loopConn) handshake() {
	l.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if done, err := l.c.Poll(); done {
			if out := l.c.TakeOutput(nil); len(out) > 0 {
				_, _ = l.raw.Write(out)
			}
			if err != nil {
				l.t.Fatalf("handshake: %v", err)
			}
			return
		}
		if out := l.c.TakeOutput(nil); len(out) > 0 {
			_, _ = l.raw.Write(out)
		}
		select {
		case b, ok := <-l.in:
			if !ok {
				l.t.Fatal("closed during the handshake")
			}
			l.held = append(l.held, b...)
			l.feed(-1)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			l.t.Fatal("handshake stalled")
		}
	}
}

// plain takes the plaintext the Conn holds.
func (l *loopConn) plain() string {
	s := string(l.c.Plaintext())
	l.c.Consume(-1)
	return s
}

// ktlsClient connects a Go TLS client of version ver (mod changes its
// config) to a Conn of s driven by the test, and returns both ends.
func ktlsClient(t *testing.T, p *pki, s *Server, ver uint16, mod ...func(*tls.Config)) (*tls.Conn, *loopConn) {
	cr, sr := pair(t)
	l := newLoopConn(t, s, sr)
	cc := clientConfig(p, p.client)
	cc.MaxVersion = ver
	for _, f := range mod {
		f(cc)
	}
	c := tls.Client(cr, cc)
	errc := make(chan error, 1)
	go func() { errc <- c.Handshake() }()
	l.handshake()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return c, l
}

func readString(t *testing.T, c *tls.Conn, n int) string {
	t.Helper()
	b := make([]byte, n)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("client read: %v", err)
	}
	return string(b)
}

// TestKTLSOffloadSequence: the offload waits for a record boundary, then
// hands the kernel crypto_info payloads that decrypt the client's next
// record (RX) and seal a record the client accepts after the server's
// tickets and earlier replies (TX); after it the Conn passes plaintext.
// With and without a client certificate (the server's tickets come at
// different points of the handshake), and on a resumed session.
func TestKTLSOffloadSequence(t *testing.T) {
	p := newPKI(t)
	cache := tls.NewLRUClientSessionCache(4)
	s0 := newServer(t, p, nil)
	for _, tc := range []struct {
		name string
		mod  func(*tls.Config)
	}{
		{"client cert", func(*tls.Config) {}},
		{"no client cert", func(c *tls.Config) { c.GetClientCertificate = nil }},
		{"first", func(c *tls.Config) { c.ClientSessionCache = cache }},
		{"resumed", func(c *tls.Config) { c.ClientSessionCache = cache }},
	} {
		k := &fakeKernel{}
		s0.opts.KTLSSetsockopt = k.set
		s := s0
		c, l := ktlsClient(t, p, s, tls.VersionTLS13, tc.mod)
		if tc.name == "resumed" != c.ConnectionState().DidResume {
			t.Fatalf("%s: DidResume %v", tc.name, c.ConnectionState().DidResume)
		}
		s.stats.KTLS.Store(0)
		// Some traffic on the in-loop record layer first: the sequence
		// numbers must move past it.
		for _, msg := range []string{"get a\r\n", "get bb\r\n"} {
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			l.readN(recordHeader + len(msg) + 1 + gcmTag)
			// A partial record held inside the Conn blocks the offload;
			// so do bytes the loop has not fed and unsent output.
			l.feed(3)
			if got := l.c.OffloadKTLS(7, 0, 0); got != OffloadLater {
				t.Fatalf("offload with a partial record: %v", got)
			}
			if got := l.c.OffloadKTLS(7, len(l.held), 0); got != OffloadLater {
				t.Fatalf("offload with unread ciphertext: %v", got)
			}
			l.feed(-1)
			if got := l.plain(); got != msg {
				t.Fatalf("plaintext %q, want %q", got, msg)
			}
			_, _ = l.raw.Write(l.c.Seal(nil, []byte("END\r\n")))
			if got := readString(t, c, 5); got != "END\r\n" {
				t.Fatalf("reply %q", got)
			}
		}
		if got := l.c.OffloadKTLS(7, 0, 100); got != OffloadLater {
			t.Fatalf("offload with unsent output: %v", got)
		}
		if len(k.calls) != 0 {
			t.Fatalf("setsockopt before a boundary: %v", k.calls)
		}
		if got := l.c.OffloadKTLS(7, 0, 0); got != OffloadDone {
			t.Fatalf("offload: %v", got)
		}
		if len(k.calls) != 3 || k.calls[0] != "ulp" || k.calls[1] != "rx" || k.calls[2] != "tx" {
			t.Fatalf("setsockopt calls %v", k.calls)
		}
		if !l.c.Passthrough() || s.Stats().KTLS.Load() != 1 {
			t.Fatalf("passthrough %v, count %d", l.c.Passthrough(), s.Stats().KTLS.Load())
		}
		if got := l.c.OffloadKTLS(7, 0, 0); got != OffloadNever {
			t.Fatalf("second offload: %v", got)
		}
		// RX: the kernel, keyed with k.rx, opens the client's next record.
		if _, err := c.Write([]byte("get ccc\r\n")); err != nil {
			t.Fatal(err)
		}
		l.readN(recordHeader + 9 + 1 + gcmTag)
		rx := halfConnFromInfo(t, k.rx)
		pt, typ, err := rx.open(nil, l.held)
		if err != nil || typ != typeAppData || string(pt) != "get ccc\r\n" {
			t.Fatalf("kernel RX: %q %d %v", pt, typ, err)
		}
		l.held = l.held[:0]
		// TX: the kernel, keyed with k.tx, seals what mcroute writes; the
		// client reads it.
		out := l.c.Seal(nil, []byte("VALUE x 0 1\r\n1\r\nEND\r\n"))
		if string(out) != "VALUE x 0 1\r\n1\r\nEND\r\n" {
			t.Fatalf("Seal after the offload: %q", out)
		}
		var sl sealer
		sl.begin(halfConnFromInfo(t, k.tx), nil)
		sl.write(out)
		if _, err := l.raw.Write(sl.end()); err != nil {
			t.Fatal(err)
		}
		if got := readString(t, c, len(out)); got != string(out) {
			t.Fatalf("%s: client read %q", tc.name, got)
		}
		// Input passes plaintext as is; CloseNotify sends nothing.
		if n := l.c.Input([]byte("get d\r\n")); n != 7 || l.plain() != "get d\r\n" {
			t.Fatal("Input after the offload")
		}
		if b := l.c.CloseNotify(nil); len(b) != 0 {
			t.Fatalf("close_notify after the offload: %x", b)
		}
	}
}

// TestKTLSOffloadRefused: a kernel that refuses TCP_ULP or TLS_RX leaves
// the socket as it was: the in-loop record layer carries on, counted. One
// that takes TLS_RX and refuses TLS_TX leaves decryption to the kernel and
// sealing here.
func TestKTLSOffloadRefused(t *testing.T) {
	p := newPKI(t)
	for _, fail := range []string{"ulp", "rx", "tx"} {
		k := &fakeKernel{fail: fail}
		s := newServer(t, p, func(o *ServerOptions) { o.KTLSSetsockopt = k.set })
		c, l := ktlsClient(t, p, s, tls.VersionTLS13)
		want := OffloadFailed
		if fail == "tx" {
			want = OffloadRXOnly
		}
		if got := l.c.OffloadKTLS(7, 0, 0); got != want {
			t.Fatalf("fail %s: %v", fail, got)
		}
		if s.Stats().KTLSFallbacks.Load() != 1 || s.Stats().KTLS.Load() != 0 || l.c.Passthrough() {
			t.Fatalf("fail %s: fallbacks %d, ktls %d", fail, s.Stats().KTLSFallbacks.Load(), s.Stats().KTLS.Load())
		}
		if _, err := c.Write([]byte("get a\r\n")); err != nil {
			t.Fatal(err)
		}
		l.readN(recordHeader + 7 + 1 + gcmTag)
		if fail == "tx" {
			// The kernel would have decrypted it.
			pt, _, err := halfConnFromInfo(t, k.rx).open(nil, l.held)
			if err != nil {
				t.Fatal(err)
			}
			l.held = append(l.held[:0], pt...)
		}
		l.feed(-1)
		if got := l.plain(); got != "get a\r\n" {
			t.Fatalf("fail %s: plaintext %q", fail, got)
		}
		_, _ = l.raw.Write(l.c.Seal(nil, []byte("END\r\n")))
		if got := readString(t, c, 5); got != "END\r\n" {
			t.Fatalf("fail %s: reply %q", fail, got)
		}
		if got := l.c.OffloadKTLS(7, 0, 0); got != OffloadNever {
			t.Fatalf("fail %s: tried again: %v", fail, got)
		}
	}
}

// TestKTLSOffloadNotTried: --ssl-no-ktls, TLS 1.2 and a kernel without
// kTLS never reach setsockopt.
func TestKTLSOffloadNotTried(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name  string
		noK   bool
		ver   uint16
		fake  bool
		never bool
	}{
		{"--ssl-no-ktls", true, tls.VersionTLS13, true, true},
		{"TLS 1.2", false, tls.VersionTLS12, true, true},
		{"no kernel kTLS", false, tls.VersionTLS13, false, !KTLSAvailable()},
	} {
		k := &fakeKernel{}
		s := newServer(t, p, func(o *ServerOptions) {
			o.NoKTLS = tc.noK
			if tc.fake {
				o.KTLSSetsockopt = k.set
			}
		})
		_, l := ktlsClient(t, p, s, tc.ver)
		if !tc.never {
			continue
		}
		if got := l.c.OffloadKTLS(7, 0, 0); got != OffloadNever || len(k.calls) != 0 {
			t.Fatalf("%s: %v, calls %v", tc.name, got, k.calls)
		}
	}
}

// TestKTLSKernelEndToEnd: where the kernel has kTLS, a real offload after
// a real handshake: the Go client's records reach the socket as
// plaintext, and plaintext written to the socket reaches the client
// decrypted. Skipped elsewhere.
func TestKTLSKernelEndToEnd(t *testing.T) {
	if !KTLSAvailable() {
		t.Skip("kernel without the tls TCP ULP (tls not in /proc/sys/net/ipv4/tcp_available_ulp)")
	}
	p := newPKI(t)
	s := newServer(t, p, nil)
	c, l := ktlsClient(t, p, s, tls.VersionTLS13)
	rc, err := l.raw.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got Offload
	_ = rc.Control(func(fd uintptr) { got = l.c.OffloadKTLS(int(fd), 0, 0) })
	if got != OffloadDone {
		t.Fatalf("offload: %v (fallbacks %d)", got, s.Stats().KTLSFallbacks.Load())
	}
	if _, err := c.Write([]byte("get k\r\n")); err != nil {
		t.Fatal(err)
	}
	l.readN(7)
	if string(l.held) != "get k\r\n" {
		t.Fatalf("kernel RX gave %q", l.held)
	}
	if _, err := l.raw.Write([]byte("END\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, c, 5); got != "END\r\n" {
		t.Fatalf("client read %q", got)
	}
	// close_notify is not application data: the kernel fails the read.
	_ = c.Close()
	select {
	case _, ok := <-l.in:
		if ok {
			t.Fatal("data after close_notify")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("close_notify did not end the read side")
	}
}
