package router

import (
	"sync/atomic"
	"time"
)

// Router holds the config in force. Loops read it with Current on every
// event; a reload builds a new Config off the loops and Stores it. Safe for
// use by any goroutine.
type Router struct {
	cur atomic.Pointer[Config]

	// Reload bookkeeping, for stats: successful and failed (re)builds after
	// the first, and when the last attempt and success happened (unix s).
	Reloads, Failures        atomic.Uint64
	LastAttempt, LastSuccess atomic.Int64
}

// New returns a Router serving cfg.
func New(cfg *Config) *Router {
	r := &Router{}
	r.cur.Store(cfg)
	now := time.Now().Unix()
	r.LastAttempt.Store(now)
	r.LastSuccess.Store(now)
	return r
}

// Current returns the config in force.
func (r *Router) Current() *Config { return r.cur.Load() }

// Store installs cfg; requests already routed finish on their old config.
// Servers that cfg shares with the config in force (same key) keep their
// stats, so counters survive a reload. cfg must not be in use yet.
func (r *Router) Store(cfg *Config) {
	if old := r.cur.Load(); old != nil {
		stats := make(map[string]int, len(old.Servers))
		for i, s := range old.Servers {
			stats[s.Key] = i
		}
		for _, s := range cfg.Servers {
			if i, ok := stats[s.Key]; ok {
				s.Stats = old.Servers[i].Stats
			}
		}
	}
	r.cur.Store(cfg)
}
