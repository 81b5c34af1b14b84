package router

import (
	"sync"
	"sync/atomic"
	"time"

	"mcroute/upstream"
)

// Router holds the config in force. Loops read it with Current on every
// event; a reload builds a new Config off the loops and Stores it. Safe for
// use by any goroutine.
type Router struct {
	cur atomic.Pointer[Config]

	mu      sync.Mutex
	onStore []func()

	// Reload bookkeeping, for stats: successful and failed (re)builds after
	// the first, and when the last attempt and success happened (unix s).
	Reloads, Failures        atomic.Uint64
	LastAttempt, LastSuccess atomic.Int64
}

// New returns a Router serving cfg.
func New(cfg *Config) *Router {
	r := &Router{}
	upstream.InstallTKOGroups(cfg.Servers, cfg.TKOGroups)
	r.cur.Store(cfg)
	now := time.Now().Unix()
	r.LastAttempt.Store(now)
	r.LastSuccess.Store(now)
	return r
}

// Current returns the config in force.
func (r *Router) Current() *Config { return r.cur.Load() }

// Store installs cfg; requests already routed finish on their old config.
// Stats need no carrying over: they live in the process-wide upstream
// Destinations that every config's Servers point to. The functions given
// to OnStore run after the swap (the engine wakes its loops with them: a
// loop binds the new config when it next wakes, and sleeps otherwise).
func (r *Router) Store(cfg *Config) {
	upstream.InstallTKOGroups(cfg.Servers, cfg.TKOGroups)
	r.cur.Store(cfg)
	r.mu.Lock()
	fns := r.onStore
	r.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// OnStore registers f to be called after every Store, on the storing
// goroutine. f must not block.
func (r *Router) OnStore(f func()) {
	r.mu.Lock()
	r.onStore = append(r.onStore[:len(r.onStore):len(r.onStore)], f)
	r.mu.Unlock()
}
