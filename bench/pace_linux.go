package bench

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// pacer sleeps an open-loop writer until its next request is due. Go timers
// round sub-millisecond waits on an idle runtime up to about 1 ms (the
// netpoller waits in whole milliseconds), which would add up to a millisecond
// of generator-made latency to every open-loop request; nanosleep(2) is
// precise but holds the goroutine's P for the whole sleep and starves the
// readers. A timerfd read through the netpoller is both: the kernel fires the
// timer on time (no timer slack applies to timerfd) and epoll wakes the
// goroutine, typically within 10-20 µs. The send lag in the Result shows what
// it achieved.
type pacer struct {
	f    *os.File
	fd   uintptr // raw fd: calling f.Fd() would switch it to blocking mode
	spec struct{ interval, value syscall.Timespec }
	buf  [8]byte
}

func newPacer() *pacer {
	const tfdNonblock, tfdCloexec = syscall.O_NONBLOCK, syscall.O_CLOEXEC
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return &pacer{} // fall back to time.Sleep
	}
	return &pacer{f: os.NewFile(fd, "timerfd"), fd: fd}
}

// sleep waits for d. It does not allocate.
func (p *pacer) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	if p.f == nil {
		time.Sleep(d)
		return
	}
	p.spec.value = syscall.NsecToTimespec(int64(d))
	_, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, p.fd, 0, uintptr(unsafe.Pointer(&p.spec)), 0, 0, 0)
	if errno != 0 {
		time.Sleep(d)
		return
	}
	_, _ = p.f.Read(p.buf[:])
}

func (p *pacer) close() {
	if p.f != nil {
		_ = p.f.Close()
	}
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
