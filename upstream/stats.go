package upstream

import (
	"strconv"
	"sync/atomic"

	"mcroute/codec/mc"
)

// Connection states as `stats servers` counts them.
const (
	gaugeNone   int32 = iota // the loop has no Conn to the destination
	gaugeNew                 // never connected, never failed
	gaugeUp                  // connected
	gaugeDown                // was up once, or a connect failed
	gaugeClosed              // removed from the config
)

// loopStats are one loop's counters for one destination. Only that loop
// writes them (plain load+store, no locked instruction); any goroutine may
// read them. `stats servers` sums them over the loops.
type loopStats struct {
	gauge     atomic.Int32
	pending   atomic.Int64 // requests queued while not connected
	inflight  atomic.Int64 // requests sent, awaiting their reply
	replies   atomic.Uint64
	writes    atomic.Uint64 // writes handed to the socket (one per Conn per flush)
	latencyNs atomic.Uint64
	results   [mc.NumResults]atomic.Uint64
}

// add and addU are single-writer increments.
func add(a *atomic.Int64, d int64)    { a.Store(a.Load() + d) }
func addU(a *atomic.Uint64, d uint64) { a.Store(a.Load() + d) }

// States returns how many loops' connections to d are in each state
// (mcrouter's num_servers_new/up/down/closed count per-thread
// connections).
func (d *Destination) States() (n, up, down, closed int64) {
	d.each(func(s *destLoop) {
		switch s.stats.gauge.Load() {
		case gaugeNew:
			n++
		case gaugeUp:
			up++
		case gaugeDown:
			down++
		case gaugeClosed:
			closed++
		}
	})
	return
}

// Writes returns how many writes mcroute handed to d's sockets, over all
// loops: with requests flushed once per loop wake-up, at most one per
// wake-up of each loop.
func (d *Destination) Writes() uint64 {
	var n uint64
	d.each(func(s *destLoop) { n += s.stats.writes.Load() })
	return n
}

// Result returns how many requests to d completed with res, over all loops.
func (d *Destination) Result(res mc.Result) uint64 {
	var n uint64
	d.each(func(s *destLoop) { n += s.stats.results[res].Load() })
	return n
}

// AppendStats appends mcrouter's `stats servers` value for d (everything
// after the server key): avg_latency_us, pending_reqs, inflight_reqs,
// connection states and result counts, summed over the loops.
func (d *Destination) AppendStats(dst []byte) []byte {
	var pending, inflight int64
	var replies, lat uint64
	var results [mc.NumResults]uint64
	d.each(func(s *destLoop) {
		pending += s.stats.pending.Load()
		inflight += s.stats.inflight.Load()
		replies += s.stats.replies.Load()
		lat += s.stats.latencyNs.Load()
		for r := range results {
			results[r] += s.stats.results[r].Load()
		}
	})
	avg := 0.0
	if replies > 0 {
		avg = float64(lat) / float64(replies) / 1000
	}
	dst = append(dst, "avg_latency_us:"...)
	dst = strconv.AppendFloat(dst, avg, 'f', 3, 64)
	dst = append(dst, " pending_reqs:"...)
	dst = strconv.AppendInt(dst, max(pending, 0), 10)
	dst = append(dst, " inflight_reqs:"...)
	dst = strconv.AppendInt(dst, max(inflight, 0), 10)
	if t := d.tko; t.IsHardTKO() {
		dst = append(dst, " hard_tko;"...)
	} else if t.IsTKO() {
		dst = append(dst, " soft_tko;"...)
	}
	nw, up, down, closed := d.States()
	for _, st := range []struct {
		name string
		n    int64
	}{{"new", nw}, {"up", up}, {"down", down}, {"closed", closed}} {
		if st.n > 0 {
			dst = append(dst, ' ')
			dst = append(dst, st.name...)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, st.n, 10)
		}
	}
	sep := "; "
	for r, n := range results {
		if n == 0 {
			continue
		}
		dst = append(dst, sep...)
		sep = " "
		dst = append(dst, mc.Result(r).String()[len("mc_res_"):]...)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, n, 10)
	}
	return dst
}
