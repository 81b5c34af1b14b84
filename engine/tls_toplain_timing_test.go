package engine_test

import (
	"bytes"
	"net"
	"strconv"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/tlsconn"
)

// BenchmarkToPlainVsPlain: a connection that negotiated tls_to_plain on
// the TLS port (the path a kTLS-offloaded connection takes too: the
// session reads and writes the socket directly) against a plain one.
// cpu-ns/op is the whole process's CPU (client included) per get.
func BenchmarkToPlainVsPlain(b *testing.B) {
	m := mctest.StartMemcached(b)
	p := startTLSProxy(b, poolConfig(m.Addr), tlsconn.ServerOptions{}, engine.Options{NumLoops: 1})
	mctest.Dial(b, p.Plain).Do("set a 0 0 5\r\nhello\r\n")
	one := []byte("get a\r\n")
	reply := []byte("VALUE a 0 5\r\nhello\r\nEND\r\n")
	for _, depth := range []int{1, 16} {
		req, want := bytes.Repeat(one, depth), bytes.Repeat(reply, depth)
		for _, path := range []string{"plain", "tls_to_plain"} {
			b.Run(path+"/depth="+strconv.Itoa(depth), func(b *testing.B) {
				var c net.Conn
				if path == "plain" {
					var err error
					if c, err = net.Dial("tcp", p.Plain); err != nil {
						b.Fatal(err)
					}
				} else {
					c, _ = dialToPlain(b, p, p.pki.client)
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
		}
	}
}
