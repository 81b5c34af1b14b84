package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/router"
	"mcroute/tlsconn"
	"mcroute/upstream"
)

// Version is mcroute's version, reported by `version` and `stats`.
const Version = "1.0.0"

// Options configure the Engine. Zero values take the documented defaults.
type Options struct {
	// Addrs are the listen addresses, "host:port" ("[::1]:5000" for IPv6,
	// ":5000" for every address).
	Addrs []string
	// TLSAddrs are listen addresses whose clients speak TLS (--ssl-port),
	// served with TLS.
	TLSAddrs []string
	TLS      *tlsconn.Server
	// NumLoops is the number of event loops (--num-proxies); 0: one per core.
	NumLoops int
	// LockOSThread pins each loop to an OS thread.
	LockOSThread bool
	// ThreadAffinity pins loop i's OS thread to CPU i of the process's
	// affinity mask (LoopCPU), as mcrouter's --thread-affinity pins its
	// proxy threads. It implies LockOSThread.
	ThreadAffinity bool
	// MaxClientOutstanding caps requests in flight per client connection
	// (--max-client-outstanding-reqs); past it, parsing pauses. 0: no cap.
	MaxClientOutstanding int
	// OutboundHighWater is a client's high water mark (default 4 MiB): while
	// its unsent reply bytes plus the bytes mcroute holds for it (requests,
	// keys, values, replies not yet written, estimated replies in flight)
	// exceed it, no more of its keys are sent and nothing more is parsed.
	OutboundHighWater int
	// MaxClientBuffer is a client's hard cap (default 64 MiB): a client whose
	// buffered input, partial request, held bytes and unsent output together
	// exceed it is closed.
	MaxClientBuffer int
	// LoopHighWater is the loop's high water mark (default 128 MiB): while
	// the bytes held for all clients of a loop (plus estimated replies in
	// flight) exceed it, no client of the loop sends more keys.
	LoopHighWater int
	// MaxLoopBuffer is the loop's hard cap on held bytes (default 512 MiB):
	// past it, a client holding more than OutboundHighWater is closed.
	MaxLoopBuffer int
	// EnableFlush allows flush_all (--enable-flush-cmd).
	EnableFlush bool
	// MissOnGetErrors answers a get-like request whose key failed as a
	// miss instead of with the error line (mcrouter's miss_on_get_errors).
	MissOnGetErrors bool
	// EnableShutdown allows the shutdown command (--enable-shutdown-cmd).
	EnableShutdown bool
	// RetainSourceIP (--retain-source-ip) gives every request its client's
	// IP (mc.Request.ClientIP), for OriginalClientHashRoute and
	// LoggingRoute.
	RetainSourceIP bool
	// Upstream tunes server connections.
	Upstream upstream.Options
	// CommandArgs is reported by `stats` (commandargs).
	CommandArgs string
	// Logf logs operational events; nil discards them.
	Logf func(format string, args ...any)
	// OnShutdownCommand is called (on a loop goroutine) when a client sends
	// an enabled shutdown command.
	OnShutdownCommand func()
	// ReusePort listens with SO_REUSEPORT, one listening socket per loop
	// (--reuse-port): another process may listen on the same port, which
	// is how a new mcroute takes over from one that drains.
	ReusePort bool
	// Flags are the command-line options as (name, value) in definition
	// order, for `get __mcrouter__.options`.
	Flags [][2]string
}

// Engine is the gnet event handler. Create it with New, start it with Run.
type Engine struct {
	gnet.BuiltinEventEngine
	opts   Options
	router *router.Router
	start  time.Time

	mu    sync.Mutex
	loops map[gnet.EventLoop]*loopState
	list  atomic.Pointer[[]*loopState]

	debug     router.DebugInfo // for __mcrouter__.* commands
	verbosity atomic.Int64     // __mcrouter__.verbosity

	engMu   sync.Mutex
	eng     gnet.Engine
	started chan struct{}
	once    sync.Once
	stopped atomic.Bool

	// acceptRefused counts accepts that failed for lack of descriptors or
	// memory (gnet then pauses accepting; stats:
	// num_client_connections_refused).
	acceptRefused atomic.Uint64

	pinned atomic.Int32 // loops pinned to their CPU (ThreadAffinity)

	draining atomic.Bool      // Drain was called (drain.go)
	tlsPorts []netip.AddrPort // TLSAddrs, parsed
}

