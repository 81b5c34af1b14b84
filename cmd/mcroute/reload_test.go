package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

// TestOnlineReconfiguration: editing the config file moves traffic to the
// new pool without a restart; a broken edit is reported and changes
// nothing; SIGHUP reloads at once. The poll period is an hour: inotify
// sees the edits (router/reload_watch_linux_test.go has the cases).
func TestOnlineReconfiguration(t *testing.T) {
	bin := buildBinary(t)
	m1, m2, m3 := mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)
	cfg := filepath.Join(t.TempDir(), "live.json")
	write := func(text string) {
		tmp := cfg + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, cfg); err != nil {
			t.Fatal(err)
		}
	}
	pool := func(addr string) string {
		return fmt.Sprintf(`{"pools": {"A": {"servers": ["%s"]}}, "route": "PoolRoute|A"}`, addr)
	}
	write(pool(m1.Addr))
	port := mctest.FreePort(t, "127.0.0.1")
	var stderr syncBuffer
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1", "--config", "file:"+cfg,
		"--num-proxies", "2", "--file-observer-poll-period-ms", "3600000", "--reconfiguration-delay-ms", "50")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c := mctest.Dial(t, addr)
	landsOn := func(m *mctest.Memcached, key string) bool {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			c.Do("set " + key + " 0 0 1\r\nv\r\n")
			if strings.HasPrefix(mctest.Dial(t, m.Addr).Do("get "+key+"\r\n"), "VALUE ") {
				return true
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	if !landsOn(m1, "k1") {
		t.Fatalf("initial config not serving m1\n%s", stderr.String())
	}
	write(pool(m2.Addr))
	if !landsOn(m2, "k2") {
		t.Fatalf("edit did not move traffic to m2\n%s", stderr.String())
	}
	write(`{"pools": {"A": {"servers": ["` + m3.Addr + `"]}}, "route": {"type": "NoSuchRoute"}}`)
	time.Sleep(500 * time.Millisecond)
	if !landsOn(m2, "k3") {
		t.Fatalf("a bad config replaced the running one\n%s", stderr.String())
	}
	if s := c.Do("stats\r\n"); !strings.Contains(s, "STAT config_failures 1\r\n") {
		t.Errorf("config_failures not counted: %s", s)
	}
	if !strings.Contains(stderr.String(), "reconfiguration failed, keeping the running config") ||
		!strings.Contains(stderr.String(), "Unknown RouteHandle: NoSuchRoute") {
		t.Errorf("failure not reported:\n%s", stderr.String())
	}
	// SIGHUP reloads too (here racing the watcher; either must work).
	write(pool(m3.Addr))
	_ = cmd.Process.Signal(syscall.SIGHUP)
	if !landsOn(m3, "k4") {
		t.Fatalf("SIGHUP did not reload\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer the child's stderr copier and the test may
// use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
