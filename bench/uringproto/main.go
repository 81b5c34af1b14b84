//go:build linux

// Command uringproto is a feasibility measurement, not part of mcroute: a
// one-thread TCP forwarder (each client connection gets its own backend
// connection; bytes are relayed both ways unparsed) driven by io_uring
// through raw system calls (golang.org/x/sys/unix), to count how many
// system calls per request an io_uring event loop needs where mcroute's
// epoll loop needs a read, a write and a share of epoll_wait per socket
// event. Every receive and send of a wake-up, on clients and the backend
// alike, is submitted in the same io_uring_enter that waits for the next
// completions. See engine/PERF.md ("io_uring feasibility").
//
//	uringproto -listen 127.0.0.1:11611 -backend 127.0.0.1:11411
//
// On SIGINT it prints io_uring_enter calls and completions handled.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	opAccept = 13 // IORING_OP_ACCEPT
	opSend   = 26 // IORING_OP_SEND
	opRecv   = 27 // IORING_OP_RECV

	enterGetEvents = 1 // IORING_ENTER_GETEVENTS
	ioLink         = 4 // IOSQE_IO_LINK: the next SQE starts once this one completes
	featSingleMmap = 1 // IORING_FEAT_SINGLE_MMAP

	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

type sqOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

type cqOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

type params struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
	Resv                                                                   [3]uint32
	SQOff                                                                  sqOffsets
	CQOff                                                                  cqOffsets
}

type sqe struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64
	Addr        uint64
	Len         uint32
	OpFlags     uint32
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	SpliceFdIn  int32
	Addr3       uint64
	Pad         uint64
}

type cqe struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

type ring struct {
	fd                     int
	sqHead, sqTail, sqMask *uint32
	sqArray                []uint32
	sqes                   []sqe
	cqHead, cqTail, cqMask *uint32
	cqes                   []cqe
	pending                uint32 // SQEs queued, not yet submitted
	enters                 uint64
}

func newRing(entries uint32) (*ring, error) {
	var p params
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	if p.Features&featSingleMmap == 0 {
		return nil, fmt.Errorf("kernel lacks IORING_FEAT_SINGLE_MMAP")
	}
	size := max(p.SQOff.Array+p.SQEntries*4, p.CQOff.Cqes+p.CQEntries*uint32(unsafe.Sizeof(cqe{})))
	rb, err := unix.Mmap(int(fd), offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mmap rings: %w", err)
	}
	sb, err := unix.Mmap(int(fd), offSQEs, int(p.SQEntries)*int(unsafe.Sizeof(sqe{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mmap sqes: %w", err)
	}
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&rb[off])) }
	r := &ring{
		fd:      int(fd),
		sqHead:  u32(p.SQOff.Head),
		sqTail:  u32(p.SQOff.Tail),
		sqMask:  u32(p.SQOff.RingMask),
		sqArray: unsafe.Slice((*uint32)(unsafe.Pointer(&rb[p.SQOff.Array])), p.SQEntries),
		sqes:    unsafe.Slice((*sqe)(unsafe.Pointer(&sb[0])), p.SQEntries),
		cqHead:  u32(p.CQOff.Head),
		cqTail:  u32(p.CQOff.Tail),
		cqMask:  u32(p.CQOff.RingMask),
		cqes:    unsafe.Slice((*cqe)(unsafe.Pointer(&rb[p.CQOff.Cqes])), p.CQEntries),
	}
	return r, nil
}

// queue adds one SQE; it is submitted by the next enter.
func (r *ring) queue(op uint8, fd int, buf []byte, user uint64, flags uint8) {
	tail := atomic.LoadUint32(r.sqTail)
	if tail-atomic.LoadUint32(r.sqHead) >= uint32(len(r.sqes)) {
		r.enter(0) // submission queue full: submit what is there
		tail = atomic.LoadUint32(r.sqTail)
	}
	i := tail & *r.sqMask
	e := &r.sqes[i]
	*e = sqe{Opcode: op, Flags: flags, Fd: int32(fd), UserData: user}
	if len(buf) > 0 {
		e.Addr = uint64(uintptr(unsafe.Pointer(&buf[0])))
		e.Len = uint32(len(buf))
	}
	r.sqArray[i] = i
	atomic.StoreUint32(r.sqTail, tail+1)
	r.pending++
}

