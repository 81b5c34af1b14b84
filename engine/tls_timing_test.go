package engine_test

import (
	"bytes"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/tlsconn"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTLSvsPlain: a get (20 B request, 35 B reply) through mcroute
// to memcached, one at a time and 16 pipelined, over plaintext and over
// TLS 1.3 (the in-loop record layer). cpu-ns/op is the CPU of this whole
// process per request: mcroute and the client, which does the same
// crypto as the proxy over TLS (memcached is another process).
func BenchmarkTLSvsPlain(b *testing.B) {
	m := mctest.StartMemcached(b)
	p := startTLSProxy(b, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{NumLoops: 1})
	mctest.Dial(b, p.Plain).Do("set a 0 0 5\r\nhello\r\n")
	one := []byte("get a\r\n")
	reply := []byte("VALUE a 0 5\r\nhello\r\nEND\r\n")
	for _, depth := range []int{1, 16} {
		req := bytes.Repeat(one, depth)
		want := bytes.Repeat(reply, depth)
		b.Run("plain/depth="+strconv.Itoa(depth), func(b *testing.B) {
			c, err := net.Dial("tcp", p.Plain)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, 64<<10)
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuNow()
			for i := 0; i < b.N; i += depth {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < len(want); {
					n, err := c.Read(buf)
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
			b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
		})
		b.Run("tls13/depth="+strconv.Itoa(depth), func(b *testing.B) {
			rc := dialRecordClient(b, p)
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuNow()
			for i := 0; i < b.N; i += depth {
				got, err := rc.do(req, len(want))
				if err != nil || !bytes.Equal(got, want) {
					b.Fatal(err)
				}
				rc.c.Consume(-1)
			}
			b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
