package upstream

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"mcroute/codec/mc"
)

// TKOOptions tune health tracking (mcrouter-behaviour.md §7). Zero fields
// take mcrouter's defaults.
type TKOOptions struct {
	// Disable turns tracking off: no TKO, no probes
	// (--disable-tko-tracking).
	Disable bool
	// TimeoutsUntilTKO consecutive soft failures (reply timeouts) mark a
	// destination soft TKO (--timeouts-until-tko, default 3).
	TimeoutsUntilTKO int
	// ProbeInitial is the delay before the first probe
	// (--probe-timeout-initial, default 10 s); each later delay is 1.5
	// times the previous, up to ProbeMax (--probe-timeout-max, 60 s).
	ProbeInitial, ProbeMax time.Duration
	// Rand returns a uniform number in [0, 1) for the probe jitter; nil:
	// math/rand/v2 (tests inject their own).
	Rand func() float64
}

// DefaultTKO are mcrouter's defaults.
var DefaultTKO = TKOOptions{TimeoutsUntilTKO: 3, ProbeInitial: 10 * time.Second, ProbeMax: 60 * time.Second}

func (o *TKOOptions) fill() {
	if o.TimeoutsUntilTKO <= 0 {
		o.TimeoutsUntilTKO = DefaultTKO.TimeoutsUntilTKO
	}
	if o.ProbeInitial <= 0 {
		o.ProbeInitial = DefaultTKO.ProbeInitial
	}
	if o.ProbeMax <= 0 {
		o.ProbeMax = DefaultTKO.ProbeMax
	}
	if o.ProbeMax < o.ProbeInitial {
		o.ProbeMax = o.ProbeInitial
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
}

// TKO kinds, as the low byte of Tracker.state.
const (
	tkoSoft = 1
	tkoHard = 2
)

// Tracker is the health of one server, keyed by host:port as mcrouter's
// TkoTracker is: the ASCII and meta Destinations of one address share it
// (it is the same memcached process). Every event loop reads and writes it
// with atomics; the request path does one load (IsTKO).
//
// state packs who marked the server TKO and why: 0 when healthy, else
// owner<<16 | reason<<8 | kind, owner being the marking Loop's index + 1.
// Only the owner probes and only its successful probe clears the state;
// the owner is chosen by the CompareAndSwap that marks it.
type Tracker struct {
	addr     string
	failures atomic.Int64  // consecutive failures (num_failures)
	state    atomic.Uint64 // see above
	group    atomic.Pointer[TKOGroup]
	soft     atomic.Uint64 // times marked soft TKO (stats)
	hard     atomic.Uint64 // times marked hard TKO (stats)
}

// Addr returns the host:port the tracker watches.
func (t *Tracker) Addr() string { return t.addr }

// IsTKO reports whether requests to the server are failed without sending.
func (t *Tracker) IsTKO() bool { return t.state.Load() != 0 }

// IsHardTKO reports whether the TKO was caused by a hard failure.
func (t *Tracker) IsHardTKO() bool { return t.state.Load()&0xff == tkoHard }

// ConsecutiveFailures returns the failures since the last good reply
// (stats suspect_servers' num_failures).
func (t *Tracker) ConsecutiveFailures() int64 { return t.failures.Load() }

// Reason returns the result of the failure that made the server TKO.
func (t *Tracker) Reason() mc.Result { return mc.Result(t.state.Load() >> 8 & 0xff) }

// TKOCounts returns how many times the server was marked soft and hard TKO.
func (t *Tracker) TKOCounts() (soft, hard uint64) { return t.soft.Load(), t.hard.Load() }

func packTKO(owner int, reason mc.Result, kind uint64) uint64 {
	return uint64(owner+1)<<16 | uint64(reason)<<8 | kind
}

func (t *Tracker) ownedBy(idx int) bool {
	s := t.state.Load()
	return s != 0 && int(s>>16)-1 == idx
}

// success records a good reply: the consecutive count restarts. It never
// clears TKO (only the owner's probe does, unmark).
func (t *Tracker) success() {
	if t.failures.Load() != 0 {
		t.failures.Store(0)
	}
}

// failure records a failure seen by loop idx and reports whether that
// loop just marked the server TKO (and so owns its probes). Soft failures
// mark after threshold consecutive ones; hard failures at once, and
// upgrade a soft TKO to hard.
func (t *Tracker) failure(idx int, res mc.Result, hard bool, threshold int) bool {
	n := t.failures.Add(1)
	for {
		s := t.state.Load()
		if s != 0 {
			if hard && s&0xff == tkoSoft {
				up := s&^0xffff | uint64(res)<<8 | tkoHard
				if !t.state.CompareAndSwap(s, up) {
					continue
				}
				t.hard.Add(1)
			}
			return false
		}
		break
	}
	if !hard && n < int64(threshold) {
		return false
	}
	kind := uint64(tkoSoft)
	if hard {
		kind = tkoHard
	}
	g := t.group.Load()
	if g == nil {
		return t.mark(idx, res, kind)
	}
	// Fail-open pools decide under the group's lock (failure path only).
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.admitLocked() {
		return false
	}
	return t.mark(idx, res, kind)
}

func (t *Tracker) mark(idx int, res mc.Result, kind uint64) bool {
	if !t.state.CompareAndSwap(0, packTKO(idx, res, kind)) {
		return false
	}
	if kind == tkoHard {
		t.hard.Add(1)
	} else {
		t.soft.Add(1)
	}
	return true
}

// unmark clears TKO and the failure count (a successful probe; the owner
// leaving).
func (t *Tracker) unmark(idx int) {
	if s := t.state.Load(); s != 0 && int(s>>16)-1 == idx {
		t.failures.Store(0)
		t.state.CompareAndSwap(s, 0)
	}
}

// TKOGroup is a pool's tko_tracker (mcrouter-behaviour.md §1.4): once
// Upper of its servers are TKO no more are marked until the count drops to
// Lower ("fail-open": when that many servers look dead the problem is
// likely ours, so keep trying them). The count is taken over the members'
// trackers when a mark is attempted, under mu: marking is the failure
// path, never the request path, and a count kept that way stays right
// across reloads that rebuild the group.
type TKOGroup struct {
	Name         string
	Upper, Lower int

	mu      sync.Mutex
	members []*Tracker
	open    bool // in fail-open state
	entered atomic.Uint64
}

// NewTKOGroup returns the fail-open group of pool name over dests (their
// trackers, once each), with num thresholds upper >= lower.
func NewTKOGroup(name string, upper, lower int, dests []*Destination) *TKOGroup {
	g := &TKOGroup{Name: name, Upper: upper, Lower: lower}
	seen := map[*Tracker]bool{}
	for _, d := range dests {
		if !seen[d.tko] {
			seen[d.tko] = true
			g.members = append(g.members, d.tko)
		}
	}
	return g
}

// Members returns the trackers of the group.
func (g *TKOGroup) Members() []*Tracker { return g.members }

// FailOpen reports whether the group is refusing new TKOs.
func (g *TKOGroup) FailOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

func (g *TKOGroup) admitLocked() bool {
	n := 0
	for _, m := range g.members {
		if m.IsTKO() {
			n++
		}
	}
	if g.open {
		if n > g.Lower {
			return false
		}
		g.open = false
	}
	if n >= g.Upper {
		g.open = true
		g.entered.Add(1)
		return false
	}
	return true
}

// InstallTKOGroups binds the trackers of servers (a config being put in
// force) to groups: each group's members to it, every other tracker of
// servers to none. A tracker in several groups belongs to the first.
// Not for the request path.
func InstallTKOGroups(servers []*Server, groups []*TKOGroup) {
	in := map[*Tracker]*TKOGroup{}
	for _, g := range groups {
		for _, m := range g.members {
			if _, ok := in[m]; !ok {
				in[m] = g
			}
		}
	}
	for _, s := range servers {
		s.Dest.tko.group.Store(in[s.Dest.tko])
	}
}

// tkoMsgs are the replies of requests to a TKO server, by the result that
// caused it: "Server unavailable. Reason: mc_res_timeout" (§5.4).
var tkoMsgs = func() (m [mc.NumResults][]byte) {
	for r := range m {
		m[r] = []byte("Server unavailable. Reason: " + mc.Result(r).String())
	}
	return
}()

// nextProbeDelay is mcrouter's schedule: ×1.5, 1 → 2 (in ms), capped.
func nextProbeDelay(d, max time.Duration) time.Duration {
	ms := d.Milliseconds()
	if ms <= 1 {
		ms = 2
	} else {
		ms = ms * 3 / 2
	}
	n := time.Duration(ms) * time.Millisecond
	if n > max {
		n = max
	}
	return n
}

// jitter is the actual wait for delay d: d × (1 + U[0.05, 0.5]), u in [0, 1).
func jitter(d time.Duration, u float64) time.Duration {
	return d + time.Duration(float64(d)*(0.05+0.45*u))
}

// probeReq is the probe: `version`, answered by any live memcached.
var probeReq = mc.Request{Op: mc.OpVersion}

// prober sends one Conn's probes while its loop owns the server's TKO. At
// most one probe is scheduled or in flight: it is a Timer (the wait) and
// then the callback of the probe request.
type prober struct {
	c       *Conn
	delay   time.Duration
	active  bool // a probe is scheduled or in flight
	sentAt  int64
	results [2]uint64 // probes that failed, succeeded (tests, stats)
}

// start schedules the first probe after the server was marked TKO by c's
// loop.
func (p *prober) start() {
	if p.active {
		return
	}
	p.delay = p.c.loop.opts.TKO.ProbeInitial
	p.schedule()
}

func (p *prober) schedule() {
	p.active = true
	o := &p.c.loop.opts.TKO
	p.c.loop.After(jitter(p.delay, o.Rand()), p)
}

// OnTimer sends the probe on c (dialing if needed).
func (p *prober) OnTimer() {
	c := p.c
	if !c.dest.tko.ownedBy(c.loop.idx) || c.state == stateClosed || c.probeSrv == nil {
		p.active = false
		return
	}
	p.sentAt = c.loop.now
	c.send(c.probeSrv, &probeReq, nil, p)
}

// OnReply is the probe's answer: a good one clears TKO; otherwise the
// next probe waits longer.
func (p *prober) OnReply(rep *mc.Reply) {
	c := p.c
	if !c.dest.tko.ownedBy(c.loop.idx) || c.state == stateClosed {
		p.active = false
		return
	}
	if !rep.Result.IsError() {
		p.results[1]++
		p.active = false
		c.dest.tko.unmark(c.loop.idx)
		return
	}
	p.results[0]++
	p.delay = nextProbeDelay(p.delay, c.loop.opts.TKO.ProbeMax)
	p.schedule()
}

// noteFailure records a failure of c's destination and, if c's loop marked
// it TKO, starts probing.
func (c *Conn) noteFailure(res mc.Result, hard bool) {
	if c.tko == nil || c.loop.stopping {
		return
	}
	if c.tko.failure(c.loop.idx, res, hard, c.loop.opts.TKO.TimeoutsUntilTKO) {
		if c.probe == nil {
			c.probe = &prober{c: c}
		}
		c.probe.start()
	}
}

// noteReply classifies a server's reply to a request (§7): good replies
// reset the count, TIMEOUT is soft, CONNECT_ERROR, CONNECT_TIMEOUT and
// SHUTDOWN are hard, other errors neither count nor reset.
func (c *Conn) noteReply(res mc.Result) {
	switch {
	case !res.IsError():
		c.tko.success()
	case res == mc.ResTimeout:
		c.noteFailure(res, false)
	case res == mc.ResConnectError || res == mc.ResConnectTimeout || res == mc.ResShutdown:
		c.noteFailure(res, true)
	}
}

// releaseTKO gives up the TKOs c's loop owns (c closed for good, the loop
// ending): nobody would probe them any more.
func (c *Conn) releaseTKO() {
	if c.tko != nil && c.tko.ownedBy(c.loop.idx) {
		c.tko.unmark(c.loop.idx)
	}
}

// Stopping tells the loop that the engine is closing its connections:
// their closes are not server failures. Loop goroutine only.
func (l *Loop) Stopping() { l.stopping = true }

// Close releases what the loop owns in the process-wide registry: the
// TKOs it marked (nobody else would probe them). The engine calls it once
// its loops have stopped; it touches only the registry and the trackers'
// atomics, so any goroutine may call it.
func (l *Loop) Close() {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, t := range registry.trackers {
		t.unmark(l.idx)
	}
}
