package engine_test

import (
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestBusyLoopYields: a loop under steady traffic passes through the Go
// scheduler every engine.LoopYieldEvery (so that sysmon never finds its P
// 10 ms on one scheduling tick and takes it, RUNTIME.md), and never more
// often: not once per wake-up. It yields only after the batch's writes
// (a yield costs 14 µs at the median, PERF.md "p99 on A"), never with a
// reply still to write.
func TestBusyLoopYields(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set y 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	start := time.Now()
	y0, w0, u0 := p.E.LoopYields(), p.E.LoopWakeups(), p.E.LoopYieldsUnwritten()
	n := 0
	for ; time.Since(start) < 8*engine.LoopYieldEvery || n < 100; n++ {
		if got := c.Do("get y\r\n"); got != "VALUE y 0 1\r\nv\r\nEND\r\n" {
			t.Fatalf("request %d: %q", n, got)
		}
	}
	y, w, u := p.E.LoopYields()-y0, p.E.LoopWakeups()-w0, p.E.LoopYieldsUnwritten()-u0
	elapsed := time.Since(start)
	t.Logf("%d requests in %v: %d wake-ups, %d yields", n, elapsed, w, y)
	if y < 2 {
		t.Errorf("%d yields in %v of traffic, want at least 2 (one per %v)", y, elapsed, engine.LoopYieldEvery)
	}
	if most := uint64(elapsed/engine.LoopYieldEvery) + 1; y > most {
		t.Errorf("%d yields in %v, want at most %d (one per %v)", y, elapsed, most, engine.LoopYieldEvery)
	}
	if u != 0 {
		t.Errorf("%d of %d yields were taken with replies not yet written: want none (yield after the batch's writes)", u, y)
	}
	if y >= w {
		t.Errorf("%d yields in %d wake-ups: want fewer than one per wake-up", y, w)
	}
}
