package meta

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"mcroute/codec"
	"mcroute/codec/mc"
)

// Benchmarks behind MEASURE.md: the codec cost of one request (encode the
// upstream request, parse the server's reply, map it) for ASCII and meta,
// and a loopback run against a real memcached.

var (
	benchKey = []byte("user:1234567890:profile")
	benchVal = bytes.Repeat([]byte("v"), 100)
)

const benchOpaque = 123456 // a typical per-connection sequence number

type benchCase struct {
	name  string
	r     mc.Request
	ascii string // the server's ASCII reply
	meta  string // the server's meta reply
}

func benchCases() []benchCase {
	v, k, o := string(benchVal), string(benchKey), strconv.Itoa(benchOpaque)
	return []benchCase{
		{"get_hit_100B", mc.Request{Op: mc.OpGet}, "VALUE " + k + " 0 100\r\n" + v + "\r\nEND\r\n", "VA 100 f0 O" + o + "\r\n" + v + "\r\n"},
		{"get_miss", mc.Request{Op: mc.OpGet}, "END\r\n", "EN O" + o + "\r\n"},
		{"set_100B", mc.Request{Op: mc.OpSet, Exptime: 3600, Value: benchVal}, "STORED\r\n", "HD O" + o + "\r\n"},
		{"delete", mc.Request{Op: mc.OpDelete}, "DELETED\r\n", "HD O" + o + "\r\n"},
		{"incr", mc.Request{Op: mc.OpIncr, Delta: 1}, "15\r\n", "VA 2 O" + o + "\r\n15\r\n"},
	}
}

// BenchmarkCodec measures encode + parse (+ ToReply for meta) of one
// request and its reply, and reports the bytes both put on the wire.
func BenchmarkCodec(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name+"/ascii", func(b *testing.B) {
			reply := []byte(c.ascii)
			dst := make([]byte, 0, 512)
			var p codec.ReplyParser
			b.ReportAllocs()
			for b.Loop() {
				dst = codec.AppendRequest(dst[:0], &c.r, benchKey)
				for buf := reply; len(buf) > 0; {
					n, _, err := p.Parse(buf)
					if err != nil {
						b.Fatal(err)
					}
					buf = buf[n:]
				}
			}
			b.ReportMetric(float64(len(codec.AppendRequest(nil, &c.r, benchKey))+len(reply)), "wire-B/op")
		})
		b.Run(c.name+"/meta", func(b *testing.B) {
			reply := []byte(c.meta)
			dst := make([]byte, 0, 512)
			var p ReplyParser
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendRequest(dst[:0], &c.r, benchKey, benchOpaque)
				_, ok, err := p.Parse(reply)
				if !ok || err != nil {
					b.Fatal(ok, err)
				}
				if _, ok := ToReply(c.r.Op, &p.Reply); !ok || p.Reply.Opaque != benchOpaque {
					b.Fatal("bad reply")
				}
			}
			b.ReportMetric(float64(len(AppendRequest(nil, &c.r, benchKey, benchOpaque))+len(reply)), "wire-B/op")
		})
	}
}

// cpuTicks returns a process's user+system CPU time in clock ticks
// (1/100 s on Linux) from /proc/<pid>/stat.
func cpuTicks(tb testing.TB, pid int) int64 {
	s, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Skip("no /proc: ", err)
	}
	f := strings.Fields(string(s[bytes.LastIndexByte(s, ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

const depth = 16 // requests in flight on the connection

// BenchmarkLoopback sends b.N requests over one loopback connection to a
// real memcached, depth at a time (write a batch, read its replies), in
// ASCII and in meta, and reports the memcached process's CPU time per
// request (srv-ns/op, 10 ms resolution: run with -benchtime=100000x).
// Encoding and parsing are included; no mcroute. meta-quiet sends sets
// with q and one mn per batch.
func BenchmarkLoopback(b *testing.B) {
	addr, proc := startMemcached(b)
	seed := dial(b, addr)
	var sp codec.ReplyParser
	for _, r := range []mc.Request{{Op: mc.OpSet, Value: benchVal}, {Op: mc.OpSet, Value: []byte("0")}} {
		key := benchKey
		if len(r.Value) == 1 {
			key = []byte("counter")
		}
		seed.write(codec.AppendRequest(nil, &r, key))
		seed.asciiReply(&sp, r.Op)
	}
	type variant struct {
		name  string
		r     mc.Request
		key   []byte
		proto string
	}
	var vs []variant
	for _, c := range []struct {
		name string
		r    mc.Request
		key  string
	}{
		{"get_hit_100B", mc.Request{Op: mc.OpGet}, string(benchKey)},
		{"get_miss", mc.Request{Op: mc.OpGet}, "user:1234567890:missing"},
		{"set_100B", mc.Request{Op: mc.OpSet, Exptime: 3600, Value: benchVal}, "user:1234567890:other"},
		{"delete_miss", mc.Request{Op: mc.OpDelete}, "user:1234567890:missing"},
		{"incr", mc.Request{Op: mc.OpIncr, Delta: 1}, "counter"},
	} {
		for _, proto := range []string{"ascii", "meta"} {
			vs = append(vs, variant{c.name + "/" + proto, c.r, []byte(c.key), proto})
		}
		if c.r.Op == mc.OpSet {
			q := c.r
			q.Quiet = true
			vs = append(vs, variant{c.name + "/meta-quiet", q, []byte(c.key), "meta"})
		}
	}
	for _, v := range vs {
		b.Run(v.name, func(b *testing.B) {
			c := dial(b, addr)
			var ap codec.ReplyParser
			var mp ReplyParser
			out := make([]byte, 0, 64<<10)
			var opaque uint32
			b.ReportAllocs()
			t0 := cpuTicks(b, proc.Pid)
			b.ResetTimer()
			for done := 0; done < b.N; {
				k := min(depth, b.N-done)
				out = out[:0]
				for i := 0; i < k; i++ {
					if v.proto == "ascii" {
						out = codec.AppendRequest(out, &v.r, v.key)
					} else {
						opaque++
						out = AppendRequest(out, &v.r, v.key, opaque)
					}
				}
				if v.r.Quiet {
					out = AppendNoop(out)
				}
				c.write(out)
				switch {
				case v.proto == "ascii":
					for i := 0; i < k; i++ {
						c.asciiReply(&ap, v.r.Op)
					}
				case v.r.Quiet:
					for c.next(mp.Parse, nil); mp.Reply.Kind != KindMN; c.next(mp.Parse, nil) {
					}
				default:
					for i := 0; i < k; i++ {
						c.next(mp.Parse, nil)
						if _, ok := ToReply(v.r.Op, &mp.Reply); !ok {
							b.Fatalf("%v cannot answer %v", mp.Reply.Kind, v.r.Op)
						}
					}
				}
				done += k
			}
			b.StopTimer()
			ticks := cpuTicks(b, proc.Pid) - t0
			b.ReportMetric(float64(ticks)*1e7/float64(b.N), "srv-ns/op")
		})
	}
}
