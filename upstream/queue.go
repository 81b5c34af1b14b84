package upstream

import "mcroute/codec/mc"

// entry is one request awaiting its reply, in send order.
type entry struct {
	cb       mc.Callback // nil once answered (timed out: an orphan awaiting its late reply)
	op       mc.Op
	key      []byte // backend key of get-like requests; the buffer is reused
	deadline int64
	timeout  int64  // reply timeout of the Server it was sent through, ns
	sent     int64  // when it was queued, for latency stats
	batchEnd bool   // last key of a coalesced get line
	opaque   uint32 // meta: the O token its reply must carry (0: sent as ASCII)
}

// queue is the FIFO of requests sent (or to be sent) on one connection: a
// ring whose length is a power of two. Entries keep their key buffers, so a
// steady state allocates nothing. Only the owning loop touches it.
type queue struct {
	ring []entry
	head int
	n    int
}

func newQueue() queue { return queue{ring: make([]entry, 64)} }

// at returns the i-th pending entry (0 is the oldest).
func (q *queue) at(i int) *entry { return &q.ring[(q.head+i)&(len(q.ring)-1)] }

// front returns the oldest entry; q must not be empty.
func (q *queue) front() *entry { return &q.ring[q.head] }

// back returns the newest entry; q must not be empty.
func (q *queue) back() *entry { return q.at(q.n - 1) }

// push appends an entry and returns it for the caller to fill.
func (q *queue) push() *entry {
	if q.n == len(q.ring) {
		ring := make([]entry, 2*len(q.ring))
		for i := 0; i < q.n; i++ {
			ring[i] = *q.at(i)
		}
		q.ring, q.head = ring, 0
	}
	e := q.at(q.n)
	q.n++
	return e
}

// pop removes the oldest entry and returns a copy of its fields (the key
// buffer stays with the ring).
func (q *queue) pop() (cb mc.Callback, batchEnd bool, sent int64) {
	e := &q.ring[q.head]
	cb, batchEnd, sent = e.cb, e.batchEnd, e.sent
	e.cb = nil
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.n--
	return
}
