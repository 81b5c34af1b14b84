package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"mcroute/bench/compare"
)

// runCompare is `mcroute-bench compare`: the side-by-side benchmark.
func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := compare.DefaultOptions()
	fs := flag.NewFlagSet("mcroute-bench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var workloads, backends, label string
	var quick bool
	fs.BoolVar(&quick, "quick", false, "development subset (~60 s): 1 backend, workloads A,B, 2 rounds of 1 s, 2 s idle, 200 idle connections; explicit flags override")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "interleaved rounds per workload (at least 3 for a median worth reading)")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "length of each measured run")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "unmeasured run before each measured one")
	fs.StringVar(&workloads, "workloads", strings.Join(o.Workloads, ","), "workloads to run, from A-F (F brings A: its rate comes from A)")
	fs.StringVar(&backends, "backends", "1,4", "topologies: memcached backend counts")
	fs.Int64Var(&o.Keys, "keys", o.Keys, "keyspace of workloads A-D and F")
	fs.Float64Var(&o.RateFraction, "rate-fraction", o.RateFraction, "F's open-loop rate as a share of twemproxy's workload-A ops/s")
	fs.StringVar(&o.Mcroute, "mcroute", o.Mcroute, "mcroute binary")
	fs.StringVar(&o.Memcached, "memcached", o.Memcached, "memcached binary")
	fs.StringVar(&o.Nutcracker, "nutcracker", o.Nutcracker, "twemproxy (nutcracker) binary")
	fs.StringVar(&o.MemcachedProxy, "memcached-proxy", o.MemcachedProxy, "memcached built with --enable-proxy (empty: leave it out)")
	fs.StringVar(&o.Memtier, "memtier", o.Memtier, "memtier_benchmark binary")
	fs.StringVar(&o.Generator, "generator", o.Generator, "load generator for the measured runs: memtier, mcroute-bench or both (memtier only where installed)")
	fs.StringVar(&o.Perf, "perf", o.Perf, "perf binary for syscalls per request (empty or unusable: /proc/PID/io read/write syscalls)")
	fs.DurationVar(&o.IdleTime, "idle", o.IdleTime, "how long each proxy's idle CPU is read, with no clients, after the workloads (0 skips)")
	fs.IntVar(&o.IdleConns, "idle-conns", o.IdleConns, "idle connections to a fresh process of each proxy for the KiB-per-connection figure (0 skips)")
	fs.IntVar(&o.MemcachedThreads, "memcached-threads", o.MemcachedThreads, "memcached -t per backend")
	fs.IntVar(&o.McrouteProxies, "num-proxies", o.McrouteProxies, "mcroute --num-proxies")
	fs.BoolVar(&o.TLS, "tls", o.TLS, "add the TLS section: 1 backend, workloads A,B; mcroute --ssl-port vs plaintext mcroute vs stunnel server, and mcroute vs stunnel as TLS client to memcached -Z")
	fs.StringVar(&o.Stunnel, "stunnel", o.Stunnel, "stunnel binary for --tls (default: stunnel4, then stunnel)")
	fs.StringVar(&o.OutDir, "out", o.OutDir, "directory for <name>.json, .md and .svg (empty: write nothing)")
	fs.StringVar(&o.Name, "name", "", "file name stem (default: the date; quick-<date> for --quick)")
	fs.StringVar(&label, "command", "", "how this run was invoked, for the report (e.g. \"make bench\")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mcroute-bench compare: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if quick {
		if !set["backends"] {
			backends = "1"
		}
		if !set["workloads"] {
			workloads = "A,B"
		}
		if !set["rounds"] {
			o.Rounds = 2
		}
		if !set["idle"] {
			o.IdleTime = 2 * time.Second
		}
		if !set["idle-conns"] {
			o.IdleConns = 200
		}
		if !set["duration"] {
			o.Duration = time.Second
		}
		if !set["warmup"] {
			o.Warmup = 200 * time.Millisecond
		}
		if !set["name"] {
			o.Name = "quick-" + time.Now().Format("2006-01-02")
		}
	}
	o.Workloads = strings.Split(workloads, ",")
	o.Backends = nil
	for _, s := range strings.Split(backends, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(stderr, "mcroute-bench compare: --backends %q: want numbers like 1,4\n", backends)
			return 2
		}
		o.Backends = append(o.Backends, n)
	}
	o.Command = commandLine(fs, label)
	o.Log = stdout
	rep, err := compare.Run(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "mcroute-bench compare: interrupted; every process it started has been stopped")
			return 130
		}
		fmt.Fprintln(stderr, "mcroute-bench compare:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%s", rep.Markdown(""))
	return 0
}

// commandLine is how the run was asked for, for the report: the make target
// (--command) and the flags that were set, --command itself left out.
func commandLine(fs *flag.FlagSet, label string) string {
	parts := []string{"mcroute-bench compare"}
	fs.Visit(func(f *flag.Flag) {
		switch {
		case f.Name == "command":
		case f.Value.String() == "true":
			parts = append(parts, "--"+f.Name)
		default:
			parts = append(parts, "--"+f.Name+" "+f.Value.String())
		}
	})
	cmd := strings.Join(parts, " ")
	if label != "" {
		return label + "` → `" + cmd
	}
	return cmd
}
