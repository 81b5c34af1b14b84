package main

import (
	"context"
	"log"
	"os"
	"time"

	"mcroute/engine"
)

// drainMargin is how long past --server-timeout a graceful stop waits for
// client connections to finish before it closes them regardless: the
// server timeout bounds the wait for a reply, the margin covers writing
// the replies out and the clients closing their ends.
const drainMargin = time.Second

// gracefulStop stops e without losing requests in flight (engine/drain.go):
// the listeners close at once, every request already parsed is answered
// (or times out after serverTimeout), each client connection is closed
// once it is answered, then the engine stops. After serverTimeout +
// drainMargin, or at a second signal, it stops regardless. The asynclog
// spool is flushed by run's deferred Close once the engine has stopped:
// deletes waiting for their record to be fsynced are requests in flight,
// so the drain waits for them.
func gracefulStop(e *engine.Engine, serverTimeout time.Duration, sigs <-chan os.Signal, logger *log.Logger) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), serverTimeout+drainMargin)
	go func() {
		select {
		case s := <-sigs:
			logger.Printf("%v again: stopping now", s)
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := e.Drain(ctx); err != nil {
		logger.Printf("drain: %v; closing them", err)
	} else {
		logger.Printf("drained: every client connection answered in %v", time.Since(start).Round(time.Millisecond))
	}
	cancel()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer stopCancel()
	_ = e.Stop(stopCtx)
}
