//go:build !race

package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcroute/bench"
	"mcroute/engine/mctest"
)

// Chaos test (issue 9): the built binary in front of 4 memcached servers in
// two pools, under verifying load, while a fixed-seed schedule kills and
// restarts backends, SIGSTOPs them, rewrites the config (good layouts that
// move keys, and broken ones) and sends SIGHUP. It is skipped with -short and
// compiled out under the race detector (it is timing based and runs ~90 s).
//
// Layout: keys "d:..." go to PoolRoute|B (the same servers in every good
// layout, so a deleted key has one home and the delete check is exact);
// every other key goes to FailoverRoute[PoolRoute|A, PoolRoute|B], and the
// good layouts differ in how pool A hashes (plain, salted, servers
// swapped), which moves keys between m0 and m1.

const (
	chaosSeed        = 20261209
	chaosRun         = 55 * time.Second // load and chaos
	chaosGrace       = 3 * time.Second  // a server counts as unhealthy this long after it is back (TKO until a probe)
	chaosReplyBound  = 3 * time.Second  // no reply within this is a hang
	chaosServerTmo   = 250              // --server-timeout, ms
	chaosWorkers     = 4                // tracked clients: even ones pipeline, odd ones do not
	chaosKeysPerWork = 150              // "t:" keys per worker
	chaosDelPerWork  = 3000             // "d:" keys per worker, each deleted once (then again if the run outlasts them)
)

// chaosConfig is good layout 0, 1 or 2 over the servers m.
func chaosConfig(layout int, m []*mctest.Memcached) string {
	a0, a1 := m[0].Addr, m[1].Addr
	poolA := `"PoolRoute|A"`
	switch layout {
	case 1:
		poolA = `{"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Ch3", "salt": "moved"}}`
	case 2:
		a0, a1 = a1, a0
	}
	return fmt.Sprintf(`{
  "pools": {
    "A": {"servers": ["%s", "%s"]},
    "B": {"servers": ["%s", "%s"]}
  },
  "route": {
    "type": "PrefixSelectorRoute",
    "policies": {"d:": "PoolRoute|B"},
    "wildcard": {"type": "FailoverRoute", "children": [%s, "PoolRoute|B"]}
  }
}
`, a0, a1, m[2].Addr, m[3].Addr, poolA)
}

// chaosBadConfigs: a syntax error and an unknown route handle.
func chaosBadConfigs(m []*mctest.Memcached) []string {
	return []string{
		fmt.Sprintf(`{"pools": {"A": {"servers": ["%s"]}}, "route": "PoolRoute|A"`, m[0].Addr),
		fmt.Sprintf(`{"pools": {"A": {"servers": ["%s"]}}, "route": {"type": "NoSuchRoute"}}`, m[0].Addr),
	}
}

// chaosValue is the value stored under key: it starts with the key, so a
// value returned for another key is caught, and its length depends on it.
func chaosValue(key string) string {
	h := md5.Sum([]byte(key))
	return key + "|" + strings.Repeat(hex.EncodeToString(h[:]), 1+int(h[0])%4)
}

// window is a time a server was unhealthy: killed or stopped at from, back
// at to (zero while still down).
type window struct {
	server   string
	what     string
	from, to time.Time
}

// health records the unhealthy windows of every backend.
type health struct {
	mu sync.Mutex
	ws []*window
}

func (h *health) down(server, what string) *window {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := &window{server: server, what: what, from: time.Now()}
	h.ws = append(h.ws, w)
	return w
}

func (h *health) up(w *window) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.to = time.Now()
}

// unhealthy says whether one of servers was down at some time in
// [from, to], or within chaosGrace before it.
func (h *health) unhealthy(servers []string, from, to time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.ws {
		end := w.to
		if end.IsZero() {
			end = to
		}
		if w.from.After(to) || end.Add(chaosGrace).Before(from) {
			continue
		}
		for _, s := range servers {
			if s == w.server {
				return true
			}
		}
	}
	return false
}

