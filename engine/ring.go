package engine

// slotRing is a session's FIFO of slots: a ring whose size follows what is
// in flight, not how many requests the connection has ever sent. It grows
// by doubling when full. Its array is lent by the loop (ringPool): an
// empty ring holds none, so an idle connection costs no ring memory, and
// a busy one takes the array back from the pool without allocating.
type slotRing struct {
	buf  []*slot // len is 0 or a power of two
	head int32
	n    int32
}

// ringRetain is the largest ring array kept in the pool once a ring empties.
const ringRetain = 1024

func (r *slotRing) len() int { return int(r.n) }

// push appends sl at the tail, taking an array from pool when r has none.
func (r *slotRing) push(sl *slot, pool *ringPool) {
	if int(r.n) == len(r.buf) {
		r.grow(pool)
	}
	r.buf[(int(r.head)+int(r.n))&(len(r.buf)-1)] = sl
	r.n++
}

func (r *slotRing) grow(pool *ringPool) {
	if len(r.buf) == 0 {
		r.buf, r.head = pool.get(), 0
		return
	}
	buf := make([]*slot, 2*len(r.buf))
	for i := 0; i < int(r.n); i++ {
		buf[i] = r.buf[(int(r.head)+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = buf, 0
}

// front returns the oldest slot; the ring must not be empty.
func (r *slotRing) front() *slot { return r.buf[r.head] }

// back returns the newest slot; the ring must not be empty.
func (r *slotRing) back() *slot { return r.buf[(int(r.head)+int(r.n)-1)&(len(r.buf)-1)] }

// pop removes and returns the oldest slot; the ring must not be empty.
// The ring's array goes back to pool once the ring is empty.
func (r *slotRing) pop(pool *ringPool) *slot {
	sl := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = int32((int(r.head) + 1) & (len(r.buf) - 1))
	r.n--
	if r.n == 0 {
		pool.put(r.buf)
		r.buf, r.head = nil, 0
	}
	return sl
}

// ringPool is a loop's free list of ring arrays (all entries nil). It
// holds at most ringPoolMax entries in all, so a burst of deep pipelines
// does not pin its rings afterwards.
type ringPool struct {
	free    [][]*slot
	entries int
}

const (
	ringMin     = 8
	ringPoolMax = 16 << 10 // entries: 128 KiB of arrays per loop
)

func (p *ringPool) get() []*slot {
	if n := len(p.free); n > 0 {
		buf := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.entries -= len(buf)
		return buf
	}
	return make([]*slot, ringMin)
}

func (p *ringPool) put(buf []*slot) {
	if len(buf) > ringRetain || p.entries+len(buf) > ringPoolMax {
		return
	}
	p.entries += len(buf)
	p.free = append(p.free, buf)
}

// at returns the i-th slot from the front (0 ≤ i < len).
func (r *slotRing) at(i int) *slot { return r.buf[(int(r.head)+i)&(len(r.buf)-1)] }
