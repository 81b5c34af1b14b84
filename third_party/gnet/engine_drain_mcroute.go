// mcroute patch: this whole file is mcroute's (see PATCH.md, "Closing the
// listeners only").

//go:build linux || freebsd || dragonfly || netbsd || openbsd || darwin

package gnet

import (
	"context"

	errorx "github.com/panjf2000/gnet/v2/pkg/errors"
	"github.com/panjf2000/gnet/v2/pkg/queue"
)

// CloseListeners stops accepting connections and leaves every connection
// already accepted, and every event loop, running: the loops that poll the
// listeners (the accept reactor, or each loop under WithReusePort) take
// them out of their pollers and close them, so that new connections are
// refused by the kernel. It returns once every such loop has done so, or
// when ctx is done. Safe from any goroutine once the engine serves; Stop
// still stops the engine afterwards. An accept back-off in progress is
// cancelled for good.
func (e Engine) CloseListeners(ctx context.Context) error {
	if e.eng == nil || e.eng.eventLoops == nil {
		return errorx.ErrEmptyEngine
	}
	var loops []*eventloop
	if e.eng.ingress != nil {
		loops = append(loops, e.eng.ingress)
	} else {
		e.eng.eventLoops.iterate(func(_ int, el *eventloop) bool {
			loops = append(loops, el)
			return true
		})
	}
	done := make(chan struct{}, len(loops))
	for _, el := range loops {
		el := el
		err := el.poller.Trigger(queue.HighPriority, func(any) error {
			el.stopAcceptBackoff()
			el.backoff.paused = true // accept0/accept return at once
			for fd, ln := range el.listeners {
				if ln.network != "udp" {
					_ = el.poller.Delete(fd)
				}
				ln.close()
			}
			done <- struct{}{}
			return nil
		}, nil)
		if err != nil {
			return err
		}
	}
	for range loops {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
