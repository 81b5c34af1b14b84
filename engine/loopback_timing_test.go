package engine_test

import (
	"io"
	"net"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// BenchmarkLoopback measures get and set round trips over loopback, the
// same requests sent to memcached directly and through mcroute in the same
// run, so the difference is mcroute's cost. "serial" is one connection, one
// request at a time (latency); "parallel" is GOMAXPROCS×4 connections
// (throughput on this machine, generator included).
func BenchmarkLoopback(b *testing.B) {
	m := mctest.StartMemcached(b)
	p := startProxy(b, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	targets := []struct{ name, addr string }{{"direct", m.Addr}, {"mcroute", p.Addr}}
	setup := mctest.Dial(b, m.Addr)
	setup.Do("set bench:key 0 0 100\r\n" + string(make([]byte, 100)) + "\r\n")
	getReq := []byte("get bench:key\r\n")
	getLen := len(setup.Do(string(getReq)))
	setReq := []byte("set bench:key2 0 0 100\r\n" + string(make([]byte, 100)) + "\r\n")
	setLen := len("STORED\r\n")
	for _, tg := range targets {
		for _, op := range []struct {
			name string
			req  []byte
			n    int
		}{{"get", getReq, getLen}, {"set", setReq, setLen}} {
			b.Run(tg.name+"/"+op.name+"/serial", func(b *testing.B) {
				c, err := net.Dial("tcp", tg.addr)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				buf := make([]byte, op.n)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Write(op.req); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(tg.name+"/"+op.name+"/parallel", func(b *testing.B) {
				b.SetParallelism(4)
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					c, err := net.Dial("tcp", tg.addr)
					if err != nil {
						b.Error(err)
						return
					}
					defer c.Close()
					buf := make([]byte, op.n)
					for pb.Next() {
						if _, err := c.Write(op.req); err != nil {
							b.Error(err)
							return
						}
						if _, err := io.ReadFull(c, buf); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
