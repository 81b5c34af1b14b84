package upstream

import (
	"math"
	"time"
)

// Timer is work scheduled on a loop with Loop.After.
type Timer interface {
	// OnTimer runs on the loop, at or after the time asked for (the loop
	// sleeps until its earliest deadline, Loop.Deadline; precision is
	// about a millisecond).
	OnTimer()
}

type timerEntry struct {
	at int64
	t  Timer
}

// timerHeap is a min-heap by at; its slice is reused, so scheduling does
// not allocate once it has grown.
type timerHeap []timerEntry

func (h *timerHeap) push(e timerEntry) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *timerHeap) pop() timerEntry {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timerEntry{}
	s = s[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s[l].at < s[m].at {
			m = l
		}
		if r < n && s[r].at < s[m].at {
			m = r
		}
		if m == i {
			break
		}
		s[m], s[i] = s[i], s[m]
		i = m
	}
	*h = s
	return top
}

// After runs t.OnTimer on this loop after d. Must be called on the loop.
func (l *Loop) After(d time.Duration, t Timer) {
	at := l.now + int64(d)
	l.timers.push(timerEntry{at: at, t: t})
}

// NextTimer returns when the loop's earliest timer is due (Now() time
// base), or math.MaxInt64 when none is pending. Loop goroutine only.
func (l *Loop) NextTimer() int64 {
	if len(l.timers) == 0 {
		return math.MaxInt64
	}
	return l.timers[0].at
}

// fireTimers runs every timer due at now.
func (l *Loop) fireTimers(now int64) {
	for len(l.timers) > 0 && l.timers[0].at <= now {
		e := l.timers.pop()
		e.t.OnTimer()
	}
}
