//go:build !race

package router_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"mcroute/codec/mc"
	"mcroute/upstream"
)

// serverReply writes into in a server's answer to sent, the bytes server
// conn got.
type serverReply func(conn int, sent []byte, in *bytes.Buffer)

// failoverTrip is roundTrip (path_test.go) for routes that send more than
// once in a row (failover, miss failover) or wait on loop timers: it
// flushes, answers every server that got something and advances the loop
// clock by step until the client is answered.
func (p *pipe) failoverTrip(in []byte, reply serverReply, now *int64, step time.Duration) []byte {
	p.out = p.out[:0]
	_, ok, err := p.p.Parse(in)
	if !ok || err != nil {
		panic(fmt.Sprint("parse: ", ok, err))
	}
	r := &p.p.Req
	p.key = append(p.key[:0], r.Keys[0]...)
	p.req = mc.Request{Op: r.Op, Flags: r.Flags, Exptime: r.Exptime, Key: p.key, Value: r.Value}
	p.ctx.Cfg.Root.Route(p.ctx, &p.req, p)
	for round := 0; len(p.out) == 0; round++ {
		if round == 10 {
			panic("no reply after 10 rounds")
		}
		*now += int64(step)
		p.ctx.Up.Sweep(*now)
		p.ctx.Up.Flush()
		for i, f := range p.fakes {
			if f.Out.Len() > 0 {
				reply(i, f.Out.Bytes(), &f.In)
				f.Out.Reset()
				p.ctx.Conn(i).OnTraffic(f)
			}
		}
	}
	return p.out
}

// TestFailoverAllocs: requests that fail over (an error from the first
// child, then a PoolRoute through fake server connections), miss over, or
// have their key or exptime rewritten, or wait on loop timers, allocate
// nothing in steady state.
func TestFailoverAllocs(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:22001","127.0.0.1:22002","127.0.0.1:22003"]},"B":{"servers":["127.0.0.1:22004"]}}`
	get := []byte("get user:12345:profile|#|x\r\n")
	wantHit := "VALUE user:12345:profile|#|x 0 5\r\nhello\r\n"
	set := []byte("set user:12345:profile|#|x 0 0 5\r\nhello\r\n")
	// hit answers "get <key>\r\n" with a value for the key it got (routes
	// may have changed it).
	hit := func(_ int, sent []byte, in *bytes.Buffer) {
		in.WriteString("VALUE ")
		in.Write(sent[len("get ") : len(sent)-2])
		in.WriteString(" 0 5\r\nhello\r\nEND\r\n")
	}
	stored := func(_ int, _ []byte, in *bytes.Buffer) { in.WriteString("STORED\r\n") }
	// Pool A misses, pool B (conn 3) hits.
	missThenHit := func(conn int, sent []byte, in *bytes.Buffer) {
		if conn < 3 {
			in.WriteString("END\r\n")
			return
		}
		hit(conn, sent, in)
	}
	for _, tc := range []struct {
		name, route string
		getReply    serverReply
		step        time.Duration
	}{
		{"FailoverRoute", `{"type":"FailoverRoute","children":["ErrorRoute","PoolRoute|A"]}`, hit, 0},
		{"FailoverRoute with tag, limit, LeastFailures", `{"type":"FailoverRoute","children":["ErrorRoute","ErrorRoute|x","PoolRoute|A"],"failover_tag":true,"failover_limit":{"rate":1},"failover_policy":{"type":"LeastFailuresPolicy","max_tries":3}}`, hit, 0},
		{"FailoverRoute with DeterministicOrderPolicy", `{"type":"FailoverRoute","children":["ErrorRoute","ErrorRoute|x","PoolRoute|A"],"failover_policy":{"type":"DeterministicOrderPolicy","max_tries":3,"max_error_tries":3}}`, hit, 0},
		{"FailoverWithExptimeRoute", `{"type":"FailoverWithExptimeRoute","normal":"ErrorRoute","failover":"PoolRoute|A"}`, hit, 0},
		{"MissFailoverRoute", `{"type":"MissFailoverRoute","children":["PoolRoute|A","PoolRoute|B"],"return_best_on_error":true}`, missThenHit, 0},
		{"ModifyKeyRoute", `{"type":"ModifyKeyRoute","target":"PoolRoute|A","set_routing_prefix":"/a/b/","ensure_key_prefix":"p:","set_key_suffix":":s"}`, hit, 0},
		{"ModifyExptimeRoute", `{"type":"ModifyExptimeRoute","target":"PoolRoute|A","exptime":10}`, hit, 0},
		{"LatencyInjectionRoute", `{"type":"LatencyInjectionRoute","child":"PoolRoute|A","before_latency_ms":1,"after_latency_ms":1,"total_latency_ms":5}`, hit, 2 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newConfigPipe(t, `{`+pools+`,"route":`+tc.route+`}`)
			now := upstream.Now()
			p.ctx.Up.SetNow(now)
			for i := 0; i < 100; i++ { // warm up buffers, free lists, timer heap
				p.failoverTrip(get, tc.getReply, &now, tc.step)
				p.failoverTrip(set, stored, &now, tc.step)
			}
			if got := string(p.failoverTrip(get, tc.getReply, &now, tc.step)); got != wantHit {
				t.Fatalf("get: %q, want %q", got, wantHit)
			}
			if got := string(p.failoverTrip(set, stored, &now, tc.step)); got != "STORED\r\n" {
				t.Fatalf("set: %q", got)
			}
			if n := testing.AllocsPerRun(1000, func() { p.failoverTrip(get, tc.getReply, &now, tc.step) }); n != 0 {
				t.Errorf("get: %v allocs per request", n)
			}
			if n := testing.AllocsPerRun(1000, func() { p.failoverTrip(set, stored, &now, tc.step) }); n != 0 {
				t.Errorf("set: %v allocs per request", n)
			}
		})
	}
}
