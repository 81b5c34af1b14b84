// mcroute patch: this whole file. See PATCH.md, "Accept back-off".

//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package gnet

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	errorx "github.com/panjf2000/gnet/v2/pkg/errors"
	"github.com/panjf2000/gnet/v2/pkg/queue"
)

// The pause after a failed accept starts at acceptBackoffMin and doubles
// with every failed retry up to acceptBackoffMax.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = 500 * time.Millisecond
)

// acceptBackoff is an event loop's state while accept(2) fails for lack of
// resources (out of descriptors: EMFILE, ENFILE; out of memory: ENOBUFS,
// ENOMEM). Instead of stopping the engine, the loop stops polling its
// listeners, so pending connections wait in the kernel's listen backlog,
// and a timer puts the listeners back after a short, growing pause.
//
// paused, edgeTriggered, delay, failures and since belong to the loop's
// goroutine; mu guards stopped and timer against the timer's goroutine.
type acceptBackoff struct {
	paused        bool
	edgeTriggered bool
	delay         time.Duration
	failures      int // failed accepts in this episode
	since         time.Time

	mu      sync.Mutex
	stopped bool
	timer   *time.Timer
}

// acceptFailed handles an accept(2) error that is neither EAGAIN nor a
// per-connection error. A broken listener (EBADF, EINVAL, ENOTSOCK,
// EFAULT) still stops the engine with ErrAcceptSocket; anything else
// pauses the loop's listeners. edgeTriggered is how they were polled.
func (el *eventloop) acceptFailed(err error, edgeTriggered bool) error {
	switch err {
	case unix.EBADF, unix.EINVAL, unix.ENOTSOCK, unix.EFAULT:
		el.getLogger().Errorf("Accept() failed due to error: %v", err)
		return errorx.ErrAcceptSocket
	}
	if hook := el.engine.opts.AcceptErrorHook; hook != nil {
		hook(err)
	}
	b := &el.backoff
	if b.failures == 0 {
		b.since = time.Now()
		b.delay = acceptBackoffMin
		el.getLogger().Errorf("Accept() failed due to error: %v; pausing accepts (open connections are still served), "+
			"retrying after %v, then growing pauses up to %v", err, b.delay, acceptBackoffMax)
	} else if b.delay *= 2; b.delay > acceptBackoffMax {
		b.delay = acceptBackoffMax
	}
	b.failures++
	b.paused = true
	b.edgeTriggered = edgeTriggered
	for fd, ln := range el.listeners {
		if ln.network != "udp" {
			_ = el.poller.Delete(fd)
		}
	}
	el.scheduleAcceptResume()
	return nil
}

// scheduleAcceptResume arms the timer that puts the listeners back.
func (el *eventloop) scheduleAcceptResume() {
	b := &el.backoff
	b.mu.Lock()
	if !b.stopped {
		b.timer = time.AfterFunc(b.delay, el.wakeAccept)
	}
	b.mu.Unlock()
}

// wakeAccept runs on the timer's goroutine: it asks the loop to resume.
func (el *eventloop) wakeAccept() {
	b := &el.backoff
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped {
		_ = el.poller.Trigger(queue.HighPriority, el.resumeAccept, nil)
	}
}

// resumeAccept runs on the loop: it polls the listeners again. A listener
// with pending connections reports ready at once, so the next poll retries
// accept(2); if that fails again, the next pause is twice as long.
func (el *eventloop) resumeAccept(any) error {
	b := &el.backoff
	if !b.paused {
		return nil
	}
	b.paused = false
	for fd, ln := range el.listeners {
		if ln.network == "udp" {
			continue
		}
		if err := el.poller.AddRead(ln.pollAttachment, b.edgeTriggered); err != nil {
			el.getLogger().Errorf("failed to poll listener fd=%d again after an accept back-off: %v", fd, err)
			for fd, ln := range el.listeners {
				if ln.network != "udp" {
					_ = el.poller.Delete(fd)
				}
			}
			b.paused = true
			el.scheduleAcceptResume()
			return nil
		}
	}
	return nil
}

// endAcceptBackoff ends a back-off episode once accepts work again.
func (el *eventloop) endAcceptBackoff() {
	if b := &el.backoff; b.failures != 0 {
		el.getLogger().Warnf("accepting connections again after %d failed accepts over %v",
			b.failures, time.Since(b.since).Round(time.Millisecond))
		b.failures = 0
	}
}

// stopAcceptBackoff stops the timer for good, before the pollers close.
func (el *eventloop) stopAcceptBackoff() {
	b := &el.backoff
	b.mu.Lock()
	b.stopped = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
}
