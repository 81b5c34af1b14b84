// mcroute patch (PATCH.md §8), ours whole: tests of the connection table,
// the compact peer and the lent read buffer.

//go:build linux && !gc_opt && !poll_opt

package gnet

import (
	"math/rand"
	"net"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/panjf2000/gnet/v2/pkg/socket"
)

// TestConnMatrixModel runs random adds, deletes and lookups against a
// map, with fds dense (as the kernel hands them out) and sparse.
func TestConnMatrixModel(t *testing.T) {
	for _, spread := range []int{64, 5000, 1 << 20} {
		rng := rand.New(rand.NewSource(int64(spread)))
		var cm connMatrix
		cm.init()
		model := map[int]*conn{}
		for step := 0; step < 200000; step++ {
			fd := rng.Intn(spread)
			switch op := rng.Intn(10); {
			case op < 4:
				if _, ok := model[fd]; ok {
					continue // the kernel never hands out an open fd
				}
				c := &conn{fd: fd}
				cm.addConn(c, 0)
				model[fd] = c
			case op < 7:
				if c, ok := model[fd]; ok {
					cm.delConn(c)
					delete(model, fd)
				}
			default:
				if got, want := cm.getConn(fd), model[fd]; got != want {
					t.Fatalf("spread %d step %d: getConn(%d) = %p, want %p", spread, step, fd, got, want)
				}
			}
			if step%9973 == 0 || len(model) == 0 {
				checkMatrix(t, &cm, model)
			}
			if step == 100000 { // empty it, so that it shrinks
				for fd, c := range model {
					cm.delConn(c)
					delete(model, fd)
				}
				checkMatrix(t, &cm, model)
				if len(cm.slots) > connTableMin {
					t.Fatalf("%d slots left for no connection", len(cm.slots))
				}
			}
		}
	}
}

func checkMatrix(t *testing.T, cm *connMatrix, model map[int]*conn) {
	t.Helper()
	if int(cm.loadCount()) != len(model) || cm.used != len(model) {
		t.Fatalf("count %d, used %d, want %d", cm.loadCount(), cm.used, len(model))
	}
	for fd, c := range model {
		if cm.getConn(fd) != c {
			t.Fatalf("fd %d lost", fd)
		}
	}
	if n := len(cm.slots); n > 0 && cm.used*4 > n*3 {
		t.Fatalf("%d of %d slots used", cm.used, n)
	}
}

// TestConnMatrixIterateClosing closes connections from inside iterate, as
// closeConns does: every conn is visited exactly once, however the table
// shifts and shrinks underneath.
func TestConnMatrixIterateClosing(t *testing.T) {
	var cm connMatrix
	cm.init()
	for fd := 3; fd < 3+1000; fd++ {
		cm.addConn(&conn{fd: fd}, 0)
	}
	seen := map[int]int{}
	cm.iterate(func(c *conn) bool {
		seen[c.fd]++
		cm.delConn(c)
		return true
	})
	if len(seen) != 1000 || cm.used != 0 {
		t.Fatalf("visited %d of 1000, %d left", len(seen), cm.used)
	}
	for fd, n := range seen {
		if n != 1 {
			t.Fatalf("fd %d visited %d times", fd, n)
		}
	}
}

// TestConnSize pins what an idle connection costs: the conn in the 128 B
// size class (upstream: 256 B).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 128 {
		t.Errorf("conn is %d B, want ≤ 128", n)
	}
}

