package compare

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcroute/bench"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses; fields count from
	// the last ')'. utime=250 stime=50 ticks.
	line := "4242 (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 12345 1000 10 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 300/clockTicks {
		t.Fatalf("parseStatCPU = %v, %v; want %v", got, err, 300/clockTicks)
	}
	if _, err := parseStatCPU([]byte("1 (x) S 1 2")); err == nil {
		t.Fatal("short stat line accepted")
	}
	if s, err := procCPU(os.Getpid()); err != nil || s < 0 {
		t.Fatalf("own CPU time: %v, %v", s, err)
	}
}

func TestStatOf(t *testing.T) {
	if statOf(nil) != nil {
		t.Fatal("empty input should give nil")
	}
	if s := statOf([]float64{3, 1, 2}); *s != (Stat{Median: 2, Min: 1, Max: 3}) {
		t.Fatalf("odd: %+v", *s)
	}
	if s := statOf([]float64{4, 1, 2, 10}); *s != (Stat{Median: 3, Min: 1, Max: 10}) {
		t.Fatalf("even: %+v", *s)
	}
}

func TestSelectWorkloads(t *testing.T) {
	all := Workloads(100_000, 0.5)
	got, err := selectWorkloads(all, []string{"f", "B"})
	if err != nil || len(got) != 3 || got[0].Name != "A" || got[1].Name != "B" || got[2].Name != "F" {
		t.Fatalf("F,B = %v, %v; want A (for F's rate), B, F", got, err)
	}
	if _, err := selectWorkloads(all, []string{"Z"}); err == nil {
		t.Fatal("unknown workload accepted")
	}
	if all[4].Size != 16384 || all[3].MultiKey != 10 || all[2].Conns != 50 || all[1].Pipeline != 16 || !all[5].OpenLoop {
		t.Fatalf("workloads differ from the issue: %+v", all)
	}
}

func TestConfigs(t *testing.T) {
	backends := []string{"127.0.0.1:1001", "127.0.0.1:1002"}
	var mc map[string]any
	if err := json.Unmarshal([]byte(mcrouteConfig(backends)), &mc); err != nil || mc["route"] != "PoolRoute|A" {
		t.Fatalf("mcroute config %s: %v", mcrouteConfig(backends), err)
	}
	y := twemproxyConfig("127.0.0.1:2000", backends)
	for _, want := range []string{"listen: 127.0.0.1:2000", "hash: fnv1a_64", "distribution: ketama", "auto_eject_hosts: false", "server_retry_timeout:", "   - 127.0.0.1:1002:1"} {
		if !strings.Contains(y, want) {
			t.Errorf("twemproxy config lacks %q:\n%s", want, y)
		}
	}
	if bin := findNutcracker("nutcracker"); bin != "" {
		f := filepath.Join(t.TempDir(), "n.yml")
		os.WriteFile(f, []byte(y), 0o644)
		if out, err := exec.Command(bin, "-t", "-c", f).CombinedOutput(); err != nil {
			t.Fatalf("nutcracker -t rejects the config: %v\n%s", err, out)
		}
	}
}

func sampleReport() *Report {
	lat := func(base float64) bench.Latency {
		return bench.Latency{P50: base, P90: base * 1.5, P99: base * 3, P999: base * 8, Max: base * 20}
	}
	mk := func(name string, ops, base float64, proxy bool) *TargetResult {
		tr := &TargetResult{Target: name, Status: "ok"}
		for round := 1; round <= 3; round++ {
			r := RunResult{Round: round, OpsPerSec: ops * (1 + 0.01*float64(round)), Latency: lat(base), GeneratorCores: 0.5}
			if proxy {
				cpu := 0.8
				r.ProxyCPUSeconds, r.ProxyCores, r.OpsPerProxyCPUSec = &cpu, 0.8, r.OpsPerSec/0.8
			}
			tr.Runs = append(tr.Runs, r)
		}
		tr.summarize()
		return tr
	}
	w := &WorkloadResult{Workload: Workloads(1000, 0.5)[0]}
	w.Targets = []*TargetResult{mk(Direct, 100_000, 0.03, false), mk(Twemproxy, 50_000, 0.07, true),
		{Target: Mcroute, Status: "mcroute not serving: bin/mcroute not found (run make build)"}}
	w.compareTargets()
	return &Report{Date: "2026-11-20", Rounds: 3, Note: HeadlineNote, Workloads: []Workload{w.Workload},
		Topologies: []*TopologyResult{{Backends: 1, Workloads: []*WorkloadResult{w}}}}
}

