package upstream

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"mcroute/codec/mc"
)

// The transports and protocols a destination can use: plain TCP or TLS
// (TransportSSL, transport_tls.go), speaking the ASCII protocol or, for
// pools that ask for it, the meta protocol (memcached ≥ 1.6).
const (
	TransportPlain = "plain"
	ProtocolASCII  = "ascii"
	ProtocolMeta   = "meta"
)

// DestKey identifies a destination in the registry: where it is and how we
// talk to it. Timeouts are not part of it: they belong to the config's
// Server, and two Servers with different timeouts share a Destination.
type DestKey struct {
	Addr      string // dial address, "host:port", "[v6]:port" or "unix:<path>"
	Transport string // TransportPlain or TransportSSL
	Protocol  string // ProtocolASCII or ProtocolMeta
}

// Registry holds every Destination the process has ever been configured
// with, keyed by DestKey. Destinations outlive configs: a reload maps the
// new config's Servers onto the same Destinations, so their stats, health
// and per-loop connections carry over without copying. Safe for use by
// any goroutine.
type Registry struct {
	mu       sync.Mutex
	byKey    map[DestKey]*Destination
	trackers map[string]*Tracker // by host:port
}

// registry is the process-wide registry NewServer registers into.
var registry Registry

// Lookup returns the process-wide Destination for host, port, transport
// and protocol, creating it on first use. Not for the request path.
func Lookup(host string, port int, transport, protocol string) *Destination {
	return registry.lookup(host, port, transport, protocol)
}

func (r *Registry) lookup(host string, port int, transport, protocol string) *Destination {
	return r.lookupAddr(net.JoinHostPort(host, strconv.Itoa(port)), host, port, transport, protocol)
}

// lookupAddr is lookup for a destination whose dial address is addr
// ("unix:<path>" for UNIX sockets).
func (r *Registry) lookupAddr(addr, host string, port int, transport, protocol string) *Destination {
	k := DestKey{Addr: addr, Transport: transport, Protocol: protocol}
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.byKey[k]; ok {
		return d
	}
	if r.byKey == nil {
		r.byKey = make(map[DestKey]*Destination)
	}
	t := r.trackers[addr]
	if t == nil {
		if r.trackers == nil {
			r.trackers = make(map[string]*Tracker)
		}
		t = &Tracker{addr: addr}
		r.trackers[addr] = t
	}
	d := &Destination{Key: k, Host: host, Port: port, tko: t}
	r.byKey[k] = d
	return d
}

// Destination is one memcached server as the whole process sees it. It
// holds one slot per event loop (that loop's Conn and its stats, written
// only by that loop) and the health state every loop shares.
type Destination struct {
	Key  DestKey
	Host string // as written in the config (IPv6 without brackets)
	Port int

	// Health is shared by every loop (atomics).
	Health Health
	// tko is the server's health tracker, shared with the other
	// Destinations of the same host:port (see Tracker).
	tko *Tracker

	mu    sync.Mutex                  // serialises growth of loops
	loops atomic.Pointer[[]*destLoop] // by Loop index; entries never move
}

// destLoop is one loop's share of a Destination. conn is touched only by
// that loop; stats are written only by it and read by `stats` from any
// goroutine. The padding keeps two loops' counters off one cache line.
type destLoop struct {
	_     [64]byte
	conn  *Conn
	stats loopStats
	_     [64]byte
}

// slot returns loop i's share of d, creating it (and growing the per-loop
// array) on first use. Called when a Loop first needs a Conn to d, not per
// request.
func (d *Destination) slot(i int) *destLoop {
	if p := d.loops.Load(); p != nil && i < len(*p) && (*p)[i] != nil {
		return (*p)[i]
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var old []*destLoop
	if p := d.loops.Load(); p != nil {
		old = *p
	}
	s := old
	if i >= len(old) {
		s = make([]*destLoop, i+1)
		copy(s, old)
	} else if old[i] != nil {
		return old[i]
	} else {
		s = append([]*destLoop(nil), old...)
	}
	s[i] = &destLoop{}
	d.loops.Store(&s)
	return s[i]
}

// each calls f for every loop's share of d.
func (d *Destination) each(f func(*destLoop)) {
	if p := d.loops.Load(); p != nil {
		for _, s := range *p {
			if s != nil {
				f(s)
			}
		}
	}
}

// Health is what every loop knows about a destination's connections. TKO
// state (mcrouter-behaviour.md §7) is in the Tracker, keyed by host:port.
type Health struct {
	connsUp     atomic.Int64  // loops with an established connection
	failures    atomic.Uint64 // failed connects, lost connections, desyncs
	lastFailure atomic.Int64  // unix nanoseconds of the last failure
	lastResult  atomic.Uint32 // mc.Result of the last failure
}

// Tracker returns d's health tracker (TKO state), shared by every loop and
// by the Destinations of d's host:port.
func (d *Destination) Tracker() *Tracker { return d.tko }

// ConnsUp returns how many loops have an established connection.
func (h *Health) ConnsUp() int64 { return h.connsUp.Load() }

// Failures returns how many connects failed and connections were lost or
// dropped for an unmatchable reply, over the process lifetime.
func (h *Health) Failures() uint64 { return h.failures.Load() }

// LastFailure returns when the last connection failure happened and its
// result (CONNECT_ERROR, CONNECT_TIMEOUT, REMOTE_ERROR); zero time if none.
func (h *Health) LastFailure() (time.Time, mc.Result) {
	ns := h.lastFailure.Load()
	if ns == 0 {
		return time.Time{}, mc.Result(0)
	}
	return time.Unix(0, ns), mc.Result(h.lastResult.Load())
}

func (h *Health) recordFailure(res mc.Result) {
	h.failures.Add(1)
	h.lastResult.Store(uint32(res))
	h.lastFailure.Store(time.Now().UnixNano())
}
