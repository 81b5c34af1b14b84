package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"mcroute/bench"
)

// Options configure a side-by-side run.
type Options struct {
	// Mcroute, Memcached and Nutcracker are the binaries. memcached must
	// exist; a missing nutcracker or mcroute marks its rows not serving.
	Mcroute, Memcached, Nutcracker string
	// Rounds: each workload runs every target once per round, interleaved
	// (memcached, twemproxy, mcroute, memcached, …).
	Rounds int
	// Duration is each measured run; Warmup an unmeasured run just before.
	Duration, Warmup time.Duration
	// Workloads to run, by name (A-F); Backends, the topologies (1 and 4).
	Workloads []string
	Backends  []int
	// Keys is the keyspace of workloads A-D and F.
	Keys int64
	// RateFraction sets F's open-loop rate as a share of twemproxy's
	// median workload-A ops/s in the same topology.
	RateFraction float64
	// MemcachedThreads (-t per memcached) and McrouteProxies
	// (--num-proxies) keep the servers on an equal footing with
	// single-threaded twemproxy.
	MemcachedThreads, McrouteProxies int
	// OutDir receives Name.json, Name.md and Name.svg (Name defaults to
	// the date); empty OutDir writes nothing.
	OutDir, Name string
	// Command is how the run was started, recorded in the output.
	Command string
	// Log receives one line per run as it finishes.
	Log io.Writer
	// StartTimeout is how long a server or proxy may take to answer
	// version after it starts.
	StartTimeout time.Duration
}

// DefaultOptions is `make bench`: A-F, 1 and 4 backends, 3 rounds of 3 s.
func DefaultOptions() Options {
	return Options{
		Mcroute:          "bin/mcroute",
		Memcached:        "memcached",
		Nutcracker:       "nutcracker",
		Rounds:           3,
		Duration:         3 * time.Second,
		Warmup:           500 * time.Millisecond,
		Workloads:        []string{"A", "B", "C", "D", "E", "F"},
		Backends:         []int{1, 4},
		Keys:             100_000,
		RateFraction:     0.5,
		MemcachedThreads: 1,
		McrouteProxies:   1,
		OutDir:           "bench/results",
		Log:              io.Discard,
		StartTimeout:     5 * time.Second,
	}
}

// HeadlineNote explains why ops per proxy CPU-second leads; it is printed
// with every result.
const HeadlineNote = "Read ops per proxy CPU-second first. On a shared, noisy 2-core machine the generator, " +
	"the proxy and memcached compete for the same cores, so ops/s and latency move with whatever else runs; " +
	"the work a proxy does per second of its own CPU time (utime+stime from /proc/PID/stat around each run) is the figure that holds."

type runner struct {
	opts                  Options
	procs                 *procs
	memcached, nutcracker string
	workloads             []Workload
}

