package bench

import "sync/atomic"

// request is the book-keeping for one outstanding request.
type request struct {
	start int64 // ns on the run clock: the intended send time (open loop) or the send time (closed loop)
	out   int32 // bytes of the request, for KB/s
	nkeys uint16
	op    opKind
}

// ring is the FIFO of outstanding requests of one connection, in the order
// they were written (which is the order replies come back). The sender pushes,
// the reader pops; in open loop they are different goroutines, so head and
// tail are atomics (single producer, single consumer). Keys live in a
// parallel array with a fixed stride of maxKeys per slot.
type ring struct {
	slots   []request
	keys    []int64
	maxKeys int
	mask    uint64
	head    atomic.Uint64 // next slot to pop; written by the reader
	tail    atomic.Uint64 // next slot to push; written by the sender
}

func newRing(capacity, maxKeys int) *ring {
	n := 1
	for n < capacity {
		n <<= 1
	}
	return &ring{slots: make([]request, n), keys: make([]int64, n*maxKeys), maxKeys: maxKeys, mask: uint64(n - 1)}
}

func (r *ring) len() int    { return int(r.tail.Load() - r.head.Load()) }
func (r *ring) empty() bool { return r.tail.Load() == r.head.Load() }

// slot returns the request and key storage at position i (head or tail).
func (r *ring) slot(i uint64) (*request, []int64) {
	s := int(i & r.mask)
	return &r.slots[s], r.keys[s*r.maxKeys : (s+1)*r.maxKeys]
}
