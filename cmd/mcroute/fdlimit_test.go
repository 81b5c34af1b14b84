package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

// withFDLimit returns a command running bin with args under a soft and
// hard RLIMIT_NOFILE of n, so raising the soft limit cannot undo it.
func withFDLimit(n int, bin string, args ...string) *exec.Cmd {
	if p, err := exec.LookPath("prlimit"); err == nil {
		return exec.Command(p, append([]string{fmt.Sprintf("--nofile=%d:%d", n, n), bin}, args...)...)
	}
	return exec.Command("/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, n), bin}, args...)...)
}

// statValue returns the value of `STAT name` in a stats reply, or -1.
func statValue(stats, name string) int64 {
	for _, line := range strings.Split(stats, "\r\n") {
		if v, ok := strings.CutPrefix(line, "STAT "+name+" "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// cpuTicks is the process's user+system time in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// TestFDLimitKeepsServing: out of file descriptors, mcroute keeps serving
// the clients it has, pauses accepting (without spinning a core), counts
// the failed accepts in stats, logs the episode once, and accepts again
// when descriptors free up. Before the fix gnet stopped the engine at the
// first EMFILE and mcroute exited 0.
func TestFDLimitKeepsServing(t *testing.T) {
	const limit = 128
	bin := buildBinary(t)
	m := mctest.StartMemcached(t)
	port := mctest.FreePort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`{"pools":{"A":{"servers":["%s"]}},"route":"PoolRoute|A"}`, m.Addr)
	cmd := withFDLimit(limit, bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config-str", cfg, "--num-proxies", "1")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	alive := func(when string) {
		t.Helper()
		select {
		case <-exited:
			t.Fatalf("%s: mcroute exited (%v)\n%s", when, waitErr, stderr.String())
		default:
		}
	}
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if want := fmt.Sprintf("open file limit: %d", limit); !strings.Contains(stderr.String(), want) {
		t.Errorf("log does not say %q:\n%s", want, stderr.String())
	}

	// An early client, with its server connection open before the flood.
	c := mctest.Dial(t, addr)
	if got := c.Do("set fd 0 0 2\r\nok\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}

	// More connections than descriptors: the kernel completes them into
	// the listen backlog; mcroute accepts until EMFILE, then pauses.
	var flood []net.Conn
	defer func() {
		for _, f := range flood {
			f.Close()
		}
	}()
	for i := 0; i < limit+60; i++ {
		f, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		flood = append(flood, f)
	}
	deadline := time.Now().Add(5 * time.Second)
	for statValue(c.Do("stats\r\n"), "num_client_connections_refused") <= 0 {
		if time.Now().After(deadline) {
			t.Fatalf("num_client_connections_refused stayed 0 with %d connections under a limit of %d\n%s",
				len(flood), limit, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	alive("out of descriptors")

	// Paused, not spinning: a busy loop would burn about 100 ticks a
	// second; idle mcroute (the 10ms sweep) takes 1-4.
	before := cpuTicks(t, cmd.Process.Pid)
	time.Sleep(time.Second)
	if used := cpuTicks(t, cmd.Process.Pid) - before; used > 40 {
		t.Errorf("out of descriptors, mcroute used %d CPU ticks in 1s (spinning?)", used)
	}

	// The early client is still served, by mcroute and through memcached.
	if got := c.Do("version\r\n"); !strings.HasPrefix(got, "VERSION ") {
		t.Fatalf("version: %q", got)
	}
	if got := c.Do("set fd 0 0 3\r\nyes\r\n"); got != "STORED\r\n" {
		t.Fatalf("set while out of descriptors: %q", got)
	}
	if got := c.Do("get fd\r\n"); got != "VALUE fd 0 3\r\nyes\r\nEND\r\n" {
		t.Fatalf("get while out of descriptors: %q", got)
	}
	alive("after requests")

	// Descriptors free up: a new client is served again.
	for _, f := range flood {
		f.Close()
	}
	flood = nil
	deadline = time.Now().Add(5 * time.Second)
	for {
		n, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			_ = n.SetDeadline(time.Now().Add(time.Second))
			_, _ = n.Write([]byte("version\r\n"))
			buf := make([]byte, 64)
			k, _ := n.Read(buf)
			n.Close()
			if strings.HasPrefix(string(buf[:k]), "VERSION ") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new client served after the flood closed (last dial error %v)\n%s", err, stderr.String())
		}
	}
	if got := c.Do("get fd\r\n"); got != "VALUE fd 0 3\r\nyes\r\nEND\r\n" {
		t.Fatalf("get after recovery: %q", got)
	}
	log := stderr.String()
	if n := strings.Count(log, "too many open files"); n != 1 {
		t.Errorf("the out-of-descriptors episode was logged %d times, want once:\n%s", n, log)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", waitErr, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("mcroute did not stop on SIGTERM\n%s", stderr.String())
	}
}

// TestRunErrorExitsNonZero: when the engine cannot run (here the port is
// taken), mcroute prints why and exits 2, never 0.
func TestRunErrorExitsNonZero(t *testing.T) {
	bin := buildBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config-str", `{"pools":{"A":{"servers":["127.0.0.1:1"]}},"route":"PoolRoute|A"}`)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitTransient {
		t.Fatalf("exit %v, want %d\n%s", err, exitTransient, out)
	}
	if !strings.Contains(string(out), "stopped: ") || !strings.Contains(string(out), "address already in use") {
		t.Errorf("no reason printed:\n%s", out)
	}
}
