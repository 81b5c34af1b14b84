//go:build !race

package router_test

import (
	"bytes"
	"testing"
	"time"

	"mcroute/upstream"
)

// TestTwoLevelAllocs: WarmUpRoute and L1L2CacheRoute, on their slow path
// (a miss on the first route, a hit on the second, the background add of
// that hit to the first), allocate nothing in steady state.
func TestTwoLevelAllocs(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:23001"]},"B":{"servers":["127.0.0.1:23002"]}}`
	get := []byte("get user:12345:profile\r\n")
	wantHit := "VALUE user:12345:profile 0 5\r\nhello\r\n"
	// Pool A (conn 0) misses gets and refuses adds (the fill is still
	// sent); pool B (conn 1) hits.
	adds := 0
	reply := func(conn int, sent []byte, in *bytes.Buffer) {
		for len(sent) > 0 {
			line := sent[:bytes.Index(sent, []byte("\r\n"))+2]
			sent = sent[len(line):]
			switch {
			case bytes.HasPrefix(line, []byte("add ")):
				sent = sent[bytes.Index(sent, []byte("\r\n"))+2:] // data block
				in.WriteString("NOT_STORED\r\n")
				adds++
			case conn == 0:
				in.WriteString("END\r\n")
			default:
				in.WriteString("VALUE ")
				in.Write(line[len("get ") : len(line)-2])
				in.WriteString(" 0 5\r\nhello\r\nEND\r\n")
			}
		}
	}
	for _, tc := range []struct{ name, route string }{
		{"WarmUpRoute", `{"type":"WarmUpRoute","cold":"PoolRoute|A","warm":"PoolRoute|B","exptime":60}`},
		{"L1L2CacheRoute", `{"type":"L1L2CacheRoute","l1":"PoolRoute|A","l2":"PoolRoute|B","upgradingL1Exptime":60,"ncacheUpdatePeriod":10}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adds = 0
			p := newConfigPipe(t, `{`+pools+`,"route":`+tc.route+`}`)
			now := upstream.Now()
			p.ctx.Up.SetNow(now)
			for i := 0; i < 100; i++ {
				p.failoverTrip(get, reply, &now, 0)
			}
			if got := string(p.failoverTrip(get, reply, &now, 0)); got != wantHit {
				t.Fatalf("get: %q, want %q", got, wantHit)
			}
			if n := testing.AllocsPerRun(1000, func() { p.failoverTrip(get, reply, &now, time.Duration(0)) }); n != 0 {
				t.Errorf("get: %v allocs per request", n)
			}
			if adds < 1000 {
				t.Errorf("%d fills reached the first route", adds)
			}
		})
	}
}