// New returns an Engine routing with r.
func New(r *router.Router, opts Options) *Engine {
	if opts.OutboundHighWater <= 0 {
		opts.OutboundHighWater = 4 << 20
	}
	if opts.MaxClientBuffer <= 0 {
		opts.MaxClientBuffer = 64 << 20
	}
	if opts.LoopHighWater <= 0 {
		opts.LoopHighWater = 128 << 20
	}
	if opts.MaxLoopBuffer <= 0 {
		opts.MaxLoopBuffer = 512 << 20
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	e := &Engine{opts: opts, router: r, start: time.Now(), loops: map[gnet.EventLoop]*loopState{}, started: make(chan struct{})}
	if opts.TLS != nil {
		e.tlsPorts = parseListenAddrs(opts.TLSAddrs)
	}
	empty := []*loopState{}
	e.list.Store(&empty)
	e.debug = e.newDebugInfo()
	// A loop binds a new config when it next wakes; wake every loop once
	// after a reload so that an idle one does too (it sleeps otherwise).
	r.OnStore(e.wakeLoops)
	return e
}

// Run serves until Stop. It returns once the engine has stopped: nil after
// Stop, otherwise the reason it stopped. Running out of file descriptors
// is not a reason: accepting pauses and resumes when descriptors free up.
func (e *Engine) Run() error {
	if len(e.opts.Addrs) == 0 && len(e.opts.TLSAddrs) == 0 {
		return errors.New("engine: no listen address")
	}
	if len(e.opts.TLSAddrs) > 0 && e.opts.TLS == nil {
		return errors.New("engine: TLS listen addresses without TLS configuration")
	}
	var addrs []string
	for _, a := range append(append([]string(nil), e.opts.Addrs...), e.opts.TLSAddrs...) {
		addrs = append(addrs, "tcp://"+a)
	}
	gopts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithReusePort(e.opts.ReusePort),
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithLockOSThread(e.opts.LockOSThread || e.opts.ThreadAffinity),
		gnet.WithLogger(quietLogger{e.opts.Logf}),
		gnet.WithAcceptErrorHook(func(error) { e.acceptRefused.Add(1) }),
	}
	if e.opts.NumLoops > 0 {
		gopts = append(gopts, gnet.WithNumEventLoop(e.opts.NumLoops))
	}
	if e.opts.ThreadAffinity {
		// Read the mask before any thread is pinned.
		cpus, err := AllowedCPUs()
		if err != nil {
			return fmt.Errorf("engine: thread affinity: %w", err)
		}
		done := make(chan struct{})
		defer close(done)
		go e.pinLoops(cpus, done)
	}
	return gnet.Rotate(e, addrs, gopts...)
}

// pinLoops pins every loop's locked OS thread to its CPU (LoopCPU) once
// the engine serves. The pinning runs on each loop's own goroutine (an
// Execute runnable), so it is that loop's thread that is pinned.
func (e *Engine) pinLoops(cpus []int, done <-chan struct{}) {
	select {
	case <-e.started:
	case <-done:
		return
	}
	e.engMu.Lock()
	eng := e.eng
	e.engMu.Unlock()
	for i, el := range eng.EventLoops() {
		cpu := LoopCPU(i, cpus)
		_ = el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			if err := pinThread(cpu); err != nil {
				e.opts.Logf("thread affinity: event loop %d: CPU %d: %v", i, cpu, err)
				return nil
			}
			e.pinned.Add(1)
			return nil
		}))
	}
}

// PinnedLoops is the number of event loops pinned to a CPU so far
// (Options.ThreadAffinity).
func (e *Engine) PinnedLoops() int { return int(e.pinned.Load()) }

// Started is closed once the engine accepts connections.
func (e *Engine) Started() <-chan struct{} { return e.started }