// Run performs the whole comparison and returns the report, after writing
// it under OutDir. It stops every process it started before returning,
// also when ctx is canceled (the partial report comes back with ctx's
// error).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 5 * time.Second
	}
	if opts.Rounds < 1 || opts.Duration <= 0 || len(opts.Backends) == 0 || opts.Keys < 1 ||
		opts.RateFraction <= 0 || opts.MemcachedThreads < 1 || opts.McrouteProxies < 1 {
		return nil, errors.New("compare: need rounds >= 1, a positive duration, key count and rate fraction, some backends, and thread counts >= 1")
	}
	for _, n := range opts.Backends {
		if n < 1 || n > 64 {
			return nil, fmt.Errorf("compare: %d backends: want 1..64", n)
		}
	}
	r := &runner{opts: opts}
	var err error
	if r.workloads, err = selectWorkloads(Workloads(opts.Keys, opts.RateFraction), opts.Workloads); err != nil {
		return nil, err
	}
	if r.memcached, err = exec.LookPath(opts.Memcached); err != nil {
		return nil, fmt.Errorf("memcached not found (%v): apt-get install memcached, or make bench installs it", err)
	}
	r.nutcracker = findNutcracker(opts.Nutcracker)
	dir, err := os.MkdirTemp("", "mcroute-bench-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r.procs = &procs{dir: dir}
	defer r.procs.stopAll()

	rep := r.newReport()
	start := time.Now()
	fmt.Fprintf(opts.Log, "%s\n\n", HeadlineNote)
	for _, n := range opts.Backends {
		tr, err := r.runTopology(ctx, n)
		if tr != nil {
			rep.Topologies = append(rep.Topologies, tr)
		}
		r.procs.stopAll()
		if err != nil {
			rep.Seconds = time.Since(start).Seconds()
			return rep, err
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if opts.OutDir != "" {
		paths, err := rep.WriteFiles(opts.OutDir, opts.Name)
		if err != nil {
			return rep, err
		}
		fmt.Fprintf(opts.Log, "\nwrote %s\n", strings.Join(paths, ", "))
	}
	return rep, nil
}

// findNutcracker looks on PATH and then in /usr/sbin, which a non-root PATH
// often lacks; "" when absent.
func findNutcracker(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if !strings.Contains(name, "/") {
		if _, err := os.Stat("/usr/sbin/" + name); err == nil {
			return "/usr/sbin/" + name
		}
	}
	return ""
}

func (r *runner) newReport() *Report {
	o := r.opts
	rep := &Report{
		Date:    time.Now().Format("2006-01-02"),
		Started: time.Now(),
		Command: o.Command,
		Note:    HeadlineNote,
		Host: Host{
			CPUs:       runtime.NumCPU(),
			Kernel:     kernel(),
			Go:         runtime.Version(),
			Memcached:  versionOf(r.memcached, "-V"),
			Nutcracker: "not installed",
		},
		Rounds:          o.Rounds,
		DurationSeconds: o.Duration.Seconds(),
		WarmupSeconds:   o.Warmup.Seconds(),
		Workloads:       r.workloads,
		HistogramError:  bench.HistogramRelErr,
	}
	if r.nutcracker != "" {
		rep.Host.Nutcracker = strings.TrimPrefix(versionOf(r.nutcracker, "-V"), "This is ")
	}
	rep.Setup = []string{
		fmt.Sprintf("memcached -t %d -m 1024 per backend; every backend is preloaded with every key, so each target hits 100 %% whatever its hashing", o.MemcachedThreads),
		"twemproxy (nutcracker, single-threaded): one pool, ketama over fnv1a_64, auto_eject_hosts false, timeout 2000 ms",
		fmt.Sprintf("mcroute --num-proxies %d: PoolRoute over the same backends", o.McrouteProxies),
		fmt.Sprintf("generator: mcroute-bench in-process, 1:10 set:get, uniform random keys, every value verified; %d interleaved rounds of %s after a %s warm-up per run",
			o.Rounds, o.Duration, o.Warmup),
	}
	for _, n := range o.Backends {
		if n > 1 {
			rep.Setup = append(rep.Setup, "direct memcached with several backends: the generator's connections are spread round-robin over them")
			break
		}
	}
	return rep
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return runtime.GOOS
	}
	return "Linux " + strings.TrimSpace(string(b))
}

// runTopology starts n backends and the proxies, preloads, and runs every
// workload's rounds.
func (r *runner) runTopology(ctx context.Context, n int) (*TopologyResult, error) {
	log := r.opts.Log
	fmt.Fprintf(log, "== %s: starting memcached, twemproxy and mcroute\n", backendsLabel(n))
	topo, err := r.startTopology(n)
	if err != nil {
		return nil, err
	}
	tr := &TopologyResult{Backends: n}
	for _, t := range topo.targets {
		if t.down != "" {
			fmt.Fprintf(log, "   %s\n", t.down)
			tr.Notes = append(tr.Notes, t.down)
		}
	}
	if err := r.preload(ctx, topo); err != nil {
		return tr, err
	}
	for _, w := range r.workloads {
		wr := &WorkloadResult{Workload: w}
		if w.OpenLoop {
			wr.Rate, wr.RateNote = r.openLoopRate(tr)
		}
		results := map[string]*TargetResult{}
		for _, t := range topo.targets {
			results[t.name] = &TargetResult{Target: t.name}
		}
		for round := 1; round <= r.opts.Rounds; round++ {
			for _, t := range topo.targets {
				if ctx.Err() != nil {
					return tr, ctx.Err()
				}
				if t.down == "" && t.proxy != nil && !t.proxy.alive() {
					t.down = fmt.Sprintf("%s not serving: exited during the benchmark (%v) %s", t.name, t.proxy.waitErr, t.proxy.logTail())
					fmt.Fprintf(log, "   %s\n", t.down)
				}
				if t.down != "" {
					continue
				}
				run := r.measure(ctx, topo, t, w, wr.Rate, round)
				results[t.name].Runs = append(results[t.name].Runs, run)
				fmt.Fprintf(log, "   [%s · %s · round %d/%d] %s\n", backendsLabel(n), w.Name, round, r.opts.Rounds, run.line(t.name))
			}
		}
		for _, t := range topo.targets {
			res := results[t.name]
			res.Status = "ok"
			if t.down != "" {
				res.Status = t.down
			}
			res.summarize()
			wr.Targets = append(wr.Targets, res)
		}
		wr.compareTargets()
		tr.Workloads = append(tr.Workloads, wr)
	}
	return tr, nil
}

func backendsLabel(n int) string {
	if n == 1 {
		return "1 backend"
	}
	return fmt.Sprintf("%d backends", n)
}

// openLoopRate is F's rate: RateFraction of twemproxy's median workload-A
// ops/s in this topology (direct memcached's when twemproxy has none).
func (r *runner) openLoopRate(tr *TopologyResult) (float64, string) {
	for _, name := range []string{Twemproxy, Direct} {
		for _, w := range tr.Workloads {
			if w.Name != "A" {
				continue
			}
			if t := w.target(name); t != nil && t.OpsPerSec != nil && t.OpsPerSec.Median > 0 {
				rate := r.opts.RateFraction * t.OpsPerSec.Median
				return rate, fmt.Sprintf("%.0f requests/s = %.0f %% of %s's median workload-A %.0f ops/s",
					rate, r.opts.RateFraction*100, name, t.OpsPerSec.Median)
			}
		}
	}
	return 1000, "1000 requests/s: no workload-A figure to take a share of"
}

// preload stores every key of the selected workloads' keyspaces in every
// backend, directly: whichever backend a proxy hashes a key to has it.
func (r *runner) preload(ctx context.Context, topo *topology) error {
	type space struct {
		prefix string
		keys   int64
		size   int
	}
	seen := map[string]bool{}
	var spaces []space
	for _, w := range r.workloads {
		if !seen[w.Prefix] {
			seen[w.Prefix] = true
			spaces = append(spaces, space{w.Prefix, w.Keys, w.Size})
		}
	}
	started := time.Now()
	var sets uint64
	for _, addr := range topo.addrs {
		for _, s := range spaces {
			cfg := bench.DefaultConfig()
			cfg.Servers = []string{addr}
			cfg.Threads, cfg.Clients = 1, 4
			cfg.Ratio = bench.Ratio{Sets: 1}
			cfg.SetPattern, cfg.GetPattern = bench.PatternParallel, bench.PatternParallel
			cfg.KeyMin, cfg.KeyMax, cfg.KeyPrefix = 1, s.keys, s.prefix
			cfg.DataSizeMin, cfg.DataSizeMax = s.size, s.size
			cfg.Pipeline = 32
			cfg.Requests = (s.keys + 3) / 4
			rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			res, err := bench.Run(rctx, cfg)
			cancel()
			if err == nil && res.Problems() > 0 {
				err = fmt.Errorf("%d problems, e.g. %+v", res.Problems(), res.ErrorKinds)
			}
			if err != nil {
				return fmt.Errorf("preload %s with %s keys: %w", addr, s.prefix, err)
			}
			sets += res.Sets.Count
		}
	}
	fmt.Fprintf(r.opts.Log, "   preloaded %d keys into %d backend(s) in %.1f s\n", sets, len(topo.addrs), time.Since(started).Seconds())
	return nil
}

// benchConfig is the generator's configuration for workload w on target t.
func (r *runner) benchConfig(t *target, w Workload, rate float64, round int) bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Servers = t.addrs
	cfg.Threads, cfg.Clients = 1, w.Conns
	cfg.Ratio = bench.Ratio{Sets: 1, Gets: 10}
	cfg.KeyMin, cfg.KeyMax, cfg.KeyPrefix = 1, w.Keys, w.Prefix
	cfg.DataSizeMin, cfg.DataSizeMax = w.Size, w.Size
	cfg.Pipeline = w.Pipeline
	cfg.MultiKeyGet = w.MultiKey
	cfg.TestTime, cfg.Requests = r.opts.Duration, 0
	cfg.Verify = true
	cfg.Seed = uint64(round) // the same keys for every target in a round
	if w.OpenLoop {
		cfg.Rate = rate
	}
	return cfg
}

