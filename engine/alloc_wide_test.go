//go:build !race

package engine_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// allocCase is one request (possibly several pipelined in one write) and
// the exact bytes the proxy answers.
type allocCase struct {
	name, req, want string
	skip            string // non-empty: known to allocate, and why
}

// checkAllocs sends each case's request on one connection to addr and
// asserts that the whole round trip allocates nothing in steady state.
// AllocsPerRun counts the whole process, the test's client included, so
// the client reuses one write and one read buffer.
func checkAllocs(t *testing.T, addr string, cases []allocCase) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, buf := []byte(tc.req), make([]byte, len(tc.want))
			rt := func() {
				if _, err := c.Write(req); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Fatal(err)
				}
			}
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			rt()
			if string(buf) != tc.want {
				t.Fatalf("reply %q,\nwant %q", trim(buf), trim([]byte(tc.want)))
			}
			if tc.skip != "" {
				t.Skip("allocates: " + tc.skip)
			}
			for range 200 {
				rt()
			}
			if n := testing.AllocsPerRun(1000, rt); n != 0 {
				t.Errorf("%v allocs per round trip", n)
			}
			if string(buf) != tc.want {
				t.Fatalf("reply %q,\nwant %q", trim(buf), trim([]byte(tc.want)))
			}
		})
	}
}

func trim(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func value(key, v string) string {
	return fmt.Sprintf("VALUE %s 0 %d\r\n%s\r\n", key, len(v), v)
}

// TestEngineAllocsPipelined: 16 requests in one write, keys spread over
// three servers, cost no allocations per batch.
func TestEngineAllocsPipelined(t *testing.T) {
	ms := startMemcacheds(t, 3)
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{NumLoops: 1}, router.Options{})
	setup := mctest.Dial(t, p.Addr)
	var gets, sets, getWant strings.Builder
	for i := range 16 {
		k := fmt.Sprintf("p%d", i)
		setup.Do("set " + k + " 0 0 5\r\nhello\r\n")
		gets.WriteString("get " + k + "\r\n")
		sets.WriteString("set " + k + " 0 0 5\r\nhello\r\n")
		getWant.WriteString(value(k, "hello") + "END\r\n")
	}
	checkAllocs(t, p.Addr, []allocCase{
		{name: "get16", req: gets.String(), want: getWant.String()},
		{name: "set16", req: sets.String(), want: repeat("STORED\r\n", 16)},
		{name: "mixed16", req: repeat("get p1\r\nset p2 0 0 5\r\nhello\r\nget nope\r\nversion\r\n", 4),
			want: repeat(value("p1", "hello")+"END\r\nSTORED\r\nEND\r\nVERSION "+engine.Version+" mcroute\r\n", 4)},
	})
}

// TestEngineAllocsMultiGetWide: a 32-key get over four servers, hits and
// misses mixed, is split per server and reassembled without allocating.
func TestEngineAllocsMultiGetWide(t *testing.T) {
	ms := startMemcacheds(t, 4)
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{NumLoops: 1}, router.Options{})
	setup := mctest.Dial(t, p.Addr)
	req, want := "get", ""
	for i := range 32 {
		k := fmt.Sprintf("w%02d", i)
		req += " " + k
		if i%3 != 0 { // every third key misses
			v := fmt.Sprintf("val-%d", i)
			setup.Do(fmt.Sprintf("set %s 0 0 %d\r\n%s\r\n", k, len(v), v))
			want += value(k, v)
		}
	}
	checkAllocs(t, p.Addr, []allocCase{
		{name: "get32", req: req + "\r\n", want: want + "END\r\n"},
		{name: "get32x2", req: repeat(req+"\r\n", 2), want: repeat(want+"END\r\n", 2)},
	})
}

// TestEngineAllocsLargeValues: 8 KiB values, set and get (the value spans
// reads on both sides).
func TestEngineAllocsLargeValues(t *testing.T) {
	ms := startMemcacheds(t, 2)
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{NumLoops: 1}, router.Options{})
	big := repeat("0123456789abcdef", 512) // 8 KiB
	set := fmt.Sprintf("set big 0 0 %d\r\n%s\r\n", len(big), big)
	mctest.Dial(t, p.Addr).Do(set)
	checkAllocs(t, p.Addr, []allocCase{
		{name: "set8k", req: set, want: "STORED\r\n"},
		{name: "get8k", req: "get big\r\n", want: value("big", big) + "END\r\n"},
		{name: "get8k-x4", req: repeat("get big\r\n", 4), want: repeat(value("big", big)+"END\r\n", 4)},
	})
}

