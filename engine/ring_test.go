package engine

import "testing"

// TestSlotRingBoundedByInFlight: a pipelining client that always has a
// request in flight pushes and pops forever; the FIFO's storage follows
// what is in flight, not how many requests were ever sent (it used to
// grow by one entry per request until it drained completely).
func TestSlotRingBoundedByInFlight(t *testing.T) {
	var r slotRing
	var pool ringPool
	sl := make([]*slot, 4)
	for i := range sl {
		sl[i] = &slot{}
	}
	for i := 0; i < 3; i++ {
		r.push(sl[i], &pool)
	}
	for i := 0; i < 1_000_000; i++ {
		if got := r.pop(&pool); got != sl[i%4] {
			t.Fatalf("pop %d: wrong slot", i)
		}
		r.push(sl[(i+3)%4], &pool)
	}
	if r.len() != 3 || len(r.buf) > 8 {
		t.Fatalf("len %d, storage %d entries after 1e6 requests with 3 in flight", r.len(), len(r.buf))
	}
	// Growth keeps order; a big ring is given back once empty.
	for i := 0; i < 5000; i++ {
		r.push(sl[i%4], &pool)
	}
	for i := 0; i < 3; i++ {
		if r.pop(&pool) != sl[(1_000_000+i)%4] {
			t.Fatal("order lost when growing")
		}
	}
	for r.len() > 0 {
		r.pop(&pool)
	}
	if r.buf != nil {
		t.Fatalf("empty ring keeps %d entries", len(r.buf))
	}
	if pool.entries != 0 {
		t.Fatalf("pool keeps a %d-entry array", pool.entries)
	}
}

// TestSlotRingLentByPool: an empty ring holds no array; the array goes
// back to the loop's pool and the next push takes it again, so a
// connection that goes idle and busy again allocates nothing.
func TestSlotRingLentByPool(t *testing.T) {
	var r slotRing
	var pool ringPool
	s := &slot{}
	r.push(s, &pool)
	r.pop(&pool)
	if r.buf != nil || len(pool.free) != 1 {
		t.Fatalf("empty ring: buf %d entries, pool %d arrays", len(r.buf), len(pool.free))
	}
	if n := testing.AllocsPerRun(1000, func() {
		r.push(s, &pool)
		r.push(s, &pool)
		r.pop(&pool)
		r.pop(&pool)
	}); n != 0 {
		t.Fatalf("%v allocs per busy/idle cycle", n)
	}
	// The pool is bounded in entries.
	for i := 0; i < 2*ringPoolMax/ringMin; i++ {
		pool.put(make([]*slot, ringMin))
	}
	if pool.entries > ringPoolMax {
		t.Fatalf("pool holds %d entries", pool.entries)
	}
}
