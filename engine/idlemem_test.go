//go:build !race && linux

package engine_test

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// idleConnBudget is the most Go heap one idle client connection may hold
// (engine/PERF.md, "Memory per idle connection"): gnet's conn (128 B size
// class), its compact remote address (8 B) and its slot in the loop's
// connection table (~16 B at 1,000 per loop), the session (128 B) and its
// entry in the loop's list. Parser, slot ring, gnet's read buffer and
// Peek copy are lent by the loop only while a connection is mid-request.
// Measured: 290 B.
const idleConnBudget = 320

// idleConnAllocBudget is the most Go heap an accepted connection may
// allocate, what it keeps plus the garbage it leaves (one queued task
// node; the connection table's and the loop list's growth). Garbage
// counts for memory too: between two GC cycles it is resident, so RSS per
// new connection is about what was allocated for it. Measured: 335 B.
const idleConnAllocBudget = 368

// TestIdleConnHeap opens 2,000 client connections, has each send one get
// (so every lazily built per-connection structure exists at least once),
// lets them sit idle and asserts the Go heap they hold, after GC, per
// connection. The clients are raw sockets driven with system calls, so
// they hold no Go heap themselves. MCROUTE_IDLE_HEAP_PROFILE=file writes
// a heap profile of the idle state (inuse_space shows who holds what).
func TestIdleConnHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 sockets")
	}
	const conns = 2000
	if os.Getenv("MCROUTE_IDLE_HEAP_PROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 2*conns+200 {
		lim.Cur = min(lim.Max, 2*conns+200)
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
		if lim.Cur < 2*conns+200 {
			t.Skipf("RLIMIT_NOFILE %d is too low for %d connections", lim.Cur, conns)
		}
	}
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 2}, router.Options{})
	mctest.Dial(t, p.Addr).Do("set idle 0 0 2\r\nhi\r\n")

	sa := sockaddr(t, p.Addr)
	fds := make([]int, 0, conns)
	t.Cleanup(func() {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	})
	req := []byte("get idle\r\n")
	want := "VALUE idle 0 2\r\nhi\r\nEND\r\n"
	buf := make([]byte, 256)
	dial := func() int {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatal(err)
		}
		tv := unix.Timeval{Sec: 5}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		if _, err := unix.Write(fd, req); err != nil {
			t.Fatal(err)
		}
		got := 0
		for got < len(want) {
			n, err := unix.Read(fd, buf[got:])
			if err == unix.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				t.Fatalf("read: %d %v", n, err)
			}
			got += n
		}
		if string(buf[:got]) != want {
			t.Fatalf("got %q", buf[:got])
		}
		return fd
	}
	// Warm up: the loops' free lists, scratch buffers and gnet's pools
	// reach their working size, and the first connections' lazy
	// structures exist, before the baseline.
	for i := 0; i < 50; i++ {
		_ = unix.Close(dial())
	}
	const base = 1 // the setup client
	waitConns(t, p.E, base)
	before := heapAfterGC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < conns; i++ {
		fds = append(fds, dial())
	}
	waitConns(t, p.E, base+conns)
	runtime.ReadMemStats(&ms1)
	after := heapAfterGC()
	per := (int64(after) - int64(before)) / conns
	t.Logf("%d idle connections: heap %d → %d B, %d B per connection (allocated while connecting: %d B, %d objects per connection)",
		conns, before, after, per, (ms1.TotalAlloc-ms0.TotalAlloc)/conns, (ms1.Mallocs-ms0.Mallocs)/conns)
	if f := os.Getenv("MCROUTE_IDLE_HEAP_PROFILE"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		_ = pprof.Lookup("heap").WriteTo(w, 0)
		_ = w.Close()
	}
	if per > idleConnBudget {
		t.Errorf("%d B of heap per idle connection, want ≤ %d", per, idleConnBudget)
	}
	if alloc := (ms1.TotalAlloc - ms0.TotalAlloc) / conns; alloc > idleConnAllocBudget {
		t.Errorf("%d B allocated per accepted connection, want ≤ %d", alloc, idleConnAllocBudget)
	}
}

func sockaddr(t *testing.T, addr string) *unix.SockaddrInet4 {
	host, port, ok := strings.Cut(addr, ":")
	if !ok || host != "127.0.0.1" {
		t.Fatalf("address %q", addr)
	}
	sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	for _, c := range port {
		sa.Port = sa.Port*10 + int(c-'0')
	}
	return sa
}

// waitConns waits until the engine counts n open client connections.
func waitConns(t *testing.T, e *engine.Engine, n int64) {
	deadline := time.Now().Add(10 * time.Second)
	for e.OpenConns() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d client connections open, want %d", e.OpenConns(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestIdleToBusyAllocs: 64 connections take turns, one request each, so
// every request finds its connection idle (no parser, no slot ring: both
// went back to the loop) and makes it busy again. The parser and the
// ring's array come from the loop's free lists, so the transition
// allocates nothing once the free lists have their working size; only a
// connection's very first request (or one after a burst that outgrew the
// free lists) allocates, once. The second case splits each request
// across two writes, so the connection keeps its parser between reads.
func TestIdleToBusyAllocs(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	mctest.Dial(t, p.Addr).Do("set k 0 0 5\r\nhello\r\n")
	sa := sockaddr(t, p.Addr)
	const conns = 64
	fds := make([]int, conns)
	for i := range fds {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = unix.Close(fd) })
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatal(err)
		}
		tv := unix.Timeval{Sec: 5}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		fds[i] = fd
	}
	want := []byte("VALUE k 0 5\r\nhello\r\nEND\r\n")
	buf := make([]byte, len(want))
	for _, tc := range []struct {
		name  string
		parts [][]byte
	}{
		{"whole", [][]byte{[]byte("get k\r\n")}},
		{"split", [][]byte{[]byte("ge"), []byte("t k\r\n")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := 0
			rt := func() {
				fd := fds[next%conns]
				next++
				for i, part := range tc.parts {
					if i > 0 {
						// Let the loop read the first part on its own.
						_ = unix.Nanosleep(&unix.Timespec{Nsec: 200_000}, nil)
					}
					if _, err := unix.Write(fd, part); err != nil {
						t.Fatal(err)
					}
				}
				got := 0
				for got < len(buf) {
					n, err := unix.Read(fd, buf[got:])
					if err == unix.EINTR {
						continue
					}
					if err != nil || n <= 0 {
						t.Fatalf("read: %d %v", n, err)
					}
					got += n
				}
			}
			for range 4 * conns {
				rt()
			}
			if string(buf) != string(want) {
				t.Fatalf("reply %q", buf)
			}
			if n := testing.AllocsPerRun(10*conns, rt); n != 0 {
				t.Errorf("%v allocs per request on a connection that was idle", n)
			}
		})
	}
}
