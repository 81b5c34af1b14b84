package bench

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// startMemcached starts a real memcached on a free loopback port for the
// test and stops it afterwards. It skips the test when memcached is not
// installed.
func startMemcached(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		t.Skip("memcached is not installed (apt-get install memcached); skipping the test against a real server")
	}
	for attempt := 0; attempt < 3; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-t", "1", "-m", "64"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-exited:
				deadline = time.Time{} // port taken meanwhile: try another
				continue
			default:
			}
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return addr
			}
		}
	}
	t.Fatal("memcached did not start")
	return ""
}

// TestAgainstMemcached runs the generator for a few seconds against a real
// memcached and checks the counts add up: every request sent was answered
// and checked, nothing failed, and after a preload every get hits.
func TestAgainstMemcached(t *testing.T) {
	addr := startMemcached(t)
	base := DefaultConfig()
	base.Servers = []string{addr}
	base.Threads, base.Clients = 1, 4
	base.KeyMin, base.KeyMax = 1, 5000
	base.KeyPrefix = "it:"
	base.DataSizeMin, base.DataSizeMax = 50, 2000

	pre := base
	pre.Ratio = Ratio{1, 0}
	pre.SetPattern = PatternParallel
	pre.Pipeline = 32
	pre.Requests = 5000 / 4
	r, err := Run(context.Background(), pre)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, r)
	if r.Sets.Count != 5000 || r.Problems() != 0 {
		t.Fatalf("preload: %d sets stored, problems %d %+v", r.Sets.Count, r.Problems(), r.ErrorKinds)
	}

	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"closed loop, pipelined multi-get, verify", func(c *Config) { c.Pipeline, c.MultiKeyGet, c.Verify = 8, 4, true }},
		{"open loop", func(c *Config) { c.Rate = 3000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Requests = 0
			cfg.TestTime = 1500 * time.Millisecond
			tc.mod(&cfg)
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkAccounting(t, r)
			if r.Problems() != 0 {
				t.Fatalf("problems against real memcached: %+v", r.ErrorKinds)
			}
			if r.Sent == 0 || r.Gets.Misses != 0 || r.Gets.Hits != r.Gets.Count*uint64(cfg.MultiKeyGet) {
				t.Fatalf("sent %d, gets %d, hits %d, misses %d: want every preloaded key to hit", r.Sent, r.Gets.Count, r.Gets.Hits, r.Gets.Misses)
			}
			t.Logf("%d requests, %.0f ops/s, p99 %.3f ms, generator %.2f cores", r.Sent, r.Totals.OpsPerSec, r.Totals.Latency.P99, r.Generator.Cores)
		})
	}
}