func TestReportRendering(t *testing.T) {
	rep := sampleReport()
	md := rep.Markdown("x.svg")
	for _, want := range []string{"ops per proxy CPU-s", "noisy 2-core machine", "### Summary (for the README)", "| 1 | A | mcroute-bench | — | — | +0.120 | — | — |", "| A | mcroute | mcroute not serving: bin/mcroute not found", "| A | twemproxy | 51.0 k (50.5 k–51.5 k) | **63.8 k", "+0.040 / +0.120", "![latency percentiles per target](x.svg)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if w := rep.Topologies[0].Workloads[0]; w.McrouteOverTwemproxyOps != nil {
		t.Error("a ratio was computed without mcroute results")
	}
	// Idle CPU in ms per s to two decimals (0.42 ms over 10 s is
	// 0.04 ms per s, which /proc/PID/stat's 10 ms ticks could not
	// resolve); memory per connection said to come from a fresh process.
	// The first get's one-time cost is its own column.
	idle, kib, first := 0.00042, 0.46, 292.0
	rep.Topologies[0].Proxies = []*ProxyStats{{Target: Twemproxy, IdleSeconds: 10, IdleCPUSeconds: &idle,
		Conns: 1000, ConnsFresh: true, RSSBeforeKiB: 4000, RSSAfterKiB: 4460, KiBPerConn: &kib, FirstGetKiB: &first}}
	md = rep.Markdown("x.svg")
	for _, want := range []string{"| 1 | twemproxy | 0.04 | 0.46 | 292 |", "KiB per idle connection (fresh proxy)", "on a fresh process of the proxy",
		"KiB for the first get", "| twemproxy | 0.04 | 0.46 | 292 | 4000 → 4460 KiB (1000 connections) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	svg := rep.SVG()
	dec := xml.NewDecoder(strings.NewReader(svg))
	lines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != 2 {
		t.Fatalf("%d lines in the chart, want one per measured target (2)", lines)
	}
	dir := t.TempDir()
	paths, err := rep.WriteFiles(dir, "")
	if err != nil || len(paths) != 3 || filepath.Base(paths[0]) != "2026-11-20.json" {
		t.Fatalf("WriteFiles: %v %v", paths, err)
	}
}

// children lists the live processes whose parent is this test process.
func children(t *testing.T) []string {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []string
	me := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == me && f[0] != "Z" {
			out = append(out, s[:i+1])
		}
	}
	return out
}

