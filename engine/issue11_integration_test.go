package engine_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/router/hashfunc"
)

// TestKeyParseRouteHashPlacement: under KeyParseRoute a HashRoute hashes
// the key up to its first ':', so every "user:<n>" lands on one server.
func TestKeyParseRouteHashPlacement(t *testing.T) {
	ms := startMemcacheds(t, 3)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "KeyParseRoute", "num_routing_parts": 1, "delimiter": ":",
		"target": map[string]any{"type": "HashRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"}},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for i := 0; i < 12; i++ {
		if got := c.Do(fmt.Sprintf("set user:%d 0 0 1\r\nv\r\n", i)); got != "STORED\r\n" {
			t.Fatalf("set: %q", got)
		}
	}
	fn, err := hashfunc.New("Ch3", 3, hashfunc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := fn.Index([]byte("user:"))
	for s, m := range ms {
		mc := mctest.Dial(t, m.Addr)
		for i := 0; i < 12; i++ {
			got := mc.Do(fmt.Sprintf("get user:%d\r\n", i))
			if has := got != "END\r\n"; has != (s == want) {
				t.Errorf("server %d get user:%d: %q (keys belong on server %d)", s, i, got, want)
			}
		}
	}
}

// dialFrom connects to addr from the local IP src.
func dialFrom(t *testing.T, src, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// TestOriginalClientHashRoute: with --retain-source-ip, clients from
// 127.0.0.1 and 127.0.0.2 go to the child their IP hashes to.
func TestOriginalClientHashRoute(t *testing.T) {
	ms := startMemcacheds(t, 3)
	cfg := fanoutConfig(t, ms, map[string]any{
		"type": "OriginalClientHashRoute", "children": []string{"PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"},
	})
	p := startProxy(t, cfg, engine.Options{RetainSourceIP: true}, router.Options{})
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		c, r := dialFrom(t, ip, p.Addr)
		key := "from-" + ip
		fmt.Fprintf(c, "set %s 0 0 %d\r\n%s\r\n", key, len(ip), ip)
		if line, _ := r.ReadString('\n'); line != "STORED\r\n" {
			t.Fatalf("%s: set: %q", ip, line)
		}
		want := int(hashfunc.SpookyHash64([]byte(ip), 0) % 3)
		for s, m := range ms {
			got := mctest.Dial(t, m.Addr).Do("get " + key + "\r\n")
			if has := got != "END\r\n"; has != (s == want) {
				t.Errorf("client %s: server %d has %q, want the key on server %d only", ip, s, got, want)
			}
		}
	}
	// Without --retain-source-ip the route has no IP to hash.
	p = startProxy(t, cfg, engine.Options{}, router.Options{})
	if got := mctest.Dial(t, p.Addr).Do("get k\r\n"); got != "SERVER_ERROR Missing IP\r\n" {
		t.Errorf("no --retain-source-ip: %q", got)
	}
}

// TestHashStopAllowListRouteError: a key with "|#|" outside the allowed
// prefixes gets mcrouter's error text; allowed ones are served.
func TestHashStopAllowListRouteError(t *testing.T) {
	ms := startMemcacheds(t, 1)
	p := startProxy(t, fanoutConfig(t, ms, map[string]any{
		"type": "HashStopAllowListRoute", "target": "PoolRoute|P0", "prefixes": []string{"ok:"},
	}), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for _, tc := range []struct{ cmd, want string }{
		{"set ok:1|#|a 0 0 1\r\nv\r\n", "STORED\r\n"},
		{"get ok:1|#|a\r\n", "VALUE ok:1|#|a 0 1\r\nv\r\nEND\r\n"},
		{"set plain 0 0 1\r\nv\r\n", "STORED\r\n"},
		{"set no:1|#|a 0 0 1\r\nv\r\n", "SERVER_ERROR Hash stop not permited\r\n"},
		{"get no:1|#|a\r\n", "SERVER_ERROR Hash stop not permited\r\n"},
		{"delete no:1|#|a\r\n", "SERVER_ERROR Hash stop not permited\r\n"},
	} {
		if got := c.Do(tc.cmd); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

// TestUnixSocketServers: a pool server "unix:<path>" is dialed over the
// UNIX socket of memcached -s <path>.
func TestUnixSocketServers(t *testing.T) {
	bin := mctest.NeedMemcached(t)
	dir, err := os.MkdirTemp("", "mcroute-unix")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "mc.sock")
	args := []string{"-s", sock, "-t", "1", "-m", "64"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("memcached did not listen on", sock)
		}
	}
	p := startProxy(t, poolConfig("unix:"+sock), engine.Options{}, router.Options{})
	c := mctest.Dial(t, p.Addr)
	for _, tc := range []struct{ cmd, want string }{
		{"set u 0 0 2\r\nhi\r\n", "STORED\r\n"},
		{"get u\r\n", "VALUE u 0 2\r\nhi\r\nEND\r\n"},
		{"get __mcrouter__.route(get,u)\r\n", ""},
	} {
		got := c.Do(tc.cmd)
		if tc.want == "" {
			if !strings.Contains(got, sock+":0") {
				t.Errorf("%q: %q, want the socket named %s:0", tc.cmd, got, sock)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

// TestCrossRegionTimeout: a SIGSTOPped memcached in a pool of another
// region than -R times out at --cross-region-timeout-ms, not at the
// pool's server_timeout.
func TestCrossRegionTimeout(t *testing.T) {
	ms := startMemcacheds(t, 1)
	cfg := configJSON(t, map[string]any{
		"pools": map[string]any{"A": map[string]any{
			"servers": []string{ms[0].Addr}, "region": "far", "cluster": "c1", "server_timeout": 5000,
		}},
		"route": "PoolRoute|A",
	})
	p := startProxy(t, cfg, engine.Options{}, router.Options{
		DefaultRoute: "/near/c1/", CrossRegionTimeout: 200 * time.Millisecond,
		WithinClusterTimeout: 4000 * time.Millisecond, CrossClusterTimeout: 4000 * time.Millisecond,
	})
	c := mctest.Dial(t, p.Addr)
	if got := c.Do("set k 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	ms[0].Pause()
	defer ms[0].Resume()
	start := time.Now()
	got := c.Do("get k\r\n")
	d := time.Since(start)
	if !strings.HasPrefix(got, "SERVER_ERROR") {
		t.Errorf("get from a stopped server: %q", got)
	}
	if d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("timed out after %v, want about 200ms (cross-region timeout)", d)
	}
}