// measure runs w once against t, with the CPU time of the proxy and of the
// backends read before and after.
func (r *runner) measure(ctx context.Context, topo *topology, t *target, w Workload, rate float64, round int) RunResult {
	cfg := r.benchConfig(t, w, rate, round)
	timeout := r.opts.Warmup + r.opts.Duration + 2*cfg.ReplyTimeout + 15*time.Second
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if r.opts.Warmup > 0 {
		warm := cfg
		warm.TestTime = r.opts.Warmup
		_, _ = bench.Run(rctx, warm)
	}
	var proxies []*proc
	if t.proxy != nil {
		proxies = []*proc{t.proxy}
	}
	p0, b0 := cpuOf(proxies), cpuOf(topo.backends)
	res, err := bench.Run(rctx, cfg)
	p1, b1 := cpuOf(proxies), cpuOf(topo.backends)
	run := RunResult{Round: round}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("run timed out after %s", timeout)
		}
		run.Err = err.Error()
	}
	if res == nil {
		return run
	}
	run.Seconds = res.Seconds
	run.OpsPerSec = res.Totals.OpsPerSec
	run.Latency = res.Totals.Latency
	run.Errors = res.Problems()
	for _, k := range res.ErrorKinds {
		run.ErrorKinds = append(run.ErrorKinds, fmt.Sprintf("%s: %d (e.g. %q)", k.Kind, k.Count, k.Example))
	}
	if res.ConnectFailures > 0 {
		run.ErrorKinds = append(run.ErrorKinds, fmt.Sprintf("connect failures: %d (%s)", res.ConnectFailures, res.ConnectError))
	}
	run.GeneratorCores = res.Generator.Cores
	run.SendLag = res.SendLag
	run.BackendCPUSeconds = b1 - b0
	if run.BackendCPUSeconds > 0 {
		run.OpsPerBackendCPUSec = float64(res.OK) / run.BackendCPUSeconds
	}
	if t.proxy != nil {
		cpu := p1 - p0
		run.ProxyCPUSeconds = &cpu
		run.ProxyCores = cpu / res.Seconds
		if cpu > 0 {
			run.OpsPerProxyCPUSec = float64(res.OK) / cpu
		}
	}
	return run
}