func TestRunSideBySide(t *testing.T) {
	if _, err := exec.LookPath("memcached"); err != nil {
		t.Skip("memcached is not installed (apt-get install memcached); skipping the side-by-side run")
	}
	// A stand-in mcroute that starts but never serves.
	fake := filepath.Join(t.TempDir(), "mcroute")
	os.WriteFile(fake, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755)
	o := DefaultOptions()
	o.Mcroute = fake
	o.Rounds, o.Duration, o.Warmup = 1, 400*time.Millisecond, 0
	o.Workloads, o.Backends, o.Keys = []string{"A"}, []int{2}, 2000
	o.StartTimeout = time.Second
	o.IdleTime, o.IdleConns = 300*time.Millisecond, 20
	o.OutDir = t.TempDir()
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if left := children(t); len(left) > 0 {
		t.Fatalf("processes left running: %v", left)
	}
	w := rep.Topologies[0].Workloads[0]
	d, tw, mc := w.target(Direct), w.target(Twemproxy), w.target(Mcroute)
	if d.OpsPerSec == nil || d.OpsPerSec.Median <= 0 || d.Errors != 0 {
		t.Fatalf("direct memcached: %+v", d)
	}
	if !strings.HasPrefix(mc.Status, "mcroute not serving: no reply to version") || mc.OpsPerSec != nil {
		t.Fatalf("mcroute row: %q", mc.Status)
	}
	if findNutcracker("nutcracker") != "" {
		if tw.Status != "ok" || tw.Errors != 0 || tw.OpsPerProxyCPUSec == nil || tw.OpsPerProxyCPUSec.Median <= 0 {
			t.Fatalf("twemproxy: %+v", tw)
		}
		// Memory per connection comes from a fresh twemproxy, which the
		// 20 idle connections reached (each got its END).
		ps := rep.Topologies[0].proxy(Twemproxy)
		if ps == nil || ps.IdleCPUSeconds == nil || *ps.IdleCPUSeconds < 0 || ps.KiBPerConn == nil || ps.FirstGetKiB == nil || !ps.ConnsFresh || ps.Conns != 20 || ps.Err != "" {
			t.Fatalf("twemproxy idle/conns: %+v", ps)
		}
	}
	if bin, _ := findMemcachedProxy("memcached-proxy"); bin != "" {
		mp := w.targetGen(GenMcrouteBench, MemcachedProxy)
		if mp == nil || mp.Status != "ok" || mp.Errors != 0 || mp.OpsPerProxyCPUSec == nil {
			t.Fatalf("memcached-proxy: %+v", mp)
		}
		ps := rep.Topologies[0].proxy(MemcachedProxy)
		if ps == nil || ps.IdleCPUSeconds == nil || ps.KiBPerConn == nil || ps.FirstGetKiB == nil || !ps.ConnsFresh || ps.Err != "" {
			t.Fatalf("memcached-proxy idle/conns: %+v", ps)
		}
		var pr *PerRequest
		for _, p := range w.PerRequest {
			if p.Target == MemcachedProxy {
				pr = p
			}
		}
		if pr == nil || pr.CtxSwitches == nil || pr.Syscalls == nil || *pr.Syscalls <= 0 {
			t.Fatalf("memcached-proxy per request: %+v", pr)
		}
	} else {
		t.Log("memcached-proxy not installed: its rows are not checked")
	}
	if findMemtier("memtier_benchmark") != "" {
		d := w.targetGen(GenMemtier, Direct)
		if d == nil || d.OpsPerSec == nil || d.Errors != 0 {
			t.Fatalf("memtier → memcached: %+v", d)
		}
	} else {
		t.Log("memtier_benchmark not installed: its rows are not checked")
	}
	if _, err := os.Stat(filepath.Join(o.OutDir, rep.Date+".md")); err != nil {
		t.Fatal(err)
	}
}

func TestRunCanceledStopsEverything(t *testing.T) {
	if _, err := exec.LookPath("memcached"); err != nil {
		t.Skip("memcached is not installed (apt-get install memcached)")
	}
	o := DefaultOptions()
	o.Mcroute = "/nonexistent/mcroute"
	o.Rounds, o.Duration, o.Warmup = 1, 30*time.Second, 0
	o.Workloads, o.Backends, o.Keys = []string{"A"}, []int{1}, 1000
	o.OutDir = ""
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err := Run(ctx, o)
	if err == nil {
		t.Fatal("a canceled run reported success")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancel took %s", time.Since(start))
	}
	if left := children(t); len(left) > 0 {
		t.Fatalf("processes left running: %v", left)
	}
	if mc := rep.Topologies[0].Notes; len(mc) == 0 || !strings.Contains(strings.Join(mc, " "), "not found (run make build)") {
		t.Fatalf("notes: %v", mc)
	}
}
