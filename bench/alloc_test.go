//go:build !race

package bench

import (
	"testing"
	"time"
)

// TestHotPathDoesNotAllocate: building requests, checking replies and
// recording latencies allocate nothing in steady state.
func TestHotPathDoesNotAllocate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Threads, cfg.Clients = 1, 1
	cfg.MultiKeyGet = 3
	cfg.Pipeline = 4
	cfg.Verify = true
	c := newConn(0, &cfg, newValues(32, 32))
	// A reply stream matching whatever build produced, made once.
	var replies []byte
	c.setKeys, c.getKeys = newKeyGen(PatternSequential, 0, 9, 0, 0, 0, 1, nil), newKeyGen(PatternSequential, 0, 9, 0, 0, 0, 1, nil)
	for i := 0; i < 4; i++ {
		c.build(0)
	}
	for i := uint64(0); i < 4; i++ {
		req, keys := c.ring.slot(i)
		if req.op == opSet {
			replies = append(replies, "STORED\r\n"...)
			continue
		}
		for _, k := range keys[:req.nkeys] {
			replies = append(replies, "VALUE "...)
			replies = appendKey(replies, c.prefix, k)
			replies = append(replies, " 0 32\r\n"...)
			replies = append(replies, c.vals.of(k)...)
			replies = append(replies, "\r\n"...)
		}
		replies = append(replies, "END\r\n"...)
	}
	c.parseStream(replies)
	allocs := testing.AllocsPerRun(1000, func() {
		c.wbuf = c.wbuf[:0]
		c.ring.head.Store(0)
		c.ring.tail.Store(0)
		c.ratio.i = 0
		c.setKeys, c.getKeys = newKeyGen(PatternSequential, 0, 9, 0, 0, 0, 1, nil), newKeyGen(PatternSequential, 0, 9, 0, 0, 0, 1, nil)
		for i := 0; i < 4; i++ {
			c.build(nanotime())
		}
		c.parseStream(replies)
	})
	var h Histogram
	p := newPacer()
	defer p.close()
	allocs += testing.AllocsPerRun(100, func() {
		h.Record(12345)
		p.sleep(time.Microsecond)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per 4 requests, want 0", allocs)
	}
	if c.op[opGet].errors+c.op[opSet].errors != 0 {
		t.Fatalf("replies judged wrong: %v", c.errKinds)
	}
}

// parseStream feeds replies through the connection's reader path.
func (c *conn) parseStream(b []byte) {
	c.r, c.w = 0, copy(c.rbuf, b)
	c.parse(nanotime())
}