// TestEngineAllocsFanout: AllSyncRoute and AllInitialRoute over three
// pools: a set goes to every child and the replies are merged.
func TestEngineAllocsFanout(t *testing.T) {
	ms := startMemcacheds(t, 3)
	children := []string{"PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"}
	for _, typ := range []string{"AllSyncRoute", "AllInitialRoute"} {
		t.Run(typ, func(t *testing.T) {
			p := startProxy(t, fanoutConfig(t, ms, map[string]any{"type": typ, "children": children}),
				engine.Options{NumLoops: 1}, router.Options{})
			mctest.Dial(t, p.Addr).Do("set f 0 0 5\r\nhello\r\n")
			checkAllocs(t, p.Addr, []allocCase{
				{name: "set", req: "set f 0 0 5\r\nhello\r\n", want: "STORED\r\n"},
				{name: "get", req: "get f\r\n", want: value("f", "hello") + "END\r\n"},
				{name: "delete-miss", req: "delete nope\r\n", want: "NOT_FOUND\r\n"},
			})
		})
	}
}

// TestEngineAllocsFailover: FailoverRoute whose first child is a dead
// server (nothing listens on its port), so every request fails over to
// the second child, which answers.
func TestEngineAllocsFailover(t *testing.T) {
	m := mctest.StartMemcached(t)
	dead := fmt.Sprintf("127.0.0.1:%d", mctest.FreePort(t, "127.0.0.1"))
	b, err := json.Marshal(map[string]any{
		"pools": map[string]any{
			"Dead": map[string]any{"servers": []string{dead}},
			"Live": map[string]any{"servers": []string{m.Addr}},
		},
		"route": map[string]any{"type": "FailoverRoute", "children": []string{"PoolRoute|Dead", "PoolRoute|Live"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, string(b), engine.Options{NumLoops: 1}, router.Options{ServerTimeout: 300 * time.Millisecond})
	mctest.Dial(t, p.Addr).Do("set fo 0 0 5\r\nhello\r\n")
	// The first request finds the dead server (a refused connect: hard
	// TKO); from then on requests to it fail at once with TKO, without a
	// dial, and fail over to the live pool: nothing is allocated.
	if got := mctest.Dial(t, p.Addr).Do("get fo\r\n"); got != value("fo", "hello")+"END\r\n" {
		t.Fatalf("first get: %q", got)
	}
	checkAllocs(t, p.Addr, []allocCase{
		{name: "get", req: "get fo\r\n", want: value("fo", "hello") + "END\r\n"},
		{name: "set", req: "set fo 0 0 5\r\nhello\r\n", want: "STORED\r\n"},
	})
}

// TestEngineAllocsFailoverOnError: the same failover on real sockets when
// the first child errors without a connection (ErrorRoute): the failover
// path from client socket to memcached and back allocates nothing.
func TestEngineAllocsFailoverOnError(t *testing.T) {
	m := mctest.StartMemcached(t)
	b, err := json.Marshal(map[string]any{
		"pools": map[string]any{"Live": map[string]any{"servers": []string{m.Addr}}},
		"route": map[string]any{"type": "FailoverRoute", "children": []string{"ErrorRoute|boom", "PoolRoute|Live"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, string(b), engine.Options{NumLoops: 1}, router.Options{})
	mctest.Dial(t, p.Addr).Do("set fo 0 0 5\r\nhello\r\n")
	checkAllocs(t, p.Addr, []allocCase{
		{name: "get", req: "get fo\r\n", want: value("fo", "hello") + "END\r\n"},
		{name: "set", req: "set fo 0 0 5\r\nhello\r\n", want: "STORED\r\n"},
		{name: "multiget", req: "get fo nope fo\r\n", want: value("fo", "hello") + value("fo", "hello") + "END\r\n"},
	})
}
