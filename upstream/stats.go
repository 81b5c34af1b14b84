package upstream

import (
	"mcroute/codec/mc"
	"strconv"
	"sync/atomic"
)

// ServerStats are one Server's counters, shared by the Conns of every
// loop (atomics: written on the loops, read by `stats` from any
// goroutine). They follow mcrouter's `stats servers` line.
type ServerStats struct {
	// Conns per state: a Conn is counted in exactly one of them.
	New, Up, Down, Closed atomic.Int64
	// Pending counts requests queued while connecting; Inflight requests
	// sent and awaiting their reply (timed-out ones included until their
	// late reply or the connection's end).
	Pending, Inflight atomic.Int64
	// Replies and their total latency, for avg_latency_us.
	Replies   atomic.Uint64
	LatencyNs atomic.Uint64
	// Results counts the results delivered to requests, by mc.Result.
	Results [mc.NumResults]atomic.Uint64
}

// AppendLine appends mcrouter's `stats servers` value for s (everything
// after the server key): avg_latency_us, pending_reqs, inflight_reqs,
// connection states and result counts.
func (s *ServerStats) AppendLine(dst []byte) []byte {
	avg := 0.0
	if n := s.Replies.Load(); n > 0 {
		avg = float64(s.LatencyNs.Load()) / float64(n) / 1000
	}
	dst = append(dst, "avg_latency_us:"...)
	dst = strconv.AppendFloat(dst, avg, 'f', 3, 64)
	dst = append(dst, " pending_reqs:"...)
	dst = strconv.AppendInt(dst, max(s.Pending.Load(), 0), 10)
	dst = append(dst, " inflight_reqs:"...)
	dst = strconv.AppendInt(dst, max(s.Inflight.Load(), 0), 10)
	for _, st := range []struct {
		name string
		n    int64
	}{{"new", s.New.Load()}, {"up", s.Up.Load()}, {"down", s.Down.Load()}, {"closed", s.Closed.Load()}} {
		if st.n > 0 {
			dst = append(dst, ' ')
			dst = append(dst, st.name...)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, st.n, 10)
		}
	}
	sep := "; "
	for r := range s.Results {
		n := s.Results[r].Load()
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

// gauge returns the state gauge c is counted in: up, closed, down (it was
// up once or a connect failed), or new.
func (c *Conn) gauge() *atomic.Int64 {
	s := c.srv.Stats
	switch {
	case c.state == stateUp:
		return &s.Up
	case c.state == stateClosed:
		return &s.Closed
	case c.everUp || c.failed:
		return &s.Down
	}
	return &s.New
}
