//go:build !race

package codec

import (
	"bytes"
	"mcroute/codec/mc"
	"testing"
)

// The hot path must not allocate once a parser's buffers have grown to the
// traffic's size. (The race detector allocates, hence the build tag.)

func TestParserAllocs(t *testing.T) {
	stream := []byte("get a\r\nget k1 k2 k3 k4 k5 k6 k7 k8 k9 k10\r\nset key 0 0 5\r\nhello\r\n" +
		"gets x y\r\ndelete k\r\nincr n 1\r\ncas k 0 0 1 5 noreply\nx\n")
	var p Parser
	run := func(chunk int) func() {
		return func() {
			for b := stream; len(b) > 0; {
				c := b[:min(chunk, len(b))]
				b = b[len(c):]
				for len(c) > 0 {
					n, _, err := p.Parse(c)
					if err != nil {
						t.Fatal(err)
					}
					c = c[n:]
				}
			}
		}
	}
	for _, chunk := range []int{len(stream), 7, 1} {
		run(chunk)() // grow the buffers
		if a := testing.AllocsPerRun(100, run(chunk)); a != 0 {
			t.Errorf("chunks of %d: %v allocations per stream", chunk, a)
		}
	}
}

func TestReplyParserAllocs(t *testing.T) {
	stream := []byte("VALUE a 0 5\r\nhello\r\nVALUE b 3 2 99\r\nhi\r\nEND\r\nSTORED\r\nNOT_FOUND\r\n" +
		"42\r\nSERVER_ERROR busy\r\nSTAT pid 1\r\nVERSION 1.6\r\nDELETED\r\n")
	var p ReplyParser
	run := func(chunk int) func() {
		return func() {
			for b := stream; len(b) > 0; {
				c := b[:min(chunk, len(b))]
				b = b[len(c):]
				for len(c) > 0 {
					n, _, err := p.Parse(c)
					if err != nil {
						t.Fatal(err)
					}
					c = c[n:]
				}
			}
		}
	}
	for _, chunk := range []int{len(stream), 7, 1} {
		run(chunk)()
		if a := testing.AllocsPerRun(100, run(chunk)); a != 0 {
			t.Errorf("chunks of %d: %v allocations per stream", chunk, a)
		}
	}
}

func TestEncodeAllocs(t *testing.T) {
	dst := make([]byte, 0, 4096)
	key, data := []byte("some:key"), bytes.Repeat([]byte("v"), 100)
	r := &Request{Op: mc.OpCas, Keys: [][]byte{key}, Flags: 1, Exptime: 2, Cas: 3, Value: data}
	a := testing.AllocsPerRun(100, func() {
		b := dst[:0]
		b = AppendValue(b, key, 7, data, 99, true)
		b = append(b, End...)
		b = AppendNumber(b, 12345)
		b = AppendReplyLine(b, ReplyClientError, []byte("bad key"))
		b = AppendStat(b, key, key)
		b = AppendGetStart(b, mc.OpGat, 100)
		b = AppendKey(b, key)
		b = AppendCRLF(b)
		sr := r.Single(key)
		b = AppendRequest(b, &sr, key)
		b = AppendFlushAll(b, &sr)
		b = AppendVersion(b)
		_ = b
	})
	if a != 0 {
		t.Errorf("%v allocations", a)
	}
}
