package engine

import (
	"context"

	"github.com/panjf2000/gnet/v2"
)

// StallLoops blocks every event loop of e until release is closed, and
// returns once all of them are blocked. Whatever clients send meanwhile
// waits in the sockets and is served in the loops' next batch.
func (e *Engine) StallLoops(release <-chan struct{}) {
	loops := *e.list.Load()
	stalled := make(chan struct{}, len(loops))
	for _, ls := range loops {
		_ = ls.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			stalled <- struct{}{}
			<-release
			return nil
		}))
	}
	for range loops {
		<-stalled
	}
}

// TLSDirect is how many TLS-port connections went direct (kTLS or
// tls_to_plain), summed over the loops.
func (e *Engine) TLSDirect() uint64 {
	var n uint64
	for _, ls := range *e.list.Load() {
		n += ls.stats.tlsDirect.Load()
	}
	return n
}

// HeldBack is how many client flushes wrote nothing because the replies
// ready belonged to a client read not answered in full, summed over the
// loops.
func (e *Engine) HeldBack() uint64 {
	var n uint64
	for _, ls := range *e.list.Load() {
		n += ls.stats.heldBack.Load()
	}
	return n
}
