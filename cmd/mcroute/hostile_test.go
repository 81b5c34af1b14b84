package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/engine/mctest"
)

// Hostile clients against the built binary, measuring the process's RSS
// and CPU: mcroute's memory stays bounded in bytes whatever a client sends
// or fails to read, and other clients keep being served.

// startBinary runs mcroute with one loop in front of one memcached and
// returns its address and process.
func startBinary(t *testing.T, m *mctest.Memcached) (string, *os.Process) {
	t.Helper()
	bin := buildBinary(t)
	cfg := filepath.Join(t.TempDir(), "mcrouter.json")
	text := fmt.Sprintf(`{"pools": {"A": {"servers": ["%s"]}}, "route": "PoolRoute|A"}`, m.Addr)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	port := mctest.FreePort(t, "127.0.0.1")
	var stderr syncBuffer
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config", "file:"+cfg, "--num-proxies", "1", "--server-timeout", "5000")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	return addr, cmd.Process
}

// rssMiB is the process's resident set in MiB.
func rssMiB(t *testing.T, p *os.Process) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid))
	if err != nil {
		t.Fatalf("mcroute is gone: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb >> 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// cpuTime is the process's user+system CPU time.
func cpuTime(t *testing.T, p *os.Process) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100
}

// storeValues sets n keys prefix<i> to size-byte values through addr.
func storeValues(t *testing.T, addr, prefix string, n, size int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	val := bytes.Repeat([]byte{'v'}, size)
	go func() {
		w := bufio.NewWriterSize(c, 1<<20)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "set %s%d 0 0 %d\r\n%s\r\n", prefix, i, size, val)
		}
		_ = w.Flush()
	}()
	r := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := 0; i < n; i++ {
		line, err := r.ReadString('\n')
		if err != nil || line != "STORED\r\n" {
			t.Fatalf("set %s%d: %q %v", prefix, i, line, err)
		}
	}
}

// TestHostileNeverReads: a client asks for 1,000 replies of 1 MB in one
// write and never reads. mcroute stops sending its requests once its
// unsent replies are over the high water mark, so its RSS stays bounded,
// and another client is served meanwhile.
func TestHostileNeverReads(t *testing.T) {
	m := mctest.StartMemcached(t, "-m", "256")
	addr, proc := startBinary(t, m)
	storeValues(t, addr, "big", 20, 1000000)
	base := rssMiB(t, proc)

	bad, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	var req bytes.Buffer
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&req, "get big%d\r\n", i%20)
	}
	if _, err := bad.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	peak := base
	good := mctest.Dial(t, addr)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		got := good.Do("get big3\r\n")
		if !strings.HasPrefix(got, "VALUE big3 0 1000000\r\n") || !strings.HasSuffix(got, "END\r\n") {
			t.Fatalf("other client: %.60q", got)
		}
		peak = max(peak, rssMiB(t, proc))
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("RSS %d MiB before, peak %d MiB", base, peak)
	if peak-base > 300 {
		t.Fatalf("RSS grew %d MiB for a client that never reads", peak-base)
	}
	if v := statValue(mctest.Dial(t, addr).Do("stats\r\n"), "client_paused_for_backpressure"); v < 1 {
		t.Fatalf("client_paused_for_backpressure = %d", v)
	}
}

// TestHostileHugeMultiGet: one get of 2,000 keys of 100 KB. Keys are sent
// through a window and the reply is streamed in key order, so RSS stays
// well under the 200 MB reply, and the reply is complete and correct.
func TestHostileHugeMultiGet(t *testing.T) {
	const n, size = 2000, 100000
	m := mctest.StartMemcached(t, "-m", "512")
	addr, proc := startBinary(t, m)
	storeValues(t, addr, "k", n, size)
	base := rssMiB(t, proc)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var req bytes.Buffer
	req.WriteString("get")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&req, " k%d", i)
	}
	req.WriteString("\r\n")
	if _, err := c.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReaderSize(c, 1<<16)
	peak := base
	buf := make([]byte, size+2)
	for i := 0; i < n; i++ {
		line, err := r.ReadString('\n')
		if want := fmt.Sprintf("VALUE k%d 0 %d\r\n", i, size); err != nil || line != want {
			t.Fatalf("key %d: %.80q %v, want %q", i, line, err, want)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		if buf[0] != 'v' || buf[size-1] != 'v' || string(buf[size:]) != "\r\n" {
			t.Fatalf("key %d: bad data", i)
		}
		if i%100 == 0 {
			peak = max(peak, rssMiB(t, proc))
		}
	}
	if line, err := r.ReadString('\n'); line != "END\r\n" {
		t.Fatalf("end: %q %v", line, err)
	}
	t.Logf("RSS %d MiB before, peak %d MiB", base, peak)
	if peak-base > 300 {
		t.Fatalf("RSS grew %d MiB for a 200 MB reply", peak-base)
	}
}

// TestHostilePausedBacklog: a client paused for backpressure goes on
// sending (32 MiB). mcroute does not look at its backlog while it is
// paused, so its CPU stays low and another client on the same loop is
// served without delay.
func TestHostilePausedBacklog(t *testing.T) {
	m := mctest.StartMemcached(t)
	addr, proc := startBinary(t, m)
	storeValues(t, addr, "big", 8, 1000000)

	bad, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	// Replies it never reads put it over the high water mark: paused.
	var req bytes.Buffer
	for i := 0; i < 64; i++ {
		fmt.Fprintf(&req, "get big%d\r\n", i%8)
	}
	if _, err := bad.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cpu0 := cpuTime(t, proc)
	wrote := make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte("get nothing-here\r\n"), (1<<20)/18)
		var err error
		for i := 0; i < 32 && err == nil; i++ {
			_ = bad.SetWriteDeadline(time.Now().Add(10 * time.Second))
			_, err = bad.Write(chunk)
		}
		wrote <- err
	}()
	good := mctest.Dial(t, addr)
	good.Do("set small 0 0 2\r\nhi\r\n")
	var worst time.Duration
	for done := false; !done; {
		select {
		case err := <-wrote:
			if err != nil {
				t.Fatalf("writing the backlog: %v", err)
			}
			done = true
		default:
		}
		t0 := time.Now()
		if got := good.Do("get small\r\n"); got != "VALUE small 0 2\r\nhi\r\nEND\r\n" {
			t.Fatalf("other client: %q", got)
		}
		worst = max(worst, time.Since(t0))
	}
	cpu := cpuTime(t, proc) - cpu0
	t.Logf("32 MiB to a paused client: mcroute CPU %v, worst latency of the other client %v", cpu, worst)
	if cpu > 1500*time.Millisecond {
		t.Fatalf("mcroute used %v CPU on a paused client's backlog", cpu)
	}
	if worst > time.Second {
		t.Fatalf("other client waited %v", worst)
	}
}
