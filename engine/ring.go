package engine

// slotRing is a session's FIFO of slots: a ring whose size follows what is
// in flight, not how many requests the connection has ever sent. It grows
// by doubling when full and gives back a big array once it empties.
type slotRing struct {
	buf  []*slot // len is 0 or a power of two
	head int
	n    int
}

// ringRetain is the largest ring kept once it is empty again.
const ringRetain = 1024

func (r *slotRing) len() int { return r.n }

// push appends sl at the tail.
func (r *slotRing) push(sl *slot) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = sl
	r.n++
}

func (r *slotRing) grow() {
	size := max(8, 2*len(r.buf))
	buf := make([]*slot, size)
	for i := 0; i < r.n; i++ {
		buf[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = buf, 0
}

// front returns the oldest slot; the ring must not be empty.
func (r *slotRing) front() *slot { return r.buf[r.head] }

// back returns the newest slot; the ring must not be empty.
func (r *slotRing) back() *slot { return r.buf[(r.head+r.n-1)&(len(r.buf)-1)] }

// pop removes and returns the oldest slot; the ring must not be empty.
func (r *slotRing) pop() *slot {
	sl := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	if r.n == 0 {
		r.head = 0
		if len(r.buf) > ringRetain {
			r.buf = nil
		}
	}
	return sl
}
