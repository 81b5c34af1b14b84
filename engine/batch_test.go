package engine_test

import (
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestOneBackendWritePerBatch: the requests of clients served in one loop
// wake-up leave in one write to the server, whatever mix of commands they
// are, and every client gets its reply.
func TestOneBackendWritePerBatch(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	dest := p.R.Current().Servers[0].Dest
	const n = 8
	cs := make([]*mctest.Client, n)
	for i := range cs {
		cs[i] = mctest.Dial(t, p.Addr)
		// Registered on the loop, and the server connection is up.
		if got := cs[i].Do("get warm\r\n"); got != "END\r\n" {
			t.Fatalf("warm-up: %q", got)
		}
	}
	for round := 0; round < 3; round++ {
		before := dest.Writes()
		release := make(chan struct{})
		p.E.StallLoops(release)
		for i, c := range cs {
			if i%2 == 0 {
				c.Send(fmt.Sprintf("set k%d 0 0 1\r\n%d\r\n", i, round))
			} else {
				c.Send(fmt.Sprintf("get k%d\r\n", i-1))
			}
		}
		time.Sleep(20 * time.Millisecond) // loopback: the bytes are in the sockets
		close(release)
		for i, c := range cs {
			got := c.ReadReply()
			if i%2 == 0 && got != "STORED\r\n" || i%2 == 1 && got != "END\r\n" && !strings.HasPrefix(got, "VALUE ") {
				t.Fatalf("round %d client %d: %q", round, i, got)
			}
		}
		if w := dest.Writes() - before; w != 1 {
			t.Errorf("round %d: %d requests from %d clients in one wake-up took %d writes to the server, want 1", round, n, n, w)
		}
	}
}

// TestIdleLoopsSleep: with no traffic and nothing pending, no loop wakes.
func TestIdleLoopsSleep(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 2}, router.Options{ServerTimeout: 50 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set idle 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	// Past the request's reply timeout, the one sweep that finds it
	// answered has run.
	time.Sleep(200 * time.Millisecond)
	before := p.E.LoopWakeups()
	time.Sleep(2 * time.Second)
	if w := p.E.LoopWakeups() - before; w > 1 {
		t.Errorf("idle loops woke %d times in 2s, want at most 1", w)
	}
}

// TestIdleAfterBurstLoopsSleep: after a burst of traffic from several
// clients (pipelined sets and gets over two servers, every request
// answered) and the clients gone, with the proxy's server connections
// still open, no loop wakes: nothing the burst left behind (request
// deadlines, the yield of a busy loop, server connections) re-arms a
// timer. make bench measures mcroute's idle CPU in this state.
func TestIdleAfterBurstLoopsSleep(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t)}
	// A reply timeout long enough for a loaded test machine; the loops
	// must not wake for it once the burst is answered.
	const timeout = time.Second
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{NumLoops: 2}, router.Options{ServerTimeout: timeout})
	const clients, perClient = 8, 200
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	for i := 0; i < clients; i++ {
		c := mctest.Dial(t, p.Addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Conn.Close()
			var req strings.Builder
			for j := 0; j < perClient; j++ {
				if j%10 == 0 {
					fmt.Fprintf(&req, "set burst:%d:%d 0 0 3\r\nabc\r\n", i, j)
				} else {
					fmt.Fprintf(&req, "get burst:%d:%d\r\n", i, j-j%10)
				}
			}
			if _, err := c.Conn.Write([]byte(req.String())); err != nil {
				errs <- err.Error()
				return
			}
			for j := 0; j < perClient; j++ {
				got, err := c.TryReadReply(5 * time.Second)
				if err != nil || j%10 == 0 && got != "STORED\r\n" || j%10 != 0 && !strings.HasPrefix(got, "VALUE ") {
					errs <- fmt.Sprintf("client %d request %d: %q %v", i, j, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	// The clients' closes reach the loops, and the requests' reply
	// timeouts pass: the one sweep that finds them answered has run.
	for p.E.OpenConns() != 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(timeout + 200*time.Millisecond)
	before := p.E.LoopWakeups()
	time.Sleep(2 * time.Second)
	if w := p.E.LoopWakeups() - before; w > 1 {
		t.Errorf("idle loops woke %d times in 2s after a burst, want at most 1", w)
	}
	// The server connections stayed open: the loops slept with them.
	for _, m := range ms {
		c := mctest.Dial(t, m.Addr)
		st := c.Do("stats\r\n")
		var cur int
		for _, line := range strings.Split(st, "\r\n") {
			if n, err := fmt.Sscanf(line, "STAT curr_connections %d", &cur); n == 1 && err == nil {
				break
			}
		}
		if cur < 2 { // the proxy's and this one
			t.Errorf("memcached %s: %d connections open, want the proxy's still open", m.Addr, cur)
		}
	}
}

// TestNoGoroutinePool: the process runs no goroutine pool. gnet's
// (ants, imported by its Enroll) ran a 500 ms ticker and a 10 s purge
// from init, waking an idle mcroute 2-3 times a second
// (third_party/gnet/PATCH.md, "No goroutine pool").
func TestNoGoroutinePool(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	if got := mctest.Dial(t, p.Addr).Do("get pool\r\n"); got != "END\r\n" { // the server connection is enrolled
		t.Fatal(got)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if strings.Contains(stacks, "panjf2000/ants") {
		t.Errorf("a goroutine pool runs:\n%s", stacks)
	}
}

// TestDeadlinesWithoutTicks: a loop with nothing else to do wakes for a
// reply timeout and a LatencyInjectionRoute timer on time.
func TestDeadlinesWithoutTicks(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	const timeout = 100 * time.Millisecond
	p := startProxy(t, poolConfig(l.Addr().String()), engine.Options{NumLoops: 1}, router.Options{ServerTimeout: timeout})
	c := mctest.Dial(t, p.Addr)
	for i := 0; i < 3; i++ {
		start := time.Now()
		if got := c.Do("get x\r\n"); got != "SERVER_ERROR Reply timeout\r\n" {
			t.Fatalf("silent server: %q", got)
		}
		if d := time.Since(start); d < timeout || d > timeout+400*time.Millisecond {
			t.Errorf("timeout after %v, want %v", d, timeout)
		}
		time.Sleep(150 * time.Millisecond) // idle in between: nothing wakes the loop but its deadline
	}

	m := mctest.StartMemcached(t)
	route := map[string]any{"type": "LatencyInjectionRoute", "child": "PoolRoute|P0", "before_latency_ms": 60}
	p = startProxy(t, fanoutConfig(t, []*mctest.Memcached{m}, route), engine.Options{NumLoops: 1}, router.Options{})
	c = mctest.Dial(t, p.Addr)
	for i := 0; i < 3; i++ {
		start := time.Now()
		if got := c.Do("get lat\r\n"); got != "END\r\n" {
			t.Fatalf("latency injection: %q", got)
		}
		if d := time.Since(start); d < 60*time.Millisecond || d > 460*time.Millisecond {
			t.Errorf("injected 60ms, answered after %v", d)
		}
	}
}

// TestReloadWakesIdleLoops: a reload reaches loops that have no traffic:
// they bind the new config and close their connections to the servers it
// dropped.
func TestReloadWakesIdleLoops(t *testing.T) {
	m1, m2 := mctest.StartMemcached(t), mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m1.Addr, m2.Addr), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for i := 0; i < 20; i++ { // both servers get a connection
		if got := c.Do(fmt.Sprintf("get r%d\r\n", i)); got != "END\r\n" {
			t.Fatal(got)
		}
	}
	var dropped *router.Config = p.R.Current()
	dest := dropped.Servers[1].Dest
	if dest.Key.Addr != m2.Addr {
		dest = dropped.Servers[0].Dest
	}
	if _, up, _, _ := dest.States(); up != 1 {
		t.Fatalf("m2 connections up: %d", up)
	}
	b, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": []string{m1.Addr}}},
		"route": "PoolRoute|A",
	})
	cfg, err := router.Build("test.json", b, router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the loop is asleep
	p.R.Store(cfg)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, _, _, closed := dest.States(); closed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an idle loop kept its connection to a server the reload dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
