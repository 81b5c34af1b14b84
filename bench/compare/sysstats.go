package compare

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CtxSwitches are a process's context switches, all its threads summed.
type CtxSwitches struct {
	Voluntary, Nonvoluntary uint64
}

// Total is voluntary plus nonvoluntary.
func (c CtxSwitches) Total() uint64 { return c.Voluntary + c.Nonvoluntary }

// parseStatusCtx reads voluntary_ctxt_switches and
// nonvoluntary_ctxt_switches out of a /proc/PID[/task/TID]/status file.
func parseStatusCtx(b []byte) (CtxSwitches, error) {
	var c CtxSwitches
	var seen int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch k {
		case "voluntary_ctxt_switches":
			dst = &c.Voluntary
		case "nonvoluntary_ctxt_switches":
			dst = &c.Nonvoluntary
		default:
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return c, fmt.Errorf("/proc status %s: %q", k, strings.TrimSpace(v))
		}
		*dst = n
		seen++
	}
	if seen != 2 {
		return c, errors.New("/proc status: no voluntary_ctxt_switches/nonvoluntary_ctxt_switches")
	}
	return c, nil
}

// procCtxSwitches sums the context switches of every live thread of pid
// (/proc/PID/status alone counts only the main thread).
func procCtxSwitches(pid int) (CtxSwitches, error) {
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(dirs) == 0 {
		return CtxSwitches{}, fmt.Errorf("pid %d: no /proc task status", pid)
	}
	var sum CtxSwitches
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited between glob and read
		}
		c, err := parseStatusCtx(b)
		if err != nil {
			return sum, err
		}
		sum.Voluntary += c.Voluntary
		sum.Nonvoluntary += c.Nonvoluntary
	}
	return sum, nil
}

// parseStatusRSS returns VmRSS in KiB from a /proc/PID/status file.
func parseStatusRSS(b []byte) (uint64, error) {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
			return strconv.ParseUint(v, 10, 64)
		}
	}
	return 0, errors.New("/proc status: no VmRSS")
}

// procRSSKiB is pid's resident set in KiB.
func procRSSKiB(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusRSS(b)
}

// parseIORWSyscalls returns syscr+syscw from /proc/PID/io: the read- and
// write-family system calls only (read, readv, recvfrom… and write,
// writev, sendto…), not epoll_wait or anything else.
func parseIORWSyscalls(b []byte) (uint64, error) {
	var r, w uint64
	var seen int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "syscr" && k != "syscw") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc io %s: %q", k, strings.TrimSpace(v))
		}
		if k == "syscr" {
			r = n
		} else {
			w = n
		}
		seen++
	}
	if seen != 2 {
		return 0, errors.New("/proc io: no syscr/syscw")
	}
	return r + w, nil
}

// procRWSyscalls is pid's syscr+syscw (all threads, dead ones included).
func procRWSyscalls(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	return parseIORWSyscalls(b)
}

// Syscall sources, as the report labels them.
const (
	SyscallsPerf = "syscalls/req (perf raw_syscalls:sys_enter)"
	SyscallsRW   = "rw syscalls/req (/proc/PID/io syscr+syscw: read/write family only)"
)

// perfCounter counts a process's system calls with
// `perf stat -e raw_syscalls:sys_enter -p PID` for as long as it runs.
type perfCounter struct {
	cmd  *exec.Cmd
	out  string
	done chan error
}

// findPerf returns a perf binary that can count raw_syscalls:sys_enter
// here (it needs tracefs and a permissive perf_event_paranoid or root), or
// "" and why not.
func findPerf(name string) (string, string) {
	if name == "" {
		return "", "perf disabled"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", "perf not installed (apt-get install linux-perf)"
	}
	out, err := exec.Command(bin, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "--", "true").CombinedOutput()
	if err != nil {
		return "", fmt.Sprintf("perf cannot count raw_syscalls:sys_enter here: %v: %s", err, lastLine(string(out)))
	}
	if _, err := parsePerfCount(out); err != nil {
		return "", fmt.Sprintf("perf cannot count raw_syscalls:sys_enter here: %s", lastLine(string(out)))
	}
	return bin, ""
}

// startPerf attaches perf to pid; stop returns the count.
func startPerf(bin, dir string, pid int, seq int) (*perfCounter, error) {
	out := filepath.Join(dir, fmt.Sprintf("perf-%d.csv", seq))
	cmd := exec.Command(bin, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", strconv.Itoa(pid), "-o", out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pc := &perfCounter{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { pc.done <- cmd.Wait() }()
	time.Sleep(150 * time.Millisecond) // let it attach before the run starts
	return pc, nil
}

// stop ends the count (SIGINT makes perf stat print it) and returns it.
func (pc *perfCounter) stop() (uint64, error) {
	_ = pc.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-pc.done:
	case <-time.After(5 * time.Second):
		_ = pc.cmd.Process.Kill()
		<-pc.done
		return 0, errors.New("perf stat did not stop on SIGINT")
	}
	b, err := os.ReadFile(pc.out)
	if err != nil {
		return 0, err
	}
	return parsePerfCount(b)
}

// parsePerfCount reads the raw_syscalls:sys_enter count out of
// `perf stat -x ,` output: "12345,,raw_syscalls:sys_enter,…".
func parsePerfCount(b []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) < 3 || !strings.HasPrefix(f[2], "raw_syscalls:sys_enter") {
			continue
		}
		if strings.TrimSpace(f[0]) == "<not counted>" {
			return 0, nil // the process never ran while perf watched it: no syscalls
		}
		n, err := strconv.ParseUint(strings.TrimSpace(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("perf stat: count %q (%s)", f[0], sc.Text())
		}
		return n, nil
	}
	return 0, errors.New("perf stat: no raw_syscalls:sys_enter line")
}

// threadCPU is each thread's on-CPU time in nanoseconds, by thread id, from
// /proc/PID/task/*/schedstat (first field: sum_exec_runtime). Unlike
// /proc/PID/stat's utime and stime, counted in clock ticks (10 ms at
// USER_HZ 100), it resolves the few milliseconds an idle process uses.
// Threads that exit are not in it.
type threadCPU map[int]uint64

// procThreadCPU reads pid's threadCPU.
func procThreadCPU(pid int) (threadCPU, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	tc := make(threadCPU, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "schedstat"))
		if err != nil {
			continue // the thread exited since ReadDir
		}
		ns, err := parseSchedstat(b)
		if err != nil {
			return nil, err
		}
		tc[tid] = ns
	}
	if len(tc) == 0 {
		return nil, fmt.Errorf("%s: no readable schedstat", dir)
	}
	return tc, nil
}

// parseSchedstat reads the on-CPU nanoseconds (the first of three fields)
// out of a /proc schedstat file.
func parseSchedstat(b []byte) (uint64, error) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return 0, fmt.Errorf("schedstat: %q", strings.TrimSpace(string(b)))
	}
	return strconv.ParseUint(f[0], 10, 64)
}

// since returns the CPU seconds the threads of tc used after before: each
// thread's growth, a thread born in between counted whole. The time of a
// thread that exited in between is lost (rare in an idle process; the
// caller can check the exited count).
func (tc threadCPU) since(before threadCPU) (seconds float64, exited int) {
	var ns uint64
	for tid, v := range tc {
		if b, ok := before[tid]; ok && v >= b {
			ns += v - b
		} else if !ok {
			ns += v
		}
	}
	for tid := range before {
		if _, ok := tc[tid]; !ok {
			exited++
		}
	}
	return float64(ns) / 1e9, exited
}