// enter submits what is queued and waits for at least wait completions.
func (r *ring) enter(wait uint32) {
	for {
		r.enters++
		n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.pending), uintptr(wait), enterGetEvents, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			fmt.Fprintln(os.Stderr, "io_uring_enter:", errno)
			os.Exit(1)
		}
		r.pending -= uint32(n)
		return
	}
}

// pair is one client connection and its backend connection.
type pair struct {
	client, backend int
	cbuf, bbuf      []byte
}

// user data: pair index << 8 | event kind
const (
	evAccept = iota
	evClientRecv
	evBackendRecv
	evSend
)

func main() {
	listen := flag.String("listen", "127.0.0.1:11611", "address to serve")
	backend := flag.String("backend", "127.0.0.1:11411", "memcached to forward to")
	flag.Parse()
	runtime.LockOSThread()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lf, _ := ln.(*net.TCPListener).File() // a blocking duplicate for ACCEPT
	lfd := int(lf.Fd())
	baddr, err := net.ResolveTCPAddr("tcp4", *backend)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bsa := &unix.SockaddrInet4{Port: baddr.Port}
	copy(bsa.Addr[:], baddr.IP.To4())

	r, err := newRing(256)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var completions uint64
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Printf("io_uring_enter %d completions %d\n", atomic.LoadUint64(&r.enters), atomic.LoadUint64(&completions))
		os.Exit(0)
	}()

	var pairs []*pair
	r.queue(opAccept, lfd, nil, evAccept, 0)
	for {
		r.enter(1)
		head := atomic.LoadUint32(r.cqHead)
		tail := atomic.LoadUint32(r.cqTail)
		for ; head != tail; head++ {
			c := r.cqes[head&*r.cqMask]
			atomic.AddUint64(&completions, 1)
			kind, idx := c.UserData&0xff, int(c.UserData>>8)
			switch kind {
			case evAccept:
				if c.Res >= 0 {
					cfd := int(c.Res)
					bfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					if err == nil {
						err = unix.Connect(bfd, bsa)
					}
					if err != nil {
						fmt.Fprintln(os.Stderr, "backend:", err)
						_ = unix.Close(cfd)
					} else {
						_ = unix.SetsockoptInt(cfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
						_ = unix.SetsockoptInt(bfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
						p := &pair{client: cfd, backend: bfd, cbuf: make([]byte, 16<<10), bbuf: make([]byte, 16<<10)}
						pairs = append(pairs, p)
						i := uint64(len(pairs)-1) << 8
						r.queue(opRecv, cfd, p.cbuf, i|evClientRecv, 0)
						r.queue(opRecv, bfd, p.bbuf, i|evBackendRecv, 0)
					}
				}
				r.queue(opAccept, lfd, nil, evAccept, 0)
			case evClientRecv:
				p := pairs[idx]
				if c.Res <= 0 {
					_ = unix.Close(p.client)
					_ = unix.Close(p.backend)
					continue
				}
				// Forward, and re-arm the client's receive into the same
				// buffer once the send is done (linked): both go in the
				// next enter. (A real proxy would parse and route
				// here; sends are small and complete at once on loopback.)
				r.queue(opSend, p.backend, p.cbuf[:c.Res], uint64(idx)<<8|evSend, ioLink)
				r.queue(opRecv, p.client, p.cbuf, uint64(idx)<<8|evClientRecv, 0)
			case evBackendRecv:
				p := pairs[idx]
				if c.Res <= 0 {
					continue
				}
				r.queue(opSend, p.client, p.bbuf[:c.Res], uint64(idx)<<8|evSend, ioLink)
				r.queue(opRecv, p.backend, p.bbuf, uint64(idx)<<8|evBackendRecv, 0)
			case evSend:
			}
		}
		atomic.StoreUint32(r.cqHead, head)
	}
}
