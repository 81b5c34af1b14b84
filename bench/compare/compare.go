package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
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
	// MemcachedProxy is a memcached built with --enable-proxy, run with
	// -t 1 and a generated routelib config; missing, its rows say so.
	// Empty leaves it out.
	MemcachedProxy string
	// Memtier is memtier_benchmark; Generator picks which generator drives
	// the measured runs: GenMcrouteBench, GenMemtier or "both" (memtier
	// only when it is installed).
	Memtier, Generator string
	// Perf is the perf binary used to count system calls per request
	// ("" or missing: /proc/PID/io read/write syscalls instead).
	Perf string
	// IdleTime is how long each proxy's CPU is read with no clients after
	// the workloads; IdleConns how many idle connections its memory per
	// connection is measured with (0 skips).
	IdleTime  time.Duration
	IdleConns int
	// Log receives one line per run as it finishes.
	Log io.Writer
	// TLS adds the TLS section (1 backend, workloads A and B): mcroute
	// terminating TLS vs plaintext mcroute vs stunnel in server mode, and
	// mcroute as a TLS client to memcached -Z vs stunnel in client mode.
	// Stunnel is its binary ("": stunnel4, then stunnel); missing, its
	// rows say so.
	TLS     bool
	Stunnel string
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
		MemcachedProxy:   "memcached-proxy",
		Memtier:          "memtier_benchmark",
		Generator:        "both",
		Perf:             "perf",
		IdleTime:         10 * time.Second,
		IdleConns:        1000,
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
	// memcachedProxy, memtier and perf are resolved binaries ("" when
	// absent, with the reason in the matching …Why).
	memcachedProxy, memcachedProxyWhy string
	memtier, memtierWhy               string
	perf, perfWhy                     string
	stunnel                           string // "" when absent
	generators                        []string
	seq                               int // numbers memtier and perf output files
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
	r.memcachedProxy, r.memcachedProxyWhy = findMemcachedProxy(opts.MemcachedProxy)
	r.memtier = findMemtier(opts.Memtier)
	switch opts.Generator {
	case "", "both":
		r.generators = []string{GenMcrouteBench}
		if r.memtier != "" {
			r.generators = append(r.generators, GenMemtier)
		} else {
			r.memtierWhy = fmt.Sprintf("%s not found: build it from github.com/RedisLabs/memtier_benchmark (see bench/README.md) or set MEMTIER=path", opts.Memtier)
		}
	case GenMcrouteBench:
		r.generators = []string{GenMcrouteBench}
		r.memtierWhy = "not used (--generator mcroute-bench)"
	case GenMemtier:
		if r.memtier == "" {
			return nil, fmt.Errorf("--generator memtier: %q not found: build memtier_benchmark (see bench/README.md) or set MEMTIER=path", opts.Memtier)
		}
		r.generators = []string{GenMemtier}
	default:
		return nil, fmt.Errorf("generator %q: want %s, %s or both", opts.Generator, GenMcrouteBench, GenMemtier)
	}
	r.perf, r.perfWhy = findPerf(opts.Perf)
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
	if opts.TLS {
		r.stunnel = findStunnel(opts.Stunnel)
		tr, err := r.runTLS(ctx)
		rep.TLS = tr
		r.procs.stopAll()
		if err != nil {
			rep.Seconds = time.Since(start).Seconds()
			return rep, fmt.Errorf("TLS section: %w", err)
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
	rep.Host.MemcachedProxy = "not installed: " + r.memcachedProxyWhy
	if r.memcachedProxy != "" {
		rep.Host.MemcachedProxy = versionOf(r.memcachedProxy, "-V") + " (proxy)"
	}
	rep.Host.Memtier = r.memtierWhy
	if r.memtier != "" {
		rep.Host.Memtier = versionOf(r.memtier, "--version")
	}
	rep.Host.Syscalls = SyscallsRW + "; " + r.perfWhy
	if r.perf != "" {
		rep.Host.Syscalls = SyscallsPerf + "; " + versionOf(r.perf, "--version")
	}
	rep.Setup = []string{
		fmt.Sprintf("memcached -t %d -m 1024 per backend; every backend is preloaded with every key, so each target hits 100 %% whatever its hashing", o.MemcachedThreads),
		"twemproxy (nutcracker, single-threaded): one pool, ketama over fnv1a_64, auto_eject_hosts false, timeout 2000 ms",
		"memcached-proxy (memcached built with --enable-proxy) -t 1: routelib config, one pool of the same backends, route_direct for every key; keys spread by the proxy's default hash (XXH3, jump consistent hash)",
		fmt.Sprintf("mcroute --num-proxies %d: PoolRoute over the same backends", o.McrouteProxies),
		fmt.Sprintf("generator mcroute-bench: in-process, 1:10 set:get, uniform random keys, every value verified; %d interleaved rounds of %s after a %s warm-up per run",
			o.Rounds, o.Duration, o.Warmup),
	}
	if r.memtier != "" && len(r.generators) > 0 && r.generators[len(r.generators)-1] == GenMemtier {
		rep.Setup = append(rep.Setup, "generator memtier: memtier_benchmark --protocol=memcache_text -t 1 -c CONNS --pipeline P --ratio=1:10 --data-size=100 --key-pattern=R:R over a preloaded keyspace of the same size (prefix mt), "+
			"whole seconds per run (warm-up by mcroute-bench), interleaved with the other generator's runs; misses count as errors (every key is preloaded); it does not verify values")
	}
	rep.Setup = append(rep.Setup,
		fmt.Sprintf("per request (workloads %s): a separate mcroute-bench run per proxy after the rounds, with context switches from /proc/PID/task/*/status (voluntary + nonvoluntary) and %s", countWorkloads, strings.SplitN(rep.Host.Syscalls, ";", 2)[0]),
		fmt.Sprintf("idle: each proxy's CPU over %s with no clients after the workloads, its backend connections still open (sum of its threads' /proc/PID/task/*/schedstat, ns; /proc/PID/stat counts 10 ms ticks); "+
			"memory: on a fresh process of each proxy started for it (same config and backends, no traffic before), VmRSS with %d idle connections (opened one after another, each sent one get and read its reply before the next opened) minus VmRSS before, per connection", o.IdleTime, o.IdleConns))
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
	fmt.Fprintf(log, "== %s: starting memcached, twemproxy, memcached-proxy and mcroute\n", backendsLabel(n))
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
		var gens []string
		for _, g := range r.generators {
			if g == GenMemtier {
				if ok, why := memtierWorkload(w); !ok {
					wr.GeneratorNotes = append(wr.GeneratorNotes, "memtier: not run: "+why)
					continue
				}
			}
			gens = append(gens, g)
		}
		results := map[string]*TargetResult{}
		key := func(g, name string) string { return g + "/" + name }
		for _, g := range gens {
			for _, t := range topo.targets {
				results[key(g, t.name)] = &TargetResult{Target: t.name, Generator: g}
			}
		}
		for round := 1; round <= r.opts.Rounds; round++ {
			for _, g := range gens {
				for _, t := range topo.targets {
					if ctx.Err() != nil {
						return tr, ctx.Err()
					}
					if !r.checkAlive(t) {
						continue
					}
					run := r.measure(ctx, topo, t, w, g, wr.Rate, round)
					results[key(g, t.name)].Runs = append(results[key(g, t.name)].Runs, run)
					label := t.name
					if len(gens) > 1 || g != GenMcrouteBench {
						label = g + " → " + t.name
					}
					fmt.Fprintf(log, "   [%s · %s · round %d/%d] %s\n", backendsLabel(n), w.Name, round, r.opts.Rounds, run.line(label))
				}
			}
		}
		for _, g := range gens {
			for _, t := range topo.targets {
				res := results[key(g, t.name)]
				res.Status = "ok"
				if t.down != "" {
					res.Status = t.down
				}
				res.summarize()
				wr.Targets = append(wr.Targets, res)
			}
		}
		if strings.Contains(countWorkloads, w.Name) {
			for _, t := range topo.targets {
				if t.proxy == nil || !r.checkAlive(t) {
					continue
				}
				if ctx.Err() != nil {
					return tr, ctx.Err()
				}
				pr := r.countPerRequest(ctx, t, w, wr.Rate)
				wr.PerRequest = append(wr.PerRequest, pr)
				fmt.Fprintf(log, "   [%s · %s · counting] %s\n", backendsLabel(n), w.Name, pr.line())
			}
		}
		wr.compareTargets()
		tr.Workloads = append(tr.Workloads, wr)
	}
	if ctx.Err() != nil {
		return tr, ctx.Err()
	}
	tr.Proxies = r.idleAndConns(ctx, topo)
	for _, ps := range tr.Proxies {
		fmt.Fprintf(log, "   [%s · idle] %s\n", backendsLabel(n), ps.line())
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
	memtier := slices.Contains(r.generators, GenMemtier)
	for _, w := range r.workloads {
		if !seen[w.Prefix] {
			seen[w.Prefix] = true
			spaces = append(spaces, space{w.Prefix, w.Keys, w.Size})
		}
		if ok, _ := memtierWorkload(w); memtier && ok && !seen[memtierPrefix(w)] {
			seen[memtierPrefix(w)] = true
			spaces = append(spaces, space{memtierPrefix(w), w.Keys, w.Size})
		}
	}
	started := time.Now()
	var sets uint64
	for _, addr := range topo.addrs {
		for _, s := range spaces {
			cfg := bench.DefaultConfig()
			cfg.Servers = []string{addr}
			cfg.TLS = topo.addrTLS[addr]
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
	cfg.TLS = t.tls
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
func (r *runner) measure(ctx context.Context, topo *topology, t *target, w Workload, gen string, rate float64, round int) RunResult {
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
	if gen == GenMemtier {
		return r.measureMemtier(rctx, topo, t, w, round, proxies)
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

// measureMemtier is measure's memtier_benchmark side: the same CPU
// readings around one memtier process per target address.
func (r *runner) measureMemtier(ctx context.Context, topo *topology, t *target, w Workload, round int, proxies []*proc) RunResult {
	r.seq++
	p0, b0 := cpuOf(proxies), cpuOf(topo.backends)
	m := runMemtier(ctx, r.memtier, r.procs.dir, t.addrs, w, r.opts.Duration, r.seq)
	p1, b1 := cpuOf(proxies), cpuOf(topo.backends)
	run := RunResult{Round: round}
	if m.err != nil {
		run.Err = m.err.Error()
		if ctx.Err() != nil {
			run.Err = "run timed out or was canceled: " + run.Err
		}
		return run
	}
	res := m.res
	secs := res.Seconds
	if secs <= 0 && res.OpsPerSec > 0 {
		secs = float64(res.Count) / res.OpsPerSec
	}
	run.Seconds, run.OpsPerSec, run.Latency = secs, res.OpsPerSec, res.Latency
	misses := uint64(res.MissesPerSec*secs + 0.5)
	run.Errors = res.ConnectionErrors + misses
	if res.ConnectionErrors > 0 {
		run.ErrorKinds = append(run.ErrorKinds, fmt.Sprintf("memtier connection errors: %d", res.ConnectionErrors))
	}
	if misses > 0 {
		run.ErrorKinds = append(run.ErrorKinds, fmt.Sprintf("memtier misses: about %d (%.0f/s) although every key is preloaded", misses, res.MissesPerSec))
	}
	if secs > 0 {
		run.GeneratorCores = m.cpuSeconds / secs
	}
	ok := res.Count - min(res.Count, run.Errors)
	run.BackendCPUSeconds = b1 - b0
	if run.BackendCPUSeconds > 0 {
		run.OpsPerBackendCPUSec = float64(ok) / run.BackendCPUSeconds
	}
	if t.proxy != nil {
		cpu := p1 - p0
		run.ProxyCPUSeconds = &cpu
		if secs > 0 {
			run.ProxyCores = cpu / secs
		}
		if cpu > 0 {
			run.OpsPerProxyCPUSec = float64(ok) / cpu
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

// compareTargets fills, per generator, mcroute's ratios over twemproxy and
// memcached-proxy and each proxy's latency over direct memcached, from the
// medians; the top-level fields keep mcroute-bench's (or the only
// generator's) figures.
func (w *WorkloadResult) compareTargets() {
	w.Comparisons = nil
	var gens []string
	for _, t := range w.Targets {
		if g := genOf(t); !slices.Contains(gens, g) {
			gens = append(gens, g)
		}
	}
	for _, g := range gens {
		c := &Comparison{Generator: g}
		mc, tw, mp, d := w.targetGen(g, Mcroute), w.targetGen(g, Twemproxy), w.targetGen(g, MemcachedProxy), w.targetGen(g, Direct)
		if mc != nil && tw != nil {
			c.McrouteOverTwemproxyOps = ratio(mc.OpsPerSec, tw.OpsPerSec)
			c.McrouteOverTwemproxyOpsPerCPU = ratio(mc.OpsPerProxyCPUSec, tw.OpsPerProxyCPUSec)
		}
		if mc != nil && mp != nil {
			c.McrouteOverMemcachedProxyOps = ratio(mc.OpsPerSec, mp.OpsPerSec)
			c.McrouteOverMemcachedProxyOpsPerCPU = ratio(mc.OpsPerProxyCPUSec, mp.OpsPerProxyCPUSec)
		}
		if d != nil && d.P50 != nil {
			c.OverDirect = map[string]LatencyDelta{}
			for _, p := range []*TargetResult{tw, mp, mc} {
				if p == nil || p.P50 == nil {
					continue
				}
				c.OverDirect[p.Target] = LatencyDelta{
					P50:  p.P50.Median - d.P50.Median,
					P99:  p.P99.Median - d.P99.Median,
					P999: p.P999.Median - d.P999.Median,
				}
			}
		}
		w.Comparisons = append(w.Comparisons, c)
	}
	if len(w.Comparisons) > 0 {
		c := w.Comparisons[0]
		w.McrouteOverTwemproxyOps, w.McrouteOverTwemproxyOpsPerCPU = c.McrouteOverTwemproxyOps, c.McrouteOverTwemproxyOpsPerCPU
		w.OverDirect = map[string]LatencyDelta{}
		for k, v := range c.OverDirect {
			if k != MemcachedProxy {
				w.OverDirect[k] = v
			}
		}
		if c.OverDirect == nil {
			w.OverDirect = nil
		}
	}
}

// genOf is the generator of a row ("" in reports from before memtier).
func genOf(t *TargetResult) string {
	if t.Generator == "" {
		return GenMcrouteBench
	}
	return t.Generator
}

// target is name's row from the first generator that measured it.
func (w *WorkloadResult) target(name string) *TargetResult {
	for _, t := range w.Targets {
		if t.Target == name {
			return t
		}
	}
	return nil
}

// targetGen is name's row for generator gen.
func (w *WorkloadResult) targetGen(gen, name string) *TargetResult {
	for _, t := range w.Targets {
		if t.Target == name && genOf(t) == gen {
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
