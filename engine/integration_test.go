package engine_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/router/hashfunc"
	"mcroute/upstream"
)

// TestSameBytesAsMemcached sends the same commands to mcroute (in front of
// one memcached) and to a second memcached directly; every reply must be
// byte-identical, as mcrouter leaves these replies unchanged.
func TestSameBytesAsMemcached(t *testing.T) {
	behind := mctest.StartMemcached(t)
	direct := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(behind.Addr), engine.Options{}, router.Options{})
	pc := mctest.Dial(t, p.Addr)
	dc := mctest.Dial(t, direct.Addr)

	big := strings.Repeat("x", 500*1024)
	key250 := strings.Repeat("k", 250)
	cmds := []string{
		"get missing\r\n",
		"set k 1 0 5\r\nhello\r\n",
		"get k\r\n",
		"gets k\r\n",
		"set k2 4294967295 0 0\r\n\r\n",
		"get k2 k missing k\r\n",
		"gets k k2\r\n",
		"add k 0 0 1\r\nx\r\n",
		"add k3 0 0 1\r\nx\r\n",
		"replace k3 7 0 2\r\nyy\r\n",
		"replace nope 0 0 1\r\nx\r\n",
		"append k 0 0 3\r\n!!!\r\n",
		"prepend k 0 0 3\r\n>>>\r\n",
		"append nope 0 0 1\r\nx\r\n",
		"get k\r\n",
		"cas k 0 0 1 999999\r\nz\r\n",
		"cas nope 0 0 1 1\r\nz\r\n",
		"set n 0 0 2\r\n10\r\n",
		"incr n 5\r\n",
		"decr n 100\r\n",
		"incr k 1\r\n",
		"incr nope 1\r\n",
		"touch k 100\r\n",
		"touch nope 100\r\n",
		"gat 100 k k3\r\n",
		"gats 0 k\r\n",
		"delete k3\r\n",
		"delete k3\r\n",
		"delete k 0\r\n",
		"set bin 0 0 6\r\na\r\nb\r\n\r\n",
		"get bin\r\n",
		"set big 0 0 " + fmt.Sprint(len(big)) + "\r\n" + big + "\r\n",
		"get big\r\n",
		"set " + key250 + " 0 0 1\r\n1\r\n",
		"get " + key250 + "\r\n",
		"set nr 0 0 1 noreply\r\n1\r\nget nr\r\n",
		"delete nr noreply\r\nget nr\r\n",
		"set neg 0 -1 1\r\n1\r\nget neg\r\n",
	}
	for _, cmd := range cmds {
		pc.Send(cmd)
		dc.Send(cmd)
		got, want := pc.ReadReply(), dc.ReadReply()
		if got != want {
			t.Errorf("%q:\n mcroute:   %q\n memcached: %q", short(cmd), short(got), short(want))
		}
	}
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// TestKeysLandWhereCh3Says checks the key→server mapping against Ch3.
func TestKeysLandWhereCh3Says(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)}
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	direct := make([]*mctest.Client, len(ms))
	for i, m := range ms {
		direct[i] = mctest.Dial(t, m.Addr)
	}
	for i := 0; i < 60; i++ {
		key := fmt.Sprintf("key:%d", i)
		if got := c.Do("set " + key + " 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
			t.Fatalf("set %s: %q", key, got)
		}
		want := hashfunc.Ch3([]byte(key), len(ms))
		for j, d := range direct {
			got := d.Do("get " + key + "\r\n")
			has := strings.HasPrefix(got, "VALUE ")
			if has != (j == want) {
				t.Errorf("key %s: on server %d = %v, Ch3 says server %d", key, j, has, want)
			}
		}
	}
	// Routing prefix stripped before hashing and sending; hash stops at |#|.
	if got := c.Do("set /././pfx|#|tail 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Fatalf("set with prefix: %q", got)
	}
	want := hashfunc.Ch3([]byte("pfx"), len(ms))
	if got := direct[want].Do("get pfx|#|tail\r\n"); !strings.HasPrefix(got, "VALUE pfx|#|tail ") {
		t.Errorf("key with routing prefix not stored as pfx|#|tail on server %d: %q", want, got)
	}
	if got := c.Do("get /././pfx|#|tail\r\n"); got != "VALUE /././pfx|#|tail 0 1\r\nv\r\nEND\r\n" {
		t.Errorf("get echoes the client's key: %q", got)
	}
	if got := c.Do("get /other/cluster/x\r\n"); got != "SERVER_ERROR RootRoute: No rh found\r\n" {
		t.Errorf("unknown routing prefix: %q", got)
	}
}

