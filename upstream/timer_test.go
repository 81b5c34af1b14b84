package upstream

import (
	"math"
	"strings"
	"testing"
	"time"
)

type recTimer struct {
	name string
	log  *[]string
}

func (r recTimer) OnTimer() { *r.log = append(*r.log, r.name) }

func TestTimersFireInOrder(t *testing.T) {
	l := NewLoop(nil, Options{TKO: noTKO})
	var log []string
	base := l.now
	for _, d := range []int{50, 10, 30, 20, 40, 10} {
		l.After(time.Duration(d)*time.Millisecond, recTimer{name: time.Duration(d * int(time.Millisecond)).String(), log: &log})
	}
	if got := l.NextTimer(); got != base+int64(10*time.Millisecond) {
		t.Fatalf("next timer %d, want %d", got-base, 10*time.Millisecond)
	}
	l.Sweep(base + int64(25*time.Millisecond))
	if g := strings.Join(log, " "); g != "10ms 10ms 20ms" {
		t.Fatal(g)
	}
	l.Sweep(base + int64(time.Second))
	if g := strings.Join(log, " "); g != "10ms 10ms 20ms 30ms 40ms 50ms" {
		t.Fatal(g)
	}
	if l.NextTimer() != math.MaxInt64 {
		t.Fatal("no timer should be pending")
	}
}