// summarize fills the medians and ranges over the rounds that completed.
func (t *TargetResult) summarize() {
	var ops, perCPU, cores, perBackend, p50, p90, p99, p999, mx, gen []float64
	for _, r := range t.Runs {
		t.Errors += r.Errors
		if len(t.ErrorExamples) < 3 {
			t.ErrorExamples = append(t.ErrorExamples, r.ErrorKinds...)
		}
		if r.Err != "" {
			t.ErrorExamples = append(t.ErrorExamples, fmt.Sprintf("round %d: %s", r.Round, r.Err))
			continue
		}
		ops = append(ops, r.OpsPerSec)
		if r.ProxyCPUSeconds != nil && r.OpsPerProxyCPUSec > 0 {
			perCPU = append(perCPU, r.OpsPerProxyCPUSec)
			cores = append(cores, r.ProxyCores)
		}
		if r.OpsPerBackendCPUSec > 0 {
			perBackend = append(perBackend, r.OpsPerBackendCPUSec)
		}
		p50 = append(p50, r.Latency.P50)
		p90 = append(p90, r.Latency.P90)
		p99 = append(p99, r.Latency.P99)
		p999 = append(p999, r.Latency.P999)
		mx = append(mx, r.Latency.Max)
		gen = append(gen, r.GeneratorCores)
	}
	t.OpsPerSec, t.OpsPerProxyCPUSec, t.ProxyCores = statOf(ops), statOf(perCPU), statOf(cores)
	t.OpsPerBackendCPUSec, t.GeneratorCores = statOf(perBackend), statOf(gen)
	t.P50, t.P90, t.P99, t.P999, t.Max = statOf(p50), statOf(p90), statOf(p99), statOf(p999), statOf(mx)
}