// Stop stops the engine: listeners close, client and server connections
// close. Safe from any goroutine; a no-op before Started.
func (e *Engine) Stop(ctx context.Context) error {
	if !e.stopped.CompareAndSwap(false, true) {
		return nil
	}
	select {
	case <-e.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.engMu.Lock()
	eng := e.eng
	e.engMu.Unlock()
	return eng.Stop(ctx)
}

// OnLoopStart (gnet.BatchHandler, a patch of the carried gnet) runs on
// each event loop's goroutine before it first polls: it creates the loop's
// state and returns its batch end, which gnet calls after every batch of
// events and sleeps as long as it says (see loopState.endBatch). The first
// loop to start marks the engine started: OnBoot has run, so Stop may use
// the gnet.Engine, and the listeners are bound.
func (e *Engine) OnLoopStart(el gnet.EventLoop) func() time.Duration {
	ls := e.loopFor(el)
	e.once.Do(func() { close(e.started) })
	return ls.endBatch
}

// wakeLoops has every loop run one batch (after a config reload).
func (e *Engine) wakeLoops() {
	for _, ls := range *e.list.Load() {
		_ = ls.el.Execute(context.Background(), ls.wake)
	}
}

// LoopWakeups returns how many batches the event loops have run (returns
// of epoll_wait), summed over loops. An idle engine does not wake.
func (e *Engine) LoopWakeups() uint64 {
	var n uint64
	for _, ls := range *e.list.Load() {
		n += ls.stats.wakeups.Load()
	}
	return n
}

// OpenConns returns the number of client connections open, summed over
// loops.
func (e *Engine) OpenConns() int64 {
	var n int64
	for _, ls := range *e.list.Load() {
		n += ls.stats.connsOpen.Load()
	}
	return n
}

// OnBoot remembers the gnet.Engine for Stop.
func (e *Engine) OnBoot(eng gnet.Engine) gnet.Action {
	e.engMu.Lock()
	e.eng = eng
	e.engMu.Unlock()
	return gnet.None
}

// OnShutdown runs once every loop has stopped: each loop gives up the
// TKOs it owns in the process-wide registry, since nobody would probe them.
func (e *Engine) OnShutdown(gnet.Engine) {
	for _, ls := range *e.list.Load() {
		ls.up.Close()
	}
}

// loopFor returns the state of event loop el, creating it on first use.
func (e *Engine) loopFor(el gnet.EventLoop) *loopState {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ls, ok := e.loops[el]; ok {
		return ls
	}
	ls := newLoopState(e, el)
	e.loops[el] = ls
	list := append(append([]*loopState(nil), *e.list.Load()...), ls)
	e.list.Store(&list)
	return ls
}

// OnOpen binds a new connection: a server connection that finished
// dialing, or a new client.
func (e *Engine) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	ctx := c.Context()
	if upstream.IsDial(ctx) {
		// The loop may have slept for long: Opened starts the queued
		// requests' reply timeouts from now. Their bytes are written at
		// the end of the batch.
		upstream.DialLoop(ctx).SetNow(upstream.Now())
		if _, ok := upstream.Opened(ctx, c); !ok {
			return nil, gnet.Close
		}
		return nil, gnet.None
	}
	ls := e.loopFor(c.EventLoop())
	if e.isTLS(c.LocalAddr()) {
		c.SetContext(ls.newTLSSession(c))
		return nil, gnet.None
	}
	s := ls.newSession(c)
	c.SetContext(s)
	return nil, gnet.None
}

// OnClose tears down a client session or marks a server connection down.
func (e *Engine) OnClose(c gnet.Conn, _ error) gnet.Action {
	switch x := c.Context().(type) {
	case *session:
		x.onClose()
	case *tlsSession:
		x.onClose()
	case *upstream.Conn:
		// Only recorded: gnet may be closing it inside one of our own
		// writes. The loop settles it at the end of the batch. Closes
		// made by Stop are not the server's failures (TKO).
		if e.stopped.Load() {
			x.Loop().Stopping()
		}
		x.OnClose(c)
	}
	return gnet.None
}

// OnTraffic handles bytes from a client or a server.
func (e *Engine) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *session:
		return x.onTraffic()
	case *tlsSession:
		x.ls.up.SetNow(upstream.Now())
		return x.onTraffic()
	case *upstream.Conn:
		// Replies complete client slots; they are written at the end of
		// the batch, one write per client.
		x.Loop().SetNow(upstream.Now())
		return x.OnTraffic(c)
	}
	return gnet.Close
}

type quietLogger struct{ logf func(string, ...any) }

func (l quietLogger) Debugf(string, ...any) {}
func (l quietLogger) Infof(string, ...any)  {}
func (l quietLogger) Warnf(f string, a ...any) {
	l.logf("gnet: "+f, a...)
}
func (l quietLogger) Errorf(f string, a ...any) { l.logf("gnet: "+f, a...) }
func (l quietLogger) Fatalf(f string, a ...any) {
	panic(fmt.Sprintf("gnet: "+f, a...))
}
