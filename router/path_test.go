package router_test

import (
	"fmt"
	"testing"
	"time"

	"mcroute/codec"
	"mcroute/codec/mc"
	"mcroute/router"
	"mcroute/upstream"
	"mcroute/upstream/upstreamtest"
)

// pipe is parse → route → send → server reply → encode, with fake server
// connections, so the whole request path runs without sockets.
type pipe struct {
	ctx   *router.Ctx
	fakes []*upstreamtest.FakeConn
	p     codec.Parser
	req   mc.Request
	out   []byte
	key   []byte
}

func (p *pipe) OnReply(rep *mc.Reply) {
	switch rep.Result {
	case mc.ResFound:
		p.out = codec.AppendValue(p.out, p.key, rep.Flags, rep.Value, rep.Cas, false)
	case mc.ResStored:
		p.out = append(p.out, "STORED\r\n"...)
	default:
		p.out = append(p.out, rep.Result.String()...)
	}
}

func newPipe(t testing.TB, n int) *pipe {
	t.Helper()
	servers := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			servers += ","
		}
		servers += fmt.Sprintf(`"127.0.0.1:%d"`, 20000+i)
	}
	cfg, err := router.Build("", []byte(`{"pools":{"A":{"servers":[`+servers+`]}},"route":"PoolRoute|A"}`), router.Options{ServerTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	up := upstream.NewLoop(nil, upstream.Options{})
	p := &pipe{ctx: router.NewCtx(up, cfg)}
	for _, c := range p.ctx.Conns() {
		f := &upstreamtest.FakeConn{}
		c.Attach(f)
		p.fakes = append(p.fakes, f)
	}
	return p
}

// roundTrip runs one client request through the path and answers it from
// the fake server with reply. It returns the encoded client reply.
func (p *pipe) roundTrip(in []byte, reply string) []byte {
	p.out = p.out[:0]
	_, ok, err := p.p.Parse(in)
	if !ok || err != nil {
		panic(fmt.Sprint("parse: ", ok, err))
	}
	r := &p.p.Req
	p.key = append(p.key[:0], r.Keys[0]...)
	p.req = mc.Request{Op: r.Op, Flags: r.Flags, Exptime: r.Exptime, Key: p.key, Value: r.Value}
	p.ctx.Cfg.Root.Route(p.ctx, &p.req, p)
	p.ctx.Up.Flush()
	for i, f := range p.fakes {
		if f.Out.Len() > 0 {
			f.Out.Reset()
			f.In.WriteString(reply)
			p.ctx.Conn(i).OnTraffic(f)
		}
	}
	return p.out
}

func TestPathGetAndSet(t *testing.T) {
	p := newPipe(t, 3)
	if got := string(p.roundTrip([]byte("get foo\r\n"), "VALUE foo 3 2\r\nhi\r\nEND\r\n")); got != "VALUE foo 3 2\r\nhi\r\n" {
		t.Fatalf("get: %q", got)
	}
	if got := string(p.roundTrip([]byte("set foo 0 0 2\r\nhi\r\n"), "STORED\r\n")); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
}

func BenchmarkPathGet(b *testing.B) {
	p := newPipe(b, 3)
	in := []byte("get user:12345:profile\r\n")
	reply := "VALUE user:12345:profile 0 5\r\nhello\r\nEND\r\n"
	b.ReportAllocs()
	for b.Loop() {
		p.roundTrip(in, reply)
	}
}

func BenchmarkPathSet(b *testing.B) {
	p := newPipe(b, 3)
	in := []byte("set user:12345:profile 0 0 100\r\n" + string(make([]byte, 100)) + "\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p.roundTrip(in, "STORED\r\n")
	}
}

func BenchmarkRouteOnly(b *testing.B) {
	p := newPipe(b, 10)
	p.key = []byte("user:12345:profile")
	p.req = mc.Request{Op: mc.OpGet, Key: p.key}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.ctx.Cfg.Root.Route(p.ctx, &p.req, p)
		if i%64 == 63 {
			// keep the pending queues short: answer everything as misses
			p.ctx.Up.Flush()
			for j, f := range p.fakes {
				if f.Out.Len() > 0 {
					f.Out.Reset()
					f.In.WriteString("END\r\n")
					p.ctx.Conn(j).OnTraffic(f)
				}
			}
		}
	}
}
