package compare

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"mcroute/bench"
)

// countWorkloads are the workloads whose syscalls and context switches per
// request are counted (the README's table needs A, B and C).
const countWorkloads = "ABC"

// checkAlive marks t down if its proxy has exited; it reports whether t can
// still be measured.
func (r *runner) checkAlive(t *target) bool {
	if t.down == "" && t.proxy != nil && !t.proxy.alive() {
		t.down = fmt.Sprintf("%s not serving: exited during the benchmark (%v) %s", t.name, t.proxy.waitErr, t.proxy.logTail())
		fmt.Fprintf(r.opts.Log, "   %s\n", t.down)
	}
	return t.down == ""
}

// countPerRequest runs w once more against proxy target t with
// mcroute-bench and counts the proxy's system calls (perf when it works
// here, else /proc/PID/io's read/write syscalls) and context switches (all
// threads' /proc status) over it. It is a separate run because perf attached
// to the proxy costs it CPU, which would bend the measured rounds.
func (r *runner) countPerRequest(ctx context.Context, t *target, w Workload, rate float64) *PerRequest {
	pr := &PerRequest{Target: t.name}
	cfg := r.benchConfig(t, w, rate, 0)
	rctx, cancel := context.WithTimeout(ctx, r.opts.Duration+2*cfg.ReplyTimeout+15*time.Second)
	defer cancel()
	pid := t.proxy.pid()
	var pc *perfCounter
	if r.perf != "" {
		r.seq++
		var err error
		if pc, err = startPerf(r.perf, r.procs.dir, pid, r.seq); err != nil {
			pr.Err = "perf: " + err.Error()
		}
	}
	c0, cerr0 := procCtxSwitches(pid)
	io0, ioerr0 := procRWSyscalls(pid)
	res, err := bench.Run(rctx, cfg)
	c1, cerr1 := procCtxSwitches(pid)
	io1, ioerr1 := procRWSyscalls(pid)
	var sys uint64
	var perfErr error
	if pc != nil {
		sys, perfErr = pc.stop()
	}
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	pr.Requests, pr.Seconds = res.Sent, res.Seconds
	if pr.Requests == 0 {
		pr.Err = "no requests sent"
		return pr
	}
	n := float64(pr.Requests)
	if cerr0 == nil && cerr1 == nil {
		v := float64(c1.Total()-c0.Total()) / n
		pr.CtxSwitches = &v
		pr.Voluntary = float64(c1.Voluntary-c0.Voluntary) / n
		pr.Nonvoluntary = float64(c1.Nonvoluntary-c0.Nonvoluntary) / n
	} else {
		pr.Err = fmt.Sprintf("context switches: %v %v", cerr0, cerr1)
	}
	switch {
	case pc != nil && perfErr == nil:
		v := float64(sys) / n
		pr.Syscalls, pr.SyscallsHow = &v, SyscallsPerf
	case ioerr0 == nil && ioerr1 == nil:
		v := float64(io1-io0) / n
		pr.Syscalls, pr.SyscallsHow = &v, SyscallsRW
		if perfErr != nil {
			pr.Err = "perf: " + perfErr.Error() + "; fell back to /proc/PID/io"
		}
	default:
		pr.Err = fmt.Sprintf("syscalls: perf %v, /proc io %v %v", perfErr, ioerr0, ioerr1)
	}
	return pr
}

func (pr *PerRequest) line() string {
	s := fmt.Sprintf("%-15s %d requests", pr.Target, pr.Requests)
	if pr.Syscalls != nil {
		s += fmt.Sprintf("  %.2f %s", *pr.Syscalls, strings.SplitN(pr.SyscallsHow, " (", 2)[0])
	}
	if pr.CtxSwitches != nil {
		s += fmt.Sprintf("  %.3f ctx switches/req (%.3f voluntary)", *pr.CtxSwitches, pr.Voluntary)
	}
	if pr.Err != "" {
		s += "  (" + pr.Err + ")"
	}
	return s
}

// idleAndConns measures every live proxy of topo: its CPU over IdleTime
// with no clients after the workloads (all proxies in the same window),
// then, one proxy at a time, its memory per idle connection on a fresh
// process of it (measureConns).
func (r *runner) idleAndConns(ctx context.Context, topo *topology) []*ProxyStats {
	var live []*target
	for _, t := range topo.targets {
		if t.proxy != nil && r.checkAlive(t) {
			live = append(live, t)
		}
	}
	if len(live) == 0 || (r.opts.IdleTime <= 0 && r.opts.IdleConns <= 0) {
		return nil
	}
	stats := make([]*ProxyStats, len(live))
	for i, t := range live {
		stats[i] = &ProxyStats{Target: t.name}
	}
	if r.opts.IdleTime > 0 {
		sleepCtx(ctx, time.Second) // the last run's connections close and settle
		type sample struct {
			threads threadCPU
			ticks   float64
			err     error
		}
		read := func(pid int) sample {
			var s sample
			s.threads, s.err = procThreadCPU(pid)
			if ticks, err := procCPU(pid); err == nil {
				s.ticks = ticks
			} else if s.err == nil {
				s.err = err
			}
			return s
		}
		before := make([]sample, len(live))
		for i, t := range live {
			before[i] = read(t.proxy.pid())
		}
		start := time.Now()
		sleepCtx(ctx, r.opts.IdleTime)
		idle := time.Since(start).Seconds()
		for i, t := range live {
			after := read(t.proxy.pid())
			stats[i].IdleSeconds = idle
			if err := cmp.Or(before[i].err, after.err); err != nil {
				stats[i].Err = "idle CPU: " + err.Error()
				continue
			}
			v, exited := after.threads.since(before[i].threads)
			if exited > 0 {
				// A thread's time went with it: fall back to the
				// process's clock ticks, which keep it.
				v = after.ticks - before[i].ticks
				stats[i].Err = fmt.Sprintf("idle CPU: %d threads exited, counted in clock ticks", exited)
			}
			stats[i].IdleCPUSeconds = &v
		}
	}
	if r.opts.IdleConns > 0 {
		for i, t := range live {
			if ctx.Err() != nil {
				break
			}
			r.measureConns(t, stats[i])
		}
	}
	return stats
}

