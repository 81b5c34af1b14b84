package engine

import "testing"

// TestSlotRingBoundedByInFlight: a pipelining client that always has a
// request in flight pushes and pops forever; the FIFO's storage follows
// what is in flight, not how many requests were ever sent (it used to
// grow by one entry per request until it drained completely).
func TestSlotRingBoundedByInFlight(t *testing.T) {
	var r slotRing
	sl := make([]*slot, 4)
	for i := range sl {
		sl[i] = &slot{}
	}
	for i := 0; i < 3; i++ {
		r.push(sl[i])
	}
	for i := 0; i < 1_000_000; i++ {
		if got := r.pop(); got != sl[i%4] {
			t.Fatalf("pop %d: wrong slot", i)
		}
		r.push(sl[(i+3)%4])
	}
	if r.len() != 3 || len(r.buf) > 8 {
		t.Fatalf("len %d, storage %d entries after 1e6 requests with 3 in flight", r.len(), len(r.buf))
	}
	// Growth keeps order; a big ring is given back once empty.
	for i := 0; i < 5000; i++ {
		r.push(sl[i%4])
	}
	for i := 0; i < 3; i++ {
		if r.pop() != sl[(1_000_000+i)%4] {
			t.Fatal("order lost when growing")
		}
	}
	for r.len() > 0 {
		r.pop()
	}
	if r.buf != nil {
		t.Fatalf("empty ring keeps %d entries", len(r.buf))
	}
}