// TestCompactPeer: RemoteAddr built from the compact peer is what
// upstream built from the accepted Sockaddr.
func TestCompactPeer(t *testing.T) {
	for _, p := range []socket.Peer{
		{Family: unix.AF_INET, Port: 54321, Addr: [16]byte{127, 0, 0, 1}},
		{Family: unix.AF_INET, Port: 1, Addr: [16]byte{255, 254, 253, 252}},
		{Family: unix.AF_INET6, Port: 443, Addr: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}},
		{Sockaddr: &unix.SockaddrUnix{Name: "/tmp/x.sock"}},
	} {
		c := &conn{peer: compactPeer(&p)}
		got, want := c.RemoteAddr(), socket.SockaddrToTCPOrUnixAddr(p.ToSockaddr())
		if got.String() != want.String() || got.Network() != want.Network() {
			t.Errorf("%+v: RemoteAddr %v (%s), want %v (%s)", p, got, got.Network(), want, want.Network())
		}
	}
	if a := (&conn{}).RemoteAddr(); a != nil {
		t.Errorf("closed conn: RemoteAddr %v, want nil", a)
	}
	// UDP: RemoteAddr is the UDPAddr until release, nil after; the peer
	// stays for sendTo, as upstream's remote did.
	el := &eventloop{engine: &engine{opts: &Options{}}}
	u := newUDPConn(-1, el, nil, &unix.SockaddrInet4{Port: 53, Addr: [4]byte{127, 0, 0, 1}}, false)
	if a := u.RemoteAddr(); a == nil || a.String() != "127.0.0.1:53" || a.Network() != "udp" {
		t.Errorf("UDP conn: RemoteAddr %v", a)
	}
	u.release()
	if a := u.RemoteAddr(); a != nil {
		t.Errorf("released UDP conn: RemoteAddr %v, want nil", a)
	}
	if _, ok := u.peer.(unix.Sockaddr); !ok {
		t.Errorf("released UDP conn lost its peer: %v", u.peer)
	}
	given := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 7}
	if a := newStreamConn("tcp", 9, &eventloop{engine: &engine{opts: &Options{}}}, nil, nil, given).RemoteAddr(); a != given {
		t.Errorf("enrolled conn: RemoteAddr %v, want the given %v", a, given)
	}
}

// TestLentBuffer: only the connection being read sees the read bytes, and
// consuming them through Next, Peek+Discard or Read behaves as upstream's
// conn.buffer did.
func TestLentBuffer(t *testing.T) {
	el := &eventloop{engine: &engine{opts: &Options{}}, buffer: make([]byte, 64)}
	a := newStreamConn("tcp", 10, el, nil, nil, nil)
	b := newStreamConn("tcp", 11, el, nil, nil, nil)
	n := copy(el.buffer, "get k\r\nget j\r\n")
	el.lendBuf(a, el.buffer[:n])
	if a.InboundBuffered() != n || b.InboundBuffered() != 0 {
		t.Fatalf("buffered a %d b %d", a.InboundBuffered(), b.InboundBuffered())
	}
	if p, _ := b.Peek(-1); len(p) != 0 {
		t.Fatalf("b peeks %q", p)
	}
	if p, _ := a.Peek(7); string(p) != "get k\r\n" {
		t.Fatalf("peek %q", p)
	}
	_, _ = a.Discard(7)
	if p, _ := a.Next(-1); string(p) != "get j\r\n" {
		t.Fatalf("next %q", p)
	}
	if rest := el.takeBuf(a); len(rest) != 0 {
		t.Fatalf("left %q", rest)
	}
	// Unread bytes go to the inbound ring, and a later Peek spans both.
	n = copy(el.buffer, "set x 0 0 1\r\n")
	el.lendBuf(a, el.buffer[:n])
	_, _ = a.inboundBuffer.Write(el.takeBuf(a))
	n = copy(el.buffer, "y\r\n")
	el.lendBuf(a, el.buffer[:n])
	p, _ := a.Peek(-1)
	if string(p) != "set x 0 0 1\r\ny\r\n" || el.lend.peekOwner != a {
		t.Fatalf("peek across ring and read: %q (cache owner %p)", p, el.lend.peekOwner)
	}
	_, _ = a.Discard(len(p))
	if el.lend.peekOwner != nil || a.InboundBuffered() != 0 {
		t.Fatalf("after discard: cache owner %p, %d buffered", el.lend.peekOwner, a.InboundBuffered())
	}
	a.release()
	if el.lend.inConn != nil {
		t.Fatal("a released conn keeps the loop's buffer")
	}
}

// BenchmarkConnLookup: the loop's lookup of a conn by fd for every event,
// upstream's map against the table (1,000 connections, fds as the kernel
// hands them out).
func BenchmarkConnLookup(b *testing.B) {
	const n = 1000
	var cm connMatrix
	cm.init()
	m := map[int]*conn{}
	for fd := 8; fd < 8+n; fd++ {
		c := &conn{fd: fd}
		cm.addConn(c, 0)
		m[fd] = c
	}
	b.Run("map", func(b *testing.B) {
		fd := 0
		for b.Loop() {
			if m[8+fd] == nil {
				b.Fatal("lost")
			}
			fd = (fd + 7) % n
		}
	})
	b.Run("table", func(b *testing.B) {
		fd := 0
		for b.Loop() {
			if cm.getConn(8+fd) == nil {
				b.Fatal("lost")
			}
			fd = (fd + 7) % n
		}
	})
}
