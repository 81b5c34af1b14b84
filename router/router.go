package router

import "sync/atomic"

// Router holds the config in force. Loops read it with Current on every
// event; a reload builds a new Config off the loops and Stores it. Safe for
// use by any goroutine.
type Router struct {
	cur atomic.Pointer[Config]
}

// New returns a Router serving cfg.
func New(cfg *Config) *Router {
	r := &Router{}
	r.cur.Store(cfg)
	return r
}

// Current returns the config in force.
func (r *Router) Current() *Config { return r.cur.Load() }

// Store installs cfg; requests already routed finish on their old config.
func (r *Router) Store(cfg *Config) { r.cur.Store(cfg) }