// compareTargets fills mcroute/twemproxy ratios and proxy-minus-direct
// latencies from the medians.
func (w *WorkloadResult) compareTargets() {
	mc, tw, d := w.target(Mcroute), w.target(Twemproxy), w.target(Direct)
	if mc != nil && tw != nil {
		w.McrouteOverTwemproxyOps = ratio(mc.OpsPerSec, tw.OpsPerSec)
		w.McrouteOverTwemproxyOpsPerCPU = ratio(mc.OpsPerProxyCPUSec, tw.OpsPerProxyCPUSec)
	}
	if d == nil || d.P50 == nil {
		return
	}
	w.OverDirect = map[string]LatencyDelta{}
	for _, p := range []*TargetResult{tw, mc} {
		if p == nil || p.P50 == nil {
			continue
		}
		w.OverDirect[p.Target] = LatencyDelta{
			P50:  p.P50.Median - d.P50.Median,
			P99:  p.P99.Median - d.P99.Median,
			P999: p.P999.Median - d.P999.Median,
		}
	}
}

func (w *WorkloadResult) target(name string) *TargetResult {
	for _, t := range w.Targets {
		if t.Target == name {
			return t
		}
	}
	return nil
}

func ratio(a, b *Stat) *float64 {
	if a == nil || b == nil || b.Median == 0 {
		return nil
	}
	v := a.Median / b.Median
	return &v
}

// statOf is the median and range of xs; nil when xs is empty.
func statOf(xs []float64) *Stat {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &Stat{Median: m, Min: s[0], Max: s[len(s)-1]}
}

// line is the progress line for one run.
func (r RunResult) line(target string) string {
	if r.Err != "" && r.OpsPerSec == 0 {
		return fmt.Sprintf("%-9s failed: %s", target, r.Err)
	}
	s := fmt.Sprintf("%-9s %9.0f ops/s  p50 %.3f  p99 %.3f  p99.9 %.3f ms", target, r.OpsPerSec, r.Latency.P50, r.Latency.P99, r.Latency.P999)
	if r.ProxyCPUSeconds != nil {
		s += fmt.Sprintf("  proxy %.2f cores → %.0f ops/CPU-s", r.ProxyCores, r.OpsPerProxyCPUSec)
	}
	s += fmt.Sprintf("  generator %.2f cores", r.GeneratorCores)
	if r.Errors > 0 {
		s += fmt.Sprintf("  ERRORS %d: %s", r.Errors, strings.Join(r.ErrorKinds, "; "))
	}
	if r.Err != "" {
		s += "  (" + r.Err + ")"
	}
	return s
}
