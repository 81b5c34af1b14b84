// mcroute patch: this whole file is mcroute's (see PATCH.md, "Event loops
// by index").

//go:build linux || freebsd || dragonfly || netbsd || openbsd || darwin

package gnet

// EventLoops returns the engine's event loops in index order (the accept
// reactor of a non-SO_REUSEPORT engine is not one of them), or nil before
// the loops exist: call it once the engine serves, not from OnBoot.
// A loop's Execute runs its runnable on that loop's goroutine, which under
// WithLockOSThread is the loop's own OS thread.
func (e Engine) EventLoops() []EventLoop {
	if e.eng == nil || e.eng.eventLoops == nil {
		return nil
	}
	var out []EventLoop
	e.eng.eventLoops.iterate(func(_ int, el *eventloop) bool {
		out = append(out, el)
		return true
	})
	return out
}
