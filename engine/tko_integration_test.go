package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/upstream"
)

// fastProbes: TKO on, with probes quick enough for a test.
func fastProbes(timeouts int) engine.Options {
	return engine.Options{Upstream: upstream.Options{TKO: upstream.TKOOptions{
		TimeoutsUntilTKO: timeouts, ProbeInitial: 50 * time.Millisecond, ProbeMax: 200 * time.Millisecond,
	}}}
}

// waitReply repeats req until the reply satisfies ok (or 5s pass).
func waitReply(t *testing.T, c *mctest.Client, req string, ok func(string) bool) string {
	t.Helper()
	var got string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if got = c.Do(req); ok(got) {
			return got
		}
	}
	t.Fatalf("%q: last reply %q", req, got)
	return got
}

// TestTKOKilledBackend: kill -9 a backend: it goes hard TKO, requests to it
// fail at once without a connection attempt, a FailoverRoute's next child
// answers, and once it is back a probe clears TKO.
func TestTKOKilledBackend(t *testing.T) {
	m0, m1 := mctest.StartMemcached(t), mctest.StartMemcached(t)
	direct := startProxy(t, poolConfig(m0.Addr), fastProbes(3), router.Options{})
	b, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": []string{m0.Addr}}, "B": map[string]any{"servers": []string{m1.Addr}}},
		"route": map[string]any{"type": "FailoverRoute", "children": []string{"PoolRoute|A", "PoolRoute|B"}},
	})
	fo := startProxy(t, string(b), fastProbes(3), router.Options{})
	c, cf := mctest.Dial(t, direct.Addr), mctest.Dial(t, fo.Addr)
	if got := c.Do("set k 0 0 1\r\na\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	mctest.Dial(t, m1.Addr).Do("set k 0 0 1\r\nb\r\n")
	if got := c.Do("stats suspect_servers\r\n"); got != "END\r\n" {
		t.Fatalf("suspect servers while healthy: %q", got)
	}

	m0.Kill()
	const tko = "SERVER_ERROR Server unavailable. Reason: mc_res_connect_error\r\n"
	// The lost connection (or the refused redial) marks it TKO at once.
	waitReply(t, c, "get k\r\n", func(s string) bool { return s == tko })
	dest := upstream.Lookup(m0.Host, m0.Port, upstream.TransportPlain, upstream.ProtocolASCII)
	failures := dest.Health.Failures()
	var worst time.Duration
	for i := 0; i < 50; i++ {
		start := time.Now()
		if got := c.Do("get k\r\n"); got != tko {
			t.Fatalf("request %d to the TKO server: %q", i, got)
		}
		worst = max(worst, time.Since(start))
	}
	if n := dest.Health.Failures(); n != failures {
		t.Fatalf("%d connection attempts to a TKO server", n-failures)
	}
	t.Logf("TKO fast fail: worst round trip of 50 %v", worst)
	// The tracker is shared by every loop (and engine) of the process:
	// the FailoverRoute skips the dead child at once.
	start := time.Now()
	if got := cf.Do("get k\r\n"); got != "VALUE k 0 1\r\nb\r\nEND\r\n" {
		t.Fatalf("failover: %q", got)
	}
	t.Logf("failover past a TKO child: %v", time.Since(start))
	if got := c.Do("stats suspect_servers\r\n"); !strings.HasPrefix(got, "STAT "+m0.Addr+" status:tko num_failures:") {
		t.Fatalf("suspect servers: %q", got)
	}
	if got := c.Do("stats servers\r\n"); !strings.Contains(got, " hard_tko;") {
		t.Fatalf("stats servers: %q", got)
	}

	// Back on the same port: a probe (50ms, ×1.5, ≤200ms) clears TKO.
	mctest.RestartMemcached(t, m0)
	waitReply(t, c, "get k\r\n", func(s string) bool { return s == "END\r\n" })
	if got := c.Do("set k 0 0 1\r\nc\r\n"); got != "STORED\r\n" {
		t.Fatalf("set after recovery: %q", got)
	}
	if got := cf.Do("get k\r\n"); got != "VALUE k 0 1\r\nc\r\nEND\r\n" {
		t.Fatalf("failover route after recovery: %q", got)
	}
	if got := c.Do("stats suspect_servers\r\n"); got != "END\r\n" {
		t.Fatalf("suspect servers after recovery: %q", got)
	}
}

// TestTKOPausedBackend: a SIGSTOPped backend times out; after
// --timeouts-until-tko timeouts it is soft TKO; SIGCONT and a probe bring
// it back. A reload that removes it while TKO logs it.
func TestTKOPausedBackend(t *testing.T) {
	m, other := mctest.StartMemcached(t), mctest.StartMemcached(t)
	opts := fastProbes(2)
	opts.NumLoops = 1
	p := startProxy(t, poolConfig(m.Addr), opts, router.Options{ServerTimeout: 100 * time.Millisecond})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set k 0 0 1\r\na\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	m.Pause()
	if got := c.Do("get k\r\n"); got != "SERVER_ERROR Reply timeout\r\n" {
		t.Fatal(got)
	}
	if got := c.Do("stats suspect_servers\r\n"); got != "STAT "+m.Addr+" status:down num_failures:1\r\nEND\r\n" {
		t.Fatalf("after one timeout: %q", got)
	}
	if got := c.Do("get k\r\n"); got != "SERVER_ERROR Reply timeout\r\n" {
		t.Fatal(got)
	}
	start := time.Now()
	if got := c.Do("get k\r\n"); got != "SERVER_ERROR Server unavailable. Reason: mc_res_timeout\r\n" {
		t.Fatalf("after 2 timeouts: %q", got)
	}
	t.Logf("soft TKO fast fail: %v", time.Since(start))
	if got := c.Do("stats suspect_servers\r\n"); !strings.HasPrefix(got, "STAT "+m.Addr+" status:tko num_failures:") {
		t.Fatalf("suspect servers: %q", got)
	}
	m.Resume()
	waitReply(t, c, "get k\r\n", func(s string) bool { return s == "VALUE k 0 1\r\na\r\nEND\r\n" })

	// TKO again, then a reload drops it from the config.
	m.Pause()
	defer m.Resume()
	waitReply(t, c, "get k\r\n", func(s string) bool { return strings.HasPrefix(s, "SERVER_ERROR Server unavailable.") })
	var mu sync.Mutex
	var logged []string
	rl := &router.Reloader{R: p.R, File: "test.json",
		ReadFile: func(string) ([]byte, error) { return []byte(poolConfig(other.Addr)), nil },
		Logf: func(f string, a ...any) {
			mu.Lock()
			logged = append(logged, fmt.Sprintf(f, a...))
			mu.Unlock()
		}}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	all := strings.Join(logged, "\n")
	mu.Unlock()
	if !strings.Contains(all, m.Addr+" was TKO, removed from config") {
		t.Fatalf("log: %s", all)
	}
	if got := c.Do("stats suspect_servers\r\n"); got != "END\r\n" {
		t.Fatalf("suspect servers after the reload: %q", got)
	}
}