// rawClient is a blocking text-protocol client that returns errors (it is
// used off the test goroutine).
type rawClient struct {
	c net.Conn
	r *bufio.Reader
}

func dialRaw(addr string) (*rawClient, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawClient{c: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

func (rc *rawClient) line() (string, error) {
	_ = rc.c.SetReadDeadline(time.Now().Add(chaosReplyBound))
	s, err := rc.r.ReadString('\n')
	if err != nil {
		return s, err
	}
	if !strings.HasSuffix(s, "\r\n") {
		return s, fmt.Errorf("line without \\r\\n: %q", s)
	}
	return s[:len(s)-2], nil
}

// get sends one get and returns the value (hit) or "" with hit false. An
// error reply comes back as line.
func (rc *rawClient) get(key string) (val string, hit bool, line string, err error) {
	if _, err = fmt.Fprintf(rc.c, "get %s\r\n", key); err != nil {
		return
	}
	return rc.readGet(key)
}

// readGet reads the reply to "get key".
func (rc *rawClient) readGet(key string) (val string, hit bool, line string, err error) {
	line, err = rc.line()
	if err != nil {
		return
	}
	if !strings.HasPrefix(line, "VALUE ") {
		return "", false, line, nil
	}
	f := strings.Fields(line)
	if len(f) < 4 {
		return "", false, line, fmt.Errorf("bad VALUE line %q", line)
	}
	if f[1] != key {
		return "", false, line, fmt.Errorf("VALUE for %q, asked for %q", f[1], key)
	}
	n, perr := strconv.Atoi(f[3])
	if perr != nil || n < 0 || n > 1<<20 {
		return "", false, line, fmt.Errorf("bad VALUE line %q", line)
	}
	buf := make([]byte, n+2)
	_ = rc.c.SetReadDeadline(time.Now().Add(chaosReplyBound))
	if _, err = io.ReadFull(rc.r, buf); err != nil {
		return
	}
	if string(buf[n:]) != "\r\n" {
		return "", false, line, fmt.Errorf("value of %q not followed by \\r\\n", key)
	}
	end, err := rc.line()
	if err != nil {
		return
	}
	if end != "END" {
		return "", false, end, fmt.Errorf("after the value of %q: %q, want END", key, end)
	}
	return string(buf[:n]), true, line, nil
}

// do sends req and returns the one-line reply.
func (rc *rawClient) do(req string) (string, error) {
	if _, err := rc.c.Write([]byte(req)); err != nil {
		return "", err
	}
	return rc.line()
}

// debugValue reads the value of a __mcrouter__ get.
func (rc *rawClient) debugValue(key string) (string, error) {
	v, hit, line, err := rc.get(key)
	if err == nil && !hit {
		err = fmt.Errorf("get %s: %q", key, line)
	}
	return v, err
}

// stats returns the STAT lines of "stats" as a map.
func (rc *rawClient) stats() (map[string]string, error) {
	if _, err := rc.c.Write([]byte("stats\r\n")); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for {
		l, err := rc.line()
		if err != nil {
			return nil, err
		}
		if l == "END" {
			return out, nil
		}
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == "STAT" {
			out[f[1]] = f[2]
		}
	}
}

// opResult is one tracked request and how it ended.
type opResult struct {
	op, key     string
	start, done time.Time
	reply       string // first line of the reply, or the client error
	kind        string // "" when fine
}

// tracker collects what the tracked workers saw.
type tracker struct {
	mu       sync.Mutex
	counts   map[string]int // by op and outcome
	failures []opResult     // errors of any kind
	deleted  map[string]bool
	maxLat   time.Duration
	requests int
}

func (tr *tracker) add(r opResult) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.requests++
	if lat := r.done.Sub(r.start); lat > tr.maxLat {
		tr.maxLat = lat
	}
	if r.kind != "" {
		tr.counts[r.op+" error: "+r.kind]++
		tr.failures = append(tr.failures, r)
		return
	}
	tr.counts[r.op+" "+r.reply]++
	if r.op == "delete" {
		tr.deleted[r.key] = true
	}
}

// errorKind classifies an error reply line.
func errorKind(line string) string {
	switch {
	case strings.Contains(line, "Server unavailable"):
		return "TKO reply"
	case strings.HasPrefix(line, "SERVER_ERROR") && strings.Contains(strings.ToLower(line), "timeout"):
		return "server timeout"
	case strings.HasPrefix(line, "SERVER_ERROR"):
		return "SERVER_ERROR other"
	case strings.HasPrefix(line, "CLIENT_ERROR"):
		return "CLIENT_ERROR"
	case line == "ERROR":
		return "ERROR"
	}
	return "unexpected reply"
}

// chaosWorker runs tracked requests over its own keys until ctx ends: sets
// and gets of "t:<w>:<i>" (FailoverRoute), deletes and gets of "d:<w>:<i>"
// (PoolRoute|B, set before the run and never again). Even workers send
// batches of 8 pipelined requests, odd ones one at a time.
func chaosWorker(ctx context.Context, w int, addr string, tr *tracker) {
	rng := rand.New(rand.NewPCG(chaosSeed, uint64(w)))
	batch := 1
	pause := 4 * time.Millisecond
	if w%2 == 0 {
		batch, pause = 8, 15*time.Millisecond
	}
	deletedAt := map[string]time.Time{} // d-keys answered DELETED, when
	nextDel := 0
	var rc *rawClient
	type req struct{ op, key string }
	for ctx.Err() == nil {
		if rc == nil {
			var err error
			if rc, err = dialRaw(addr); err != nil {
				now := time.Now()
				tr.add(opResult{op: "connect", start: now, done: now, reply: err.Error(), kind: "connect failed"})
				time.Sleep(100 * time.Millisecond)
				continue
			}
		}
		reqs := make([]req, batch)
		var b strings.Builder
		for i := range reqs {
			n := rng.IntN(chaosKeysPerWork)
			switch p := rng.IntN(100); {
			case p < 35:
				k := fmt.Sprintf("t:%d:%d", w, n)
				v := chaosValue(k)
				reqs[i] = req{"set", k}
				fmt.Fprintf(&b, "set %s 0 0 %d\r\n%s\r\n", k, len(v), v)
			case p < 65:
				reqs[i] = req{"get", fmt.Sprintf("t:%d:%d", w, n)}
				fmt.Fprintf(&b, "get %s\r\n", reqs[i].key)
			case p < 80:
				reqs[i] = req{"delete", fmt.Sprintf("d:%d:%d", w, nextDel%chaosDelPerWork)}
				nextDel++
				fmt.Fprintf(&b, "delete %s\r\n", reqs[i].key)
			default:
				reqs[i] = req{"get", fmt.Sprintf("d:%d:%d", w, rng.IntN(chaosDelPerWork))}
				fmt.Fprintf(&b, "get %s\r\n", reqs[i].key)
			}
		}
		start := time.Now()
		_ = rc.c.SetWriteDeadline(start.Add(chaosReplyBound))
		_, werr := rc.c.Write([]byte(b.String()))
		broken := werr != nil
		for _, q := range reqs {
			r := opResult{op: q.op, key: q.key, start: start}
			if broken {
				r.done, r.kind, r.reply = time.Now(), "connection lost", fmt.Sprint(werr)
				tr.add(r)
				continue
			}
			var err error
			if q.op == "get" {
				var val string
				var hit bool
				val, hit, r.reply, err = rc.readGet(q.key)
				switch {
				case err != nil:
				case hit && val != chaosValue(q.key):
					r.kind = "wrong value"
					r.reply += " " + val
				case hit && strings.HasPrefix(q.key, "d:") && !deletedAt[q.key].IsZero() && start.After(deletedAt[q.key]):
					r.kind = "deleted key read back"
				case hit:
					r.reply = "hit"
				case r.reply == "END":
					r.reply = "miss"
				default:
					r.kind = errorKind(r.reply)
				}
			} else {
				r.reply, err = rc.line()
				if err == nil {
					switch {
					case q.op == "set" && r.reply == "STORED":
					case q.op == "delete" && r.reply == "DELETED":
						deletedAt[q.key] = time.Now()
					case q.op == "delete" && r.reply == "NOT_FOUND":
					default:
						r.kind = errorKind(r.reply)
					}
				}
			}
			r.done = time.Now()
			if err != nil {
				var ne net.Error
				if ok := asNetErr(err, &ne); ok && ne.Timeout() {
					r.kind = "no reply (hang)"
				} else if strings.Contains(err.Error(), "asked for") || strings.Contains(err.Error(), "VALUE") {
					r.kind = "malformed or wrong key"
				} else {
					r.kind = "connection lost"
				}
				r.reply = err.Error()
				broken = true
			}
			tr.add(r)
		}
		if broken {
			_ = rc.c.Close()
			rc = nil
		}
		time.Sleep(pause)
	}
	if rc != nil {
		_ = rc.c.Close()
	}
}

func asNetErr(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	if ok {
		*ne = e
	}
	return ok
}

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test: about 90 s")
	}
	began := time.Now()
	bin := buildBinary(t)
	ms := make([]*mctest.Memcached, 4)
	for i := range ms {
		ms[i] = mctest.StartMemcached(t)
	}
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	cfgPath := filepath.Join(dir, "chaos.json")
	writeConfig := func(text string) {
		tmp := cfgPath + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, cfgPath); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(chaosConfig(0, ms))
	port := mctest.FreePort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var stderr syncBuffer
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config", "file:"+cfgPath, "--num-proxies", "2",
		"--server-timeout", fmt.Sprint(chaosServerTmo), "--timeouts-until-tko", "2",
		"--probe-timeout-initial", "100", "--probe-timeout-max", "500",
		"--async-dir", spool, "--file-observer-poll-period-ms", "100", "--reconfiguration-delay-ms", "50")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var exitErr error
	exited := make(chan struct{})
	go func() { exitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	admin, err := dialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	statN := func(name string) int {
		t.Helper()
		st, err := admin.stats()
		if err != nil {
			t.Fatalf("stats: %v\n%s", err, stderr.String())
		}
		n, err := strconv.Atoi(st[name])
		if err != nil {
			t.Fatalf("stats %s = %q in %v", name, st[name], st)
		}
		return n
	}
	md5Of := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	runningMD5 := func() string {
		t.Helper()
		v, err := admin.debugValue("__mcrouter__.config_md5_digest")
		if err != nil {
			t.Fatalf("config_md5_digest: %v", err)
		}
		return strings.TrimSpace(v)
	}
	reloadsOK, reloadsFailed := 0, 0
	// applyGood writes a good config, sends SIGHUP and waits until it runs.
	applyGood := func(text string) {
		t.Helper()
		before := statN("config_reloads")
		writeConfig(text)
		_ = cmd.Process.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(3 * time.Second)
		for runningMD5() != md5Of(text) || statN("config_reloads") <= before {
			if time.Now().After(deadline) {
				t.Fatalf("good config not running 3 s after SIGHUP\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		reloadsOK++
	}
	// applyBad writes a broken config, sends SIGHUP, waits until the failure
	// is counted and checks that the running config did not change.
	applyBad := func(text string) {
		t.Helper()
		was := runningMD5()
		before := statN("config_failures")
		writeConfig(text)
		_ = cmd.Process.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(3 * time.Second)
		for statN("config_failures") <= before {
			if time.Now().After(deadline) {
				t.Fatalf("bad config: config_failures still %d 3 s after SIGHUP\n%s", before, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if now := runningMD5(); now != was {
			t.Fatalf("a bad config replaced the running one: md5 %s, was %s", now, was)
		}
		reloadsFailed++
	}

	// Where each tracked key can go: the union, over the good layouts, of
	// __mcrouter__.route(<op>,<key>) (every child of the failover).
	var keys, dkeys []string
	for w := 0; w < chaosWorkers; w++ {
		for n := 0; n < chaosKeysPerWork; n++ {
			keys = append(keys, fmt.Sprintf("t:%d:%d", w, n))
		}
		for n := 0; n < chaosDelPerWork; n++ {
			dkeys = append(dkeys, fmt.Sprintf("d:%d:%d", w, n))
		}
	}
	routes := map[string]map[string]bool{} // over every layout
	var byLayout [3]map[string][]string    // per layout
	var dbg []string                       // route(get) of t-keys, route(delete) of d-keys
	for _, k := range keys {
		dbg = append(dbg, "__mcrouter__.route(get,"+k+")")
	}
	for _, k := range dkeys {
		dbg = append(dbg, "__mcrouter__.route(delete,"+k+")")
	}
	keys = append(keys, dkeys...)
	for layout := 2; layout >= 0; layout-- {
		applyGood(chaosConfig(layout, ms))
		byLayout[layout] = map[string][]string{}
		for lo := 0; lo < len(dbg); lo += 500 {
			hi := min(lo+500, len(dbg))
			var b strings.Builder
			for _, dk := range dbg[lo:hi] {
				fmt.Fprintf(&b, "get %s\r\n", dk)
			}
			if _, err := admin.c.Write([]byte(b.String())); err != nil {
				t.Fatal(err)
			}
			for i, dk := range dbg[lo:hi] {
				v, hit, line, err := admin.readGet(dk)
				if err != nil || !hit {
					t.Fatalf("get %s: %q %v", dk, line, err)
				}
				k := keys[lo+i]
				if routes[k] == nil {
					routes[k] = map[string]bool{}
				}
				for _, s := range strings.Fields(v) {
					routes[k][s] = true
				}
				byLayout[layout][k] = strings.Fields(v)
			}
		}
	}
	moved := 0
	for k, rs := range routes {
		if strings.HasPrefix(k, "d:") && len(rs) != 1 {
			t.Fatalf("d-key %s routes to %v: want one server of B in every layout", k, rs)
		}
		if strings.HasPrefix(k, "t:") && len(rs) > 2 {
			moved++
		}
	}
	t.Logf("layouts move %d of %d failover keys between m0 and m1", moved, len(keys)-len(dkeys))
	if moved == 0 {
		t.Fatal("the good layouts move no key")
	}
	// Layout changes during the run, for serversOf.
	type change struct {
		at     time.Time
		layout int
	}
	var changesMu sync.Mutex
	changes := []change{{time.Now(), 0}}
	// serversOf is where key could go in [from, to]: under the layout in
	// force at from and every layout written since (a reload takes effect
	// within the 3 s applyGood allows).
	serversOf := func(key string, from, to time.Time) []string {
		changesMu.Lock()
		defer changesMu.Unlock()
		set := map[string]bool{}
		for i, c := range changes {
			// c is in force from c.at until up to 3 s after the next change.
			if !c.at.After(to) && (i+1 == len(changes) || changes[i+1].at.Add(3*time.Second).After(from)) {
				for _, s := range byLayout[c.layout][key] {
					set[s] = true
				}
			}
		}
		var out []string
		for s := range set {
			out = append(out, s)
		}
		sort.Strings(out)
		return out
	}
	// Every d-key is stored before the run; during it they are only read
	// and deleted.
	pre, err := dialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < len(dkeys); lo += 500 {
		var b strings.Builder
		for _, k := range dkeys[lo:min(lo+500, len(dkeys))] {
			v := chaosValue(k)
			fmt.Fprintf(&b, "set %s 0 0 %d\r\n%s\r\n", k, len(v), v)
		}
		if _, err := pre.c.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		for _, k := range dkeys[lo:min(lo+500, len(dkeys))] {
			if got, err := pre.line(); err != nil || got != "STORED" {
				t.Fatalf("preload %s: %q %v", k, got, err)
			}
		}
	}
	_ = pre.c.Close()

	// The fixed-seed schedule.
	type event struct {
		at     time.Duration
		what   string
		server int
		hold   time.Duration
	}
	rng := rand.New(rand.NewPCG(chaosSeed, 0))
	var schedule []event
	layout, bad := 0, 0
	for at := 2 * time.Second; at < chaosRun-8*time.Second; {
		e := event{at: at}
		switch p := rng.IntN(6); {
		case p < 2:
			e.what, e.server = "kill", rng.IntN(4)
			e.hold = time.Duration(500+rng.IntN(1500)) * time.Millisecond
		case p < 4:
			e.what, e.server = "stop", rng.IntN(4)
			e.hold = time.Duration(500+rng.IntN(1500)) * time.Millisecond
		case p < 5:
			layout = (layout + 1) % 3
			e.what, e.server = "config", layout
		default:
			e.what, e.server = "bad config", bad%2
			bad++
		}
		schedule = append(schedule, e)
		at += e.hold + time.Duration(700+rng.IntN(1300))*time.Millisecond
	}
	var sb strings.Builder
	for _, e := range schedule {
		fmt.Fprintf(&sb, "  %5.1fs %s %d", e.at.Seconds(), e.what, e.server)
		if e.hold > 0 {
			fmt.Fprintf(&sb, " for %v", e.hold)
		}
		sb.WriteByte('\n')
	}
	t.Logf("schedule (seed %d):\n%s", chaosSeed, sb.String())

	// Load: the bench library (verifying every value, open loop, pipelined
	// over 4 connections, plus 2 connections of 4-key gets) and the tracked
	// workers.
	ctx, cancel := context.WithTimeout(context.Background(), chaosRun+30*time.Second)
	defer cancel()
	type benchOut struct {
		name string
		r    *bench.Result
		err  error
	}
	benchCh := make(chan benchOut, 2)
	for i, bc := range []struct {
		clients, mget int
		rate          float64
	}{{4, 1, 1500}, {2, 4, 300}} {
		cfg := bench.DefaultConfig()
		cfg.Servers = []string{addr}
		cfg.Threads, cfg.Clients = 1, bc.clients
		cfg.Ratio = bench.Ratio{Sets: 1, Gets: 2}
		cfg.KeyMin, cfg.KeyMax = 0, 4999
		cfg.KeyPrefix = fmt.Sprintf("b%d:", i)
		cfg.DataSizeMin, cfg.DataSizeMax = 16, 400
		cfg.TestTime = chaosRun
		cfg.Rate = bc.rate
		cfg.MaxInflight = 32
		cfg.MultiKeyGet = bc.mget
		cfg.Verify = true
		cfg.ReplyTimeout = chaosReplyBound
		cfg.Seed = chaosSeed + uint64(i)
		name := fmt.Sprintf("bench %d conns, %d-key gets, %.0f req/s", bc.clients, bc.mget, bc.rate)
		go func() {
			r, err := bench.Run(ctx, cfg)
			benchCh <- benchOut{name, r, err}
		}()
	}
	tr := &tracker{counts: map[string]int{}, deleted: map[string]bool{}}
	wctx, wcancel := context.WithTimeout(ctx, chaosRun)
	defer wcancel()
	var wg sync.WaitGroup
	for w := 0; w < chaosWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chaosWorker(wctx, w, addr, tr)
		}()
	}

	// Chaos, on this goroutine.
	h := &health{}
	start := time.Now()
	for _, e := range schedule {
		if d := time.Until(start.Add(e.at)); d > 0 {
			time.Sleep(d)
		}
		switch e.what {
		case "kill":
			m := ms[e.server]
			win := h.down(m.Addr, "kill -9")
			m.Kill()
			time.Sleep(e.hold)
			ms[e.server] = mctest.RestartMemcached(t, m)
			h.up(win)
		case "stop":
			m := ms[e.server]
			win := h.down(m.Addr, "SIGSTOP")
			m.Pause()
			time.Sleep(e.hold)
			m.Resume()
			h.up(win)
		case "config":
			changesMu.Lock()
			changes = append(changes, change{time.Now(), e.server})
			changesMu.Unlock()
			applyGood(chaosConfig(e.server, ms))
		case "bad config":
			applyBad(chaosBadConfigs(ms)[e.server])
		}
	}
	wg.Wait()
	var benches []benchOut
	for range 2 {
		benches = append(benches, <-benchCh)
	}
	loadEnd := time.Now()

	// Still alive and serving.
	select {
	case <-exited:
		t.Fatalf("mcroute exited during the run: %v\n%s", exitErr, stderr.String())
	default:
	}
	if got, err := admin.do("version\r\n"); err != nil || !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("version after the run: %q %v", got, err)
	}
	failures, reloads := statN("config_failures"), statN("config_reloads")

	// The tracked requests: every error is on a key whose server was
	// unhealthy then, and no request hung or read a wrong value.
	unexplained := 0
	tko, tErrs := 0, 0
	for _, f := range tr.failures {
		if f.kind == "TKO reply" {
			tko++
		}
		if strings.HasPrefix(f.key, "t:") {
			tErrs++
		}
		switch f.kind {
		case "TKO reply", "server timeout", "SERVER_ERROR other":
			if f.op != "delete" && h.unhealthy(serversOf(f.key, f.start, f.done), f.start, f.done) {
				continue
			}
		}
		unexplained++
		if unexplained <= 20 {
			t.Errorf("%s %s at +%.3fs (%.0f ms): %s: %q (servers %v)", f.op, f.key, f.start.Sub(start).Seconds(),
				float64(f.done.Sub(f.start).Microseconds())/1000, f.kind, f.reply, serversOf(f.key, f.start, f.done))
		}
	}
	if unexplained > 0 {
		t.Errorf("%d tracked requests failed unexplained (a delete must never fail: it is spooled)", unexplained)
	}
	if tr.maxLat > chaosReplyBound {
		t.Errorf("slowest tracked reply %v, bound %v", tr.maxLat, chaosReplyBound)
	}
	var outcomes []string
	for k, n := range tr.counts {
		outcomes = append(outcomes, fmt.Sprintf("  %-40s %d", k, n))
	}
	sort.Strings(outcomes)
	t.Logf("tracked: %d requests, %d errors (%d TKO replies; %d on failover keys, the rest on d-keys), slowest reply %v\n%s",
		tr.requests, len(tr.failures), tko, tErrs, tr.maxLat.Round(time.Millisecond), strings.Join(outcomes, "\n"))

	// The bench runs: no wrong key or value, no hang, no lost connection;
	// error replies are reported (the bench library does not say which key).
	for _, b := range benches {
		if b.err != nil || b.r == nil {
			t.Errorf("%s: %v", b.name, b.err)
			continue
		}
		r := b.r
		var kinds []string
		for _, k := range r.ErrorKinds {
			kinds = append(kinds, fmt.Sprintf("%s: %d (e.g. %q)", k.Kind, k.Count, k.Example))
			if k.Kind != "server error reply" {
				t.Errorf("%s: %d requests: %s (e.g. %q)", b.name, k.Count, k.Kind, k.Example)
			}
		}
		if r.Sent != r.Checked {
			t.Errorf("%s: sent %d, checked %d", b.name, r.Sent, r.Checked)
		}
		t.Logf("%s: %d requests, %d ok (%d hits, %d misses), %d errors [%s], reconnects %d, p99 %.1f ms, max %.1f ms",
			b.name, r.Sent, r.OK, r.Gets.Hits, r.Gets.Misses, r.Errors, strings.Join(kinds, "; "), r.Reconnects,
			r.Totals.Latency.P99, r.Totals.Latency.Max)
	}

	// Config reloads: every good one ran, every bad one was counted.
	if failures < reloadsFailed {
		t.Errorf("config_failures %d, bad configs sent %d", failures, reloadsFailed)
	}
	t.Logf("config reloads: %d good (stats config_reloads %d), %d bad (stats config_failures %d)",
		reloadsOK, reloads, reloadsFailed, failures)

	// Clean exit on SIGTERM.
	_ = admin.c.Close()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("mcroute exit after SIGTERM: %v\n%s", exitErr, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("mcroute still running 15 s after SIGTERM\n%s", stderr.String())
	}

	// Deletes: every key deleted during the run (DELETED or NOT_FOUND) is
	// gone from every backend or spooled; after `mcroute replay --once` it
	// is gone.
	spooled := map[string]bool{}
	records := 0
	for _, f := range spoolFiles(t, spool) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l == "" {
				continue
			}
			var rec []any
			if err := json.Unmarshal([]byte(l), &rec); err != nil || len(rec) != 4 {
				t.Fatalf("spool record %q: %v", l, err)
			}
			dest, _ := rec[3].([]any)
			if len(dest) != 3 {
				t.Fatalf("spool record %q", l)
			}
			cmdline, _ := dest[2].(string)
			key := strings.TrimSuffix(strings.TrimPrefix(cmdline, "delete "), "\r\n")
			spooled[key] = true
			records++
		}
	}
	for _, m := range ms {
		if err := mctest.WaitListening(m.Addr, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	direct := make([]*rawClient, len(ms))
	for i, m := range ms {
		if direct[i], err = dialRaw(m.Addr); err != nil {
			t.Fatal(err)
		}
		defer direct[i].c.Close()
	}
	present := func() (n int, lost []string) {
		for k := range tr.deleted {
			for i, m := range ms {
				_, hit, line, err := direct[i].get(k)
				if err != nil || (!hit && line != "END") {
					t.Fatalf("get %s from %s: %q %v", k, m.Addr, line, err)
				}
				if hit {
					n++
					if !spooled[k] {
						lost = append(lost, k+" on "+m.Addr)
					}
				}
			}
		}
		return n, lost
	}
	before, lost := present()
	if len(lost) > 0 {
		t.Errorf("%d deletes answered during the run were neither applied nor spooled: %v", len(lost), lost)
	}
	out := runReplayBin(t, bin, "--async-dir", spool, "--once", "--deadline", "30s")
	replayed, notFound := 0, 0
	for _, m := range regexp.MustCompile(`deleted (\d+), not_found (\d+)`).FindAllStringSubmatch(out, -1) {
		d, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		replayed, notFound = replayed+d, notFound+n
	}
	if before == 0 || replayed == 0 {
		t.Errorf("the schedule left no spooled delete for the replayer to apply (%d keys present before replay, %d replayed): the spool path was not exercised", before, replayed)
	}
	after, _ := present()
	if after != 0 {
		t.Errorf("%d deleted keys still present after replay\n%s", after, out)
	}
	if replayed+notFound != records {
		t.Errorf("replay applied %d + %d not found, spool held %d records\n%s", replayed, notFound, records, out)
	}
	t.Logf("deletes: %d keys deleted during the run, %d spooled records (%d keys); before replay %d deleted keys still on a backend (all spooled); replay: deleted %d, not_found %d; after replay: %d present",
		len(tr.deleted), records, len(spooled), before, replayed, notFound, after)
	t.Logf("load %.1fs, whole test %.1fs", loadEnd.Sub(start).Seconds(), time.Since(began).Seconds())
}