// TestMultiGetKeyOrder: a get over keys on three servers answers in the
// client's key order, misses left out, duplicates kept.
func TestMultiGetKeyOrder(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)}
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	var keys []string
	var want strings.Builder
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("mk%d", i)
		keys = append(keys, k)
		if i%4 == 3 {
			continue // a miss
		}
		v := fmt.Sprintf("val-%d", i)
		c.Do(fmt.Sprintf("set %s %d 0 %d\r\n%s\r\n", k, i, len(v), v))
	}
	keys = append(keys, "mk0", "mk1")
	for _, k := range keys {
		var i int
		fmt.Sscanf(k, "mk%d", &i)
		if i%4 == 3 {
			continue
		}
		v := fmt.Sprintf("val-%d", i)
		fmt.Fprintf(&want, "VALUE %s %d %d\r\n%s\r\n", k, i, len(v), v)
	}
	want.WriteString("END\r\n")
	servers := map[int]bool{}
	for _, k := range keys {
		servers[hashfunc.Ch3([]byte(k), 3)] = true
	}
	if len(servers) != 3 {
		t.Fatalf("keys should span 3 servers, span %d", len(servers))
	}
	if got := c.Do("get " + strings.Join(keys, " ") + "\r\n"); got != want.String() {
		t.Errorf("multi-get:\n got  %q\n want %q", got, want.String())
	}
}

// TestIPv6 serves on [::1] with backends on ::1.
func TestIPv6(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	m := mctest.StartMemcachedOn(t, "::1")
	cfg := poolConfig("[::1]:" + fmt.Sprint(m.Port))
	p := startProxy(t, cfg, engine.Options{Addrs: []string{"[::1]:0"}}, router.Options{})
	if !strings.HasPrefix(p.Addr, "[::1]:") {
		t.Fatalf("proxy address %s", p.Addr)
	}
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set six 0 0 2\r\nv6\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := mctest.Dial(t, m.Addr).Do("get six\r\n"); got != "VALUE six 0 2\r\nv6\r\nEND\r\n" {
		t.Fatalf("backend on ::1: %q", got)
	}
}

// TestDeadBackend: a killed server yields SERVER_ERROR within the timeout
// while the others keep serving, and a restarted server is used again.
func TestDeadBackend(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t)}
	// Without TKO tracking every request redials the dead server (with
	// it, see tko_integration_test.go).
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{Upstream: upstream.Options{TKO: upstream.TKOOptions{Disable: true}}},
		router.Options{ServerTimeout: 300 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	var keyOn [2]string
	for i := 0; keyOn[0] == "" || keyOn[1] == ""; i++ {
		k := fmt.Sprintf("d%d", i)
		keyOn[hashfunc.Ch3([]byte(k), 2)] = k
	}
	for _, k := range keyOn {
		if got := c.Do("set " + k + " 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
			t.Fatalf("set: %q", got)
		}
	}
	ms[1].Kill()
	for i := 0; i < 3; i++ {
		start := time.Now()
		got := c.Do("get " + keyOn[1] + "\r\n")
		if !strings.HasPrefix(got, "SERVER_ERROR ") {
			t.Errorf("get on dead server: %q", got)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("dead server answered after %v", d)
		}
		if got := c.Do("get " + keyOn[0] + "\r\n"); !strings.HasPrefix(got, "VALUE ") {
			t.Errorf("live server: %q", got)
		}
		// A multi-get touching the dead server is one error line, no END.
		got = c.Do("get " + keyOn[0] + " " + keyOn[1] + "\r\n")
		if !strings.HasPrefix(got, "SERVER_ERROR ") || strings.Count(got, "\r\n") != 1 {
			t.Errorf("multi-get with a dead server: %q", got)
		}
		if got := c.Do("set " + keyOn[1] + " 0 0 1\r\nv\r\n"); !strings.HasPrefix(got, "SERVER_ERROR ") {
			t.Errorf("set on dead server: %q", got)
		}
	}
	// The server comes back: the connection is re-established on demand.
	mctest.RestartMemcached(t, ms[1])
	if got := c.Do("set " + keyOn[1] + " 0 0 1\r\nw\r\n"); got != "STORED\r\n" {
		t.Errorf("set after restart: %q", got)
	}
	if got := c.Do("get " + keyOn[1] + "\r\n"); got != "VALUE "+keyOn[1]+" 0 1\r\nw\r\nEND\r\n" {
		t.Errorf("get after restart: %q", got)
	}
}