// measureConns starts a fresh process of proxy t (same config and
// backends, no traffic before: the memory a user sees connecting IdleConns
// idle clients to a new proxy), has one connection send one get and
// close (the proxy's one-time cost of its first request, FirstGetKiB),
// then opens IdleConns connections to it one after another, each sending one get (a proxy may allocate a
// connection's buffers only when it first reads) and reading its reply
// before the next opens, lets them sit idle, reads VmRSS and stops the
// process. One get in flight at a time: with all of them sent before any
// reply is read, the proxies' per-request buffers for 1000 requests in
// flight (a burst, not idle connections) would count too. Measured on the proxy that ran the workloads
// instead, heap and buffers left over from them would absorb the new
// connections and the figure would flatter whoever keeps the most.
func (r *runner) measureConns(t *target, ps *ProxyStats) {
	if t.another == nil {
		ps.Err = joinErr(ps.Err, "memory per connection: no way to start another "+t.name)
		return
	}
	p, addr, err := t.another(t.proxy.name + "-fresh")
	if err != nil {
		ps.Err = joinErr(ps.Err, "memory per connection: fresh "+t.name+": "+err.Error())
		return
	}
	defer p.stop()
	pid := p.pid()
	time.Sleep(500 * time.Millisecond) // start-up allocations settle
	start, err := procRSSKiB(pid)
	if err != nil {
		ps.Err = joinErr(ps.Err, "RSS: "+err.Error())
		return
	}
	// One get first, on a connection then closed: what a proxy pays once
	// for its first request (its server connection, buffers and code
	// pages first touched) is reported apart, so that the figure per
	// connection is what every further idle connection costs.
	if err := firstGet(addr); err != nil {
		ps.Err = joinErr(ps.Err, "memory per connection: first get: "+err.Error())
		return
	}
	time.Sleep(500 * time.Millisecond)
	before, err := procRSSKiB(pid)
	if err != nil {
		ps.Err = joinErr(ps.Err, "RSS: "+err.Error())
		return
	}
	first := float64(before) - float64(start)
	ps.FirstGetKiB = &first
	n := r.opts.IdleConns
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := dialGet(addr)
		if c != nil {
			conns = append(conns, c)
		}
		if err != nil {
			ps.Err = joinErr(ps.Err, fmt.Sprintf("idle connection %d of %d: %v", i+1, n, err))
			return
		}
	}
	time.Sleep(500 * time.Millisecond)
	after, err := procRSSKiB(pid)
	if err != nil {
		ps.Err = joinErr(ps.Err, "RSS: "+err.Error())
		return
	}
	ps.Conns, ps.RSSBeforeKiB, ps.RSSAfterKiB = n, before, after
	ps.ConnsFresh = true
	v := (float64(after) - float64(before)) / float64(n)
	ps.KiBPerConn = &v
}

// firstGet sends one get on a new connection to addr, reads its END and
// closes the connection.
func firstGet(addr string) error {
	c, err := dialGet(addr)
	if c != nil {
		c.Close()
	}
	return err
}

// dialGet opens a connection to addr, sends one get of a missing key and
// reads its END. It returns the connection whenever the dial succeeded
// (for the caller to close), with an error if the get was not answered.
func dialGet(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("get mcroute-bench:idle\r\n")); err != nil {
		return c, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "END\r\n" {
		return c, fmt.Errorf("get answered %q (%v)", strings.TrimSpace(line), err)
	}
	return c, nil
}

func (ps *ProxyStats) line() string {
	s := fmt.Sprintf("%-15s", ps.Target)
	if ps.IdleCPUSeconds != nil {
		s += fmt.Sprintf("  idle CPU %.0f ms over %.1f s", *ps.IdleCPUSeconds*1000, ps.IdleSeconds)
	}
	if ps.KiBPerConn != nil {
		s += fmt.Sprintf("  %.2f KiB per idle connection (%d conns: RSS %d → %d KiB)", *ps.KiBPerConn, ps.Conns, ps.RSSBeforeKiB, ps.RSSAfterKiB)
	}
	if ps.FirstGetKiB != nil {
		s += fmt.Sprintf("  first get %.0f KiB", *ps.FirstGetKiB)
	}
	if ps.Err != "" {
		s += "  (" + ps.Err + ")"
	}
	return s
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
