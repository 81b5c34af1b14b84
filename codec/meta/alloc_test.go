//go:build !race

package meta

import (
	"bytes"
	"testing"

	"mcroute/codec/mc"
)

// Encoding, parsing and mapping must not allocate once the parser's
// buffers have grown to the traffic's size. (The race detector allocates,
// hence the build tag.)

func TestReplyParserAllocs(t *testing.T) {
	stream := []byte("VA 5 f0 O1\r\nhello\r\nVA 2 f3 c99 t-1 kkey O2\r\nhi\r\nEN O3\r\nHD O4\r\nNF O5\r\n" +
		"NS O6\r\nEX O7\r\nVA 2 O8\r\n42\r\nSERVER_ERROR busy\r\nMN\r\nOK\r\nVERSION 1.6\r\n")
	var p ReplyParser
	run := func(chunk int) func() {
		return func() {
			for b := stream; len(b) > 0; {
				c := b[:min(chunk, len(b))]
				b = b[len(c):]
				for len(c) > 0 {
					n, ok, err := p.Parse(c)
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						ToReply(mc.OpGets, &p.Reply)
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

func TestEncodeParseAllocs(t *testing.T) {
	dst := make([]byte, 0, 4096)
	key, data := []byte("some:key"), bytes.Repeat([]byte("v"), 100)
	reqs := []mc.Request{
		{Op: mc.OpGet}, {Op: mc.OpGats, Exptime: 9}, {Op: mc.OpTouch, Exptime: 1},
		{Op: mc.OpCas, Flags: 1, Exptime: 2, Cas: 3, Value: data, Quiet: true},
		{Op: mc.OpDelete}, {Op: mc.OpDelete, HasExptime: true, Exptime: 5}, {Op: mc.OpDecr, Delta: 7},
		{Op: mc.OpFlushAll}, {Op: mc.OpVersion},
	}
	reply := []byte("VA 100 f1 c5 O1\r\n" + string(data) + "\r\n")
	var p ReplyParser
	a := testing.AllocsPerRun(100, func() {
		b := dst[:0]
		for i := range reqs {
			b = AppendRequest(b, &reqs[i], key, uint32(i))
		}
		b = AppendNoop(b)
		_ = b
		if _, ok, err := p.Parse(reply); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if r, ok := ToReply(mc.OpGets, &p.Reply); !ok || r.Result != mc.ResFound {
			t.Fatal(r, ok)
		}
	})
	if a != 0 {
		t.Errorf("%v allocations", a)
	}
}