// TestSilentBackend: a server that accepts but never answers yields
// SERVER_ERROR Reply timeout, not a hang.
func TestSilentBackend(t *testing.T) {
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
			held = append(held, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	p := startProxy(t, poolConfig(l.Addr().String()), engine.Options{}, router.Options{ServerTimeout: 200 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	start := time.Now()
	if got := c.Do("get x\r\n"); got != "SERVER_ERROR Reply timeout\r\n" {
		t.Errorf("silent server: %q", got)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("timeout after %v, want about 200ms", d)
	}
	if got := c.Do("set x 0 0 1\r\n1\r\n"); got != "SERVER_ERROR Reply timeout\r\n" {
		t.Errorf("silent server, set: %q", got)
	}
}

// TestRefusedBackend: nothing listening gives mcrouter's connect error.
func TestRefusedBackend(t *testing.T) {
	port := mctest.FreePort(t, "127.0.0.1")
	p := startProxy(t, poolConfig(fmt.Sprintf("127.0.0.1:%d", port)), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("get x\r\n"); !strings.HasPrefix(got, "SERVER_ERROR AsyncSocketException: connect failed") {
		t.Errorf("refused: %q", got)
	}
	// A refused connect is a hard failure: the server is TKO at once.
	if got := c.Do("get x\r\n"); got != "SERVER_ERROR Server unavailable. Reason: mc_res_connect_error\r\n" {
		t.Errorf("refused, then TKO: %q", got)
	}
}

// TestConcurrentPipelining: 200 clients pipelining sets and gets all get
// every reply right.
func TestConcurrentPipelining(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)}
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{}, router.Options{})
	const clients, rounds, depth = 200, 5, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for ci := 0; ci < clients; ci++ {
		wg.Add(1)
		go func(ci int) {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", p.Addr, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			for r := 0; r < rounds; r++ {
				var req, want bytes.Buffer
				for d := 0; d < depth; d++ {
					k := fmt.Sprintf("c%d-r%d-%d", ci, r, d)
					v := fmt.Sprintf("v%d", ci*1000+d)
					fmt.Fprintf(&req, "set %s 0 0 %d\r\n%s\r\n", k, len(v), v)
					want.WriteString("STORED\r\n")
				}
				for d := 0; d < depth; d++ {
					k := fmt.Sprintf("c%d-r%d-%d", ci, r, d)
					v := fmt.Sprintf("v%d", ci*1000+d)
					fmt.Fprintf(&req, "get %s\r\n", k)
					fmt.Fprintf(&want, "VALUE %s 0 %d\r\n%s\r\nEND\r\n", k, len(v), v)
				}
				k1, k2 := fmt.Sprintf("c%d-r%d-0", ci, r), fmt.Sprintf("c%d-r%d-1", ci, r)
				fmt.Fprintf(&req, "get %s nope %s\r\n", k2, k1)
				fmt.Fprintf(&want, "VALUE %s 0 %d\r\nv%d\r\nVALUE %s 0 %d\r\nv%d\r\nEND\r\n",
					k2, len(fmt.Sprint(ci*1000+1))+1, ci*1000+1, k1, len(fmt.Sprint(ci*1000))+1, ci*1000)
				if _, err := c.Write(req.Bytes()); err != nil {
					errs <- err
					return
				}
				got := make([]byte, want.Len())
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- fmt.Errorf("client %d: %v after %q", ci, err, got)
					return
				}
				if !bytes.Equal(got, want.Bytes()) {
					errs <- fmt.Errorf("client %d round %d:\n got  %q\n want %q", ci, r, got, want.Bytes())
					return
				}
			}
		}(ci)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestProtocolErrors: mcrouter's replies to bad input.
func TestProtocolErrors(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	long := strings.Repeat("a", 251)
	if got := c.Do("get " + long + "\r\n"); got != "CLIENT_ERROR bad key\r\n" {
		t.Errorf("long key get: %q", got)
	}
	if got := c.Do("set " + long + " 0 0 3\r\nabc\r\n"); got != "CLIENT_ERROR bad key\r\n" {
		t.Errorf("long key set: %q", got)
	}
	if got := c.Do("get ok " + long + "\r\n"); got != "CLIENT_ERROR bad key\r\n" {
		t.Errorf("long key in multi-get: %q", got)
	}
	if got := c.Do("flush_all\r\n"); got != "SERVER_ERROR Command disabled\r\n" {
		t.Errorf("flush_all: %q", got)
	}
	if got := c.Do("shutdown\r\n"); got != "SERVER_ERROR Command disabled\r\n" {
		t.Errorf("shutdown: %q", got)
	}
	if got := c.Do("flush_regex .*\r\n"); got != "SERVER_ERROR Command not supported\r\n" {
		t.Errorf("flush_regex: %q", got)
	}
	if got := c.Do("version\r\n"); got != "VERSION "+engine.Version+" mcroute\r\n" {
		t.Errorf("version: %q", got)
	}
	if got := c.Do("stats bogus\r\n"); got != "CLIENT_ERROR bad stats command\r\n" {
		t.Errorf("stats bogus: %q", got)
	}
	if got := c.Do("stats\r\n"); !strings.HasPrefix(got, "STAT ") || !strings.HasSuffix(got, "END\r\n") {
		t.Errorf("stats: %q", got)
	}
	// Earlier pipelined requests are answered, then the error, then close.
	c.Send("set a 0 0 1\r\n1\r\nget a\r\nbogus command\r\nget a\r\n")
	var rest bytes.Buffer
	_ = c.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.Copy(&rest, c.Conn); err != nil {
		t.Fatalf("read until close: %v", err)
	}
	want := "STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\nCLIENT_ERROR malformed request\r\n"
	if rest.String() != want {
		t.Errorf("malformed:\n got  %q\n want %q", rest.String(), want)
	}
	for _, bad := range []string{"GET a\r\n", "get\r\n", "set a 0 0 -1\r\n", "set a 0 0 99999999999\r\n", "mg a v\r\n", "statsdetailed\r\n", "set a 0 0 1\r\nxyz\r\n"} {
		c := mctest.Dial(t, p.Addr)
		c.Send(bad)
		var out bytes.Buffer
		_ = c.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.Copy(&out, c.Conn); err != nil {
			t.Errorf("%q: read until close: %v", bad, err)
		}
		if out.String() != "CLIENT_ERROR malformed request\r\n" {
			t.Errorf("%q: %q", bad, out.String())
		}
	}
	// quit closes after earlier replies.
	c2 := mctest.Dial(t, p.Addr)
	c2.Send("get a\r\nquit\r\nget a\r\n")
	var out bytes.Buffer
	_ = c2.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, _ = io.Copy(&out, c2.Conn)
	if out.String() != "VALUE a 0 1\r\n1\r\nEND\r\n" {
		t.Errorf("quit: %q", out.String())
	}
}

// TestFlushAllEnabled: flush_all goes to every server.
func TestFlushAllEnabled(t *testing.T) {
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t)}
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{EnableFlush: true}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for i := 0; i < 10; i++ {
		c.Do(fmt.Sprintf("set f%d 0 0 1\r\n1\r\n", i))
	}
	if got := c.Do("flush_all\r\n"); got != "OK\r\n" {
		t.Fatalf("flush_all: %q", got)
	}
	for i := 0; i < 10; i++ {
		if got := c.Do(fmt.Sprintf("get f%d\r\n", i)); got != "END\r\n" {
			t.Errorf("after flush_all: %q", got)
		}
	}
}

