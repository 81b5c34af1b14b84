package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mcroute/engine"
	"mcroute/engine/mctest"
)

func TestRuntimeFlags(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		affinity   bool
		numProxies int
	}{
		{nil, false, defaultNumProxies()},
		{[]string{"--thread-affinity"}, true, defaultNumProxies()},
		{[]string{"--thread-affinity=1"}, true, defaultNumProxies()},
		{[]string{"--thread-affinity=false", "--num-proxies", "3"}, false, 3},
		{[]string{"--num-proxies=5", "--thread-affinity=true"}, true, 5},
	} {
		var o options
		fs := newFlagSet(&o, io.Discard)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if o.threadAffinity != tc.affinity || o.numProxies != tc.numProxies {
			t.Errorf("%v: thread-affinity %v, num-proxies %d; want %v, %d", tc.args, o.threadAffinity, o.numProxies, tc.affinity, tc.numProxies)
		}
	}
	if n := defaultNumProxies(); n < 1 || n > runtime.NumCPU() {
		t.Errorf("default --num-proxies %d, want 1..%d", n, runtime.NumCPU())
	}
}

// canPin reports whether this process may change a thread's CPU mask: it
// pins a throwaway locked thread (never unlocked, so the runtime ends it).
func canPin(t *testing.T) bool {
	cpus, err := engine.AllowedCPUs()
	if err != nil || len(cpus) == 0 {
		return false
	}
	res := make(chan error)
	go func() {
		runtime.LockOSThread()
		var set unix.CPUSet
		set.Set(cpus[0])
		res <- unix.SchedSetaffinity(0, &set)
	}()
	return <-res == nil
}

// TestBinaryThreadAffinity runs the binary with --thread-affinity: it
// serves, and each event loop's thread ends up on one CPU.
func TestBinaryThreadAffinity(t *testing.T) {
	if !canPin(t) {
		t.Skip("sched_setaffinity is not permitted here")
	}
	cpus, _ := engine.AllowedCPUs()
	bin := buildBinary(t)
	m := mctest.StartMemcached(t)
	cfg := filepath.Join(t.TempDir(), "mcrouter.json")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{"pools":{"A":{"servers":["%s"]}},"route":"PoolRoute|A"}`, m.Addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	port := mctest.FreePort(t, "127.0.0.1")
	var stderr syncBuffer
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "--listen-address", "127.0.0.1",
		"--config", "file:"+cfg, "--num-proxies", "2", "--thread-affinity")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := mctest.WaitListening(addr, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	c := mctest.Dial(t, addr)
	if got := c.Do("set aff 0 0 2\r\nhi\r\n"); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	if got := c.Do("get aff\r\n"); got != "VALUE aff 0 2\r\nhi\r\nEND\r\n" {
		t.Fatalf("get: %q", got)
	}
	if len(cpus) < 2 {
		return // every thread is on the one CPU anyway
	}
	// The loops are pinned once the engine serves: wait for two threads
	// on one CPU each, loop 0 on the mask's first CPU, loop 1 on its second.
	want := []string{fmt.Sprint(engine.LoopCPU(0, cpus)), fmt.Sprint(engine.LoopCPU(1, cpus))}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := pinnedThreads(t, cmd.Process.Pid)
		if strings.Contains(got, want[0]+";") && strings.Contains(got, want[1]+";") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("threads on one CPU: %q, want CPUs %v\n%s", got, want, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
}

// pinnedThreads lists the Cpus_allowed_list of pid's threads that run on
// a single CPU, each followed by ";".
func pinnedThreads(t *testing.T, pid int) string {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var b strings.Builder
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
				v = strings.TrimSpace(v)
				if !strings.ContainsAny(v, ",-") {
					b.WriteString(v + ";")
				}
			}
		}
	}
	return b.String()
}