// TestBackpressure: a client that pipelines without reading cannot make
// mcroute hold more than the outstanding cap; once it reads, everything is
// answered.
func TestBackpressure(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{MaxClientOutstanding: 16, NumLoops: 1}, router.Options{})
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mctest.Dial(t, p.Addr).Do("set bp 0 0 1\r\nx\r\n")
	const n = 20000
	req := bytes.Repeat([]byte("get bp\r\n"), n)
	go func() { _, _ = c.Write(req) }()
	time.Sleep(300 * time.Millisecond)
	sc := mctest.Dial(t, p.Addr)
	stats := sc.Do("stats\r\n")
	if !strings.Contains(stats, "STAT client_paused_for_backpressure ") || strings.Contains(stats, "STAT client_paused_for_backpressure 0\r\n") {
		t.Errorf("expected the client to be paused: %s", stats)
	}
	want := bytes.Repeat([]byte("VALUE bp 0 1\r\nx\r\nEND\r\n"), n)
	got := make([]byte, len(want))
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && got[i] == want[i] {
			i++
		}
		t.Fatalf("replies differ at byte %d: got %q", i, got[max(0, i-40):min(len(got), i+80)])
	}
}

// TestMissOnGetErrors: with MissOnGetErrors a failed get is a miss, as
// mcrouter's miss_on_get_errors makes it; other commands still see errors.
func TestMissOnGetErrors(t *testing.T) {
	port := mctest.FreePort(t, "127.0.0.1")
	p := startProxy(t, poolConfig(fmt.Sprintf("127.0.0.1:%d", port)), engine.Options{MissOnGetErrors: true}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("get a b\r\n"); got != "END\r\n" {
		t.Errorf("get on a dead server: %q", got)
	}
	if got := c.Do("set a 0 0 1\r\n1\r\n"); !strings.HasPrefix(got, "SERVER_ERROR ") {
		t.Errorf("set on a dead server: %q", got)
	}
}

// TestStatsServers: `stats servers` has mcrouter's line per destination.
func TestStatsServers(t *testing.T) {
	m := mctest.StartMemcached(t)
	p := startProxy(t, poolConfig(m.Addr), engine.Options{NumLoops: 1}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	c.Do("set s 0 0 1\r\n1\r\n")
	c.Do("get s\r\n")
	c.Do("get nope\r\n")
	got := c.Do("stats servers\r\n")
	prefix := "STAT " + m.Addr + ":ascii:plain:notcompressed-1000 avg_latency_us:"
	if !strings.HasPrefix(got, prefix) || !strings.Contains(got, " pending_reqs:0 inflight_reqs:0 up:1; ") ||
		!strings.Contains(got, "stored:1") || !strings.Contains(got, "found:1") || !strings.Contains(got, "notfound:1") ||
		!strings.HasSuffix(got, "\r\nEND\r\n") {
		t.Errorf("stats servers: %q", got)
	}
	basic := c.Do("stats\r\n")
	if !strings.Contains(basic, "STAT num_servers 1\r\n") || !strings.Contains(basic, "STAT num_servers_up 1\r\n") {
		t.Errorf("stats: %q", basic)
	}

	// A server that refuses connections is down, with its errors counted.
	port := mctest.FreePort(t, "127.0.0.1")
	p2 := startProxy(t, poolConfig(fmt.Sprintf("127.0.0.1:%d", port)), engine.Options{NumLoops: 1}, router.Options{})
	c2 := mctest.Dial(t, p2.Addr)
	c2.Do("get x\r\n")
	c2.Do("get y\r\n")
	if got := c2.Do("stats servers\r\n"); !strings.Contains(got, "inflight_reqs:0 hard_tko; down:1; connect_error:1 tko:1") {
		t.Errorf("stats servers, refused: %q", got)
	}
}
