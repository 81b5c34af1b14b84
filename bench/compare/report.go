package compare

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mcroute/bench"
)

// Report is everything a side-by-side run measured; it is written as
// <name>.json and rendered as <name>.md and <name>.svg.
type Report struct {
	Date            string            `json:"date"`
	Started         time.Time         `json:"started"`
	Seconds         float64           `json:"seconds"`
	Command         string            `json:"command"`
	Note            string            `json:"note"`
	Host            Host              `json:"host"`
	Setup           []string          `json:"setup"`
	Rounds          int               `json:"rounds"`
	DurationSeconds float64           `json:"run_seconds"`
	WarmupSeconds   float64           `json:"warmup_seconds"`
	HistogramError  float64           `json:"histogram_relative_error"`
	Workloads       []Workload        `json:"workloads"`
	Topologies      []*TopologyResult `json:"topologies"`
	// TLS is the TLS section (Options.TLS); nil when not run.
	TLS *TLSResult `json:"tls,omitempty"`
}

// Host describes the machine and the software measured.
type Host struct {
	CPUs       int    `json:"cpus"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Memcached  string `json:"memcached"`
	Nutcracker string `json:"nutcracker"`
	// MemcachedProxy and Memtier are versions, or why they are absent.
	MemcachedProxy string `json:"memcached_proxy"`
	Memtier        string `json:"memtier"`
	// Syscalls says how syscalls per request were counted, or why not.
	Syscalls string `json:"syscalls"`
}

// TopologyResult is one backend count.
type TopologyResult struct {
	Backends  int               `json:"backends"`
	Notes     []string          `json:"notes,omitempty"`
	Workloads []*WorkloadResult `json:"workloads"`
	// Proxies are each proxy's idle CPU and memory per idle connection,
	// measured after the workloads.
	Proxies []*ProxyStats `json:"proxies,omitempty"`
}

// ProxyStats is what a proxy costs when nobody sends it anything.
type ProxyStats struct {
	Target string `json:"target"`
	// IdleCPUSeconds is the proxy's CPU time over IdleSeconds with no
	// clients, after the workloads' burst (its threads' schedstat, in ns).
	IdleSeconds    float64  `json:"idle_s"`
	IdleCPUSeconds *float64 `json:"idle_cpu_s,omitempty"`
	// KiBPerConn is (VmRSS with Conns idle connections − VmRSS before) /
	// Conns; each connection sent one get first, then stayed idle.
	// "Before" is after one connection's get was answered and the
	// connection closed; FirstGetKiB is what that first get added to the
	// fresh process's VmRSS (its one-time cost: server connection,
	// buffers, code pages first run).
	// ConnsFresh: measured on a process of the proxy started for it, which
	// served nothing before (results before 2026-12-07 measured the
	// proxy that had run the workloads).
	Conns        int      `json:"idle_conns"`
	ConnsFresh   bool     `json:"conns_on_fresh_process,omitempty"`
	RSSBeforeKiB uint64   `json:"rss_before_kib"`
	RSSAfterKiB  uint64   `json:"rss_after_kib"`
	KiBPerConn   *float64 `json:"kib_per_conn,omitempty"`
	FirstGetKiB  *float64 `json:"first_get_kib,omitempty"`
	Err          string   `json:"error,omitempty"`
}

// PerRequest is a proxy's system calls and context switches per request,
// from a separate counting run (perf attached costs the proxy CPU, so the
// measured rounds run without it).
type PerRequest struct {
	Target      string   `json:"target"`
	Requests    uint64   `json:"requests"`
	Seconds     float64  `json:"seconds"`
	Syscalls    *float64 `json:"syscalls_per_request,omitempty"`
	SyscallsHow string   `json:"syscalls_source,omitempty"`
	// CtxSwitches is voluntary + nonvoluntary per request, all threads
	// (/proc/PID/task/*/status).
	CtxSwitches  *float64 `json:"ctx_switches_per_request,omitempty"`
	Voluntary    float64  `json:"voluntary_per_request"`
	Nonvoluntary float64  `json:"nonvoluntary_per_request"`
	Err          string   `json:"error,omitempty"`
}

// Comparison is mcroute's medians over the other proxies' for one
// generator, and each proxy's latency over direct memcached's.
type Comparison struct {
	Generator                          string                  `json:"generator"`
	McrouteOverTwemproxyOps            *float64                `json:"mcroute_over_twemproxy_ops,omitempty"`
	McrouteOverTwemproxyOpsPerCPU      *float64                `json:"mcroute_over_twemproxy_ops_per_cpu_s,omitempty"`
	McrouteOverMemcachedProxyOps       *float64                `json:"mcroute_over_memcached_proxy_ops,omitempty"`
	McrouteOverMemcachedProxyOpsPerCPU *float64                `json:"mcroute_over_memcached_proxy_ops_per_cpu_s,omitempty"`
	OverDirect                         map[string]LatencyDelta `json:"latency_over_direct_ms,omitempty"`
}

// WorkloadResult is one workload in one topology, every target.
type WorkloadResult struct {
	Workload
	Rate     float64         `json:"rate,omitempty"`
	RateNote string          `json:"rate_note,omitempty"`
	Targets  []*TargetResult `json:"targets"`
	// mcroute's median over twemproxy's median, when both were measured.
	McrouteOverTwemproxyOps       *float64 `json:"mcroute_over_twemproxy_ops,omitempty"`
	McrouteOverTwemproxyOpsPerCPU *float64 `json:"mcroute_over_twemproxy_ops_per_cpu_s,omitempty"`
	// OverDirect is each proxy's median latency minus direct memcached's.
	OverDirect map[string]LatencyDelta `json:"latency_over_direct_ms,omitempty"`
	// The fields above are mcroute-bench's; Comparisons has them for
	// every generator that ran, with memcached-proxy added.
	Comparisons []*Comparison `json:"comparisons,omitempty"`
	// PerRequest is each proxy's syscalls and context switches per request.
	PerRequest []*PerRequest `json:"per_request,omitempty"`
	// GeneratorNotes says why a generator did not run this workload.
	GeneratorNotes []string `json:"generator_notes,omitempty"`
}

// LatencyDelta is a latency difference in milliseconds.
type LatencyDelta struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
}

// TargetResult is one target's rounds of one workload and their summary.
type TargetResult struct {
	Target              string      `json:"target"`
	Generator           string      `json:"generator"` // GenMcrouteBench or GenMemtier; "" means mcroute-bench
	Status              string      `json:"status"`    // "ok", or why it was not measured
	Runs                []RunResult `json:"runs"`
	OpsPerSec           *Stat       `json:"ops_per_sec,omitempty"`
	OpsPerProxyCPUSec   *Stat       `json:"ops_per_proxy_cpu_s,omitempty"`
	ProxyCores          *Stat       `json:"proxy_cores,omitempty"`
	OpsPerBackendCPUSec *Stat       `json:"ops_per_memcached_cpu_s,omitempty"`
	GeneratorCores      *Stat       `json:"generator_cores,omitempty"`
	P50                 *Stat       `json:"p50_ms,omitempty"`
	P90                 *Stat       `json:"p90_ms,omitempty"`
	P99                 *Stat       `json:"p99_ms,omitempty"`
	P999                *Stat       `json:"p99.9_ms,omitempty"`
	Max                 *Stat       `json:"max_ms,omitempty"`
	Errors              uint64      `json:"errors"`
	ErrorExamples       []string    `json:"error_examples,omitempty"`
}

// Stat is a median over rounds with the range.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// RunResult is one measured run.
type RunResult struct {
	Round     int           `json:"round"`
	Seconds   float64       `json:"seconds"`
	OpsPerSec float64       `json:"ops_per_sec"`
	Latency   bench.Latency `json:"latency_ms"`
	// Errors counts failed requests and other problems; ErrorKinds says
	// which.
	Errors     uint64   `json:"errors"`
	ErrorKinds []string `json:"error_kinds,omitempty"`
	// Proxy CPU time over the run (absent for direct memcached), as cores
	// busy, and the headline: successful ops per proxy CPU-second.
	ProxyCPUSeconds     *float64       `json:"proxy_cpu_s,omitempty"`
	ProxyCores          float64        `json:"proxy_cores,omitempty"`
	OpsPerProxyCPUSec   float64        `json:"ops_per_proxy_cpu_s,omitempty"`
	BackendCPUSeconds   float64        `json:"memcached_cpu_s"`
	OpsPerBackendCPUSec float64        `json:"ops_per_memcached_cpu_s,omitempty"`
	GeneratorCores      float64        `json:"generator_cores"`
	SendLag             *bench.Latency `json:"send_lag_ms,omitempty"`
	Err                 string         `json:"error,omitempty"`
}

// WriteFiles writes dir/name.json, .md and .svg (name defaults to the
// report's date) and returns their paths.
func (rep *Report) WriteFiles(dir, name string) ([]string, error) {
	if name == "" {
		name = rep.Date
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	files := []struct {
		ext  string
		data []byte
	}{
		{".json", append(js, '\n')},
		{".md", []byte(rep.Markdown(name + ".svg"))},
		{".svg", []byte(rep.SVG())},
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, name+f.ext)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Markdown renders the report; svgName, when set, is linked as the chart.
func (rep *Report) Markdown(svgName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## mcroute benchmark, %s\n\n", rep.Date)
	if rep.Command != "" {
		fmt.Fprintf(&b, "Command: `%s`  \n", rep.Command)
	}
	h := rep.Host
	fmt.Fprintf(&b, "Host: %d CPUs, %s, %s, %s, %s  \n", h.CPUs, h.Kernel, h.Go, h.Memcached, h.Nutcracker)
	if h.MemcachedProxy != "" || h.Memtier != "" {
		fmt.Fprintf(&b, "memcached proxy: %s; memtier: %s  \nSyscalls: %s  \n", mdEscape(h.MemcachedProxy), mdEscape(h.Memtier), mdEscape(h.Syscalls))
	}
	fmt.Fprintf(&b, "Runs: %d interleaved rounds (memcached, twemproxy, memcached-proxy, mcroute, memcached, …) of %s each after a %s warm-up; took %s\n\n",
		rep.Rounds, secs(rep.DurationSeconds), secs(rep.WarmupSeconds), time.Duration(rep.Seconds*float64(time.Second)).Round(time.Second))
	fmt.Fprintf(&b, "> **%s**\n\n", rep.Note)
	b.WriteString("Setup:\n\n")
	for _, s := range rep.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	fmt.Fprintf(&b, "- latency percentiles within %.2f %% (log-linear histogram); open-loop latency counts from each request's intended send time\n\n", rep.HistogramError*100)
	b.WriteString("| workload | what |\n|---|---|\n")
	for _, w := range rep.Workloads {
		fmt.Fprintf(&b, "| %s | %s |\n", w.Name, w.Desc)
	}
	b.WriteString("\n")
	if rep.hasSummary() {
		b.WriteString(rep.Summary())
	}
	if rep.TLS != nil {
		b.WriteString(rep.TLS.Markdown())
	}
	for _, t := range rep.Topologies {
		fmt.Fprintf(&b, "### %s\n\n", backendsLabel(t.Backends))
		var footnotes []string
		gens := t.generators()
		for _, g := range gens {
			if len(gens) > 1 || g != GenMcrouteBench {
				fmt.Fprintf(&b, "Generator: **%s**\n\n", g)
			}
			b.WriteString("| workload | target | ops/s median (min–max) | **ops per proxy CPU-s** median (min–max) | proxy cores | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | generator cores |\n")
			b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, w := range t.Workloads {
				name := w.Name
				if w.Rate > 0 {
					name += fmt.Sprintf(" (%s/s)", opsShort(w.Rate))
				}
				for _, tr := range w.Targets {
					if genOf(tr) != g {
						continue
					}
					if tr.OpsPerSec == nil {
						why := tr.Status
						if why == "ok" {
							why = "no completed run"
							if len(tr.ErrorExamples) > 0 {
								why += ": " + tr.ErrorExamples[len(tr.ErrorExamples)-1]
							}
						}
						fmt.Fprintf(&b, "| %s | %s | %s | — | — | — | — | — | — | — | %d | — |\n", name, tr.Target, mdEscape(why), tr.Errors)
						continue
					}
					cpu, cores := "—", "—"
					if tr.OpsPerProxyCPUSec != nil {
						cpu = "**" + opsRange(tr.OpsPerProxyCPUSec) + "**"
						cores = fmt.Sprintf("%.2f", tr.ProxyCores.Median)
					}
					errs := fmt.Sprint(tr.Errors)
					if tr.Errors > 0 || len(tr.ErrorExamples) > 0 {
						footnotes = append(footnotes, fmt.Sprintf("%s %s (%s): %s", name, tr.Target, g, strings.Join(tr.ErrorExamples, "; ")))
						errs = fmt.Sprintf("%d [%d]", tr.Errors, len(footnotes))
					}
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n", name, tr.Target, opsRange(tr.OpsPerSec), cpu, cores,
						ms(tr.P50.Median), ms(tr.P90.Median), ms(tr.P99.Median), ms(tr.P999.Median), ms(tr.Max.Median), errs, tr.GeneratorCores.Median)
				}
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "proxy cores and generator cores: CPU time over wall time (1.00 = one core busy all run); a generator near 1.00 may be the limit of that row. Latencies are medians over rounds.\n\n")
		for i, f := range footnotes {
			fmt.Fprintf(&b, "[%d] %s  \n", i+1, mdEscape(f))
		}
		if len(footnotes) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("| workload | generator | mcroute / twemproxy ops/s | **mcroute / twemproxy ops per CPU-s** | mcroute / memcached-proxy ops/s | **mcroute / memcached-proxy ops per CPU-s** | twemproxy − direct p50 / p99 ms | memcached-proxy − direct p50 / p99 ms | mcroute − direct p50 / p99 ms |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, w := range t.Workloads {
			for _, c := range w.comparisons() {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w.Name, c.Generator,
					ratioText(c.McrouteOverTwemproxyOps), ratioText(c.McrouteOverTwemproxyOpsPerCPU),
					ratioText(c.McrouteOverMemcachedProxyOps), ratioText(c.McrouteOverMemcachedProxyOpsPerCPU),
					deltaText(c.OverDirect, Twemproxy), deltaText(c.OverDirect, MemcachedProxy), deltaText(c.OverDirect, Mcroute))
			}
		}
		b.WriteString("\n")
		if t.hasPerRequest() {
			b.WriteString("| workload | proxy | syscalls per request | context switches per request (voluntary + nonvoluntary) | requests counted |\n|---|---|---:|---:|---:|\n")
			for _, w := range t.Workloads {
				for _, pr := range w.PerRequest {
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", w.Name, pr.Target, syscallsText(pr), ctxText(pr), pr.Requests)
				}
			}
			b.WriteString("\n")
		}
		if len(t.Proxies) > 0 {
			b.WriteString("| proxy | idle CPU after the workloads (ms per s, no clients) | KiB per idle connection (fresh process) | KiB for its first get (once) | RSS of the fresh process after the first get → with idle connections |\n|---|---:|---:|---:|---|\n")
			for _, ps := range t.Proxies {
				rss := "—"
				if ps.KiBPerConn != nil {
					rss = fmt.Sprintf("%d → %d KiB (%d connections)", ps.RSSBeforeKiB, ps.RSSAfterKiB, ps.Conns)
				}
				if ps.Err != "" {
					rss += " (" + mdEscape(ps.Err) + ")"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", ps.Target, idleText(ps), kibText(ps), firstGetText(ps), rss)
			}
			b.WriteString("\n")
		}
		for _, w := range t.Workloads {
			if w.RateNote != "" {
				fmt.Fprintf(&b, "Workload %s rate: %s.  \n", w.Name, w.RateNote)
			}
			for _, n := range w.GeneratorNotes {
				fmt.Fprintf(&b, "Workload %s: %s.  \n", w.Name, mdEscape(n))
			}
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "Note: %s  \n", mdEscape(n))
		}
		b.WriteString("\n")
	}
	if svgName != "" {
		fmt.Fprintf(&b, "![latency percentiles per target](%s)\n", svgName)
	}
	return b.String()
}

func secs(s float64) string { return time.Duration(s * float64(time.Second)).String() }

func opsShort(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2f M", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1f k", x/1e3)
	case x >= 1e3:
		return fmt.Sprintf("%.2f k", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func opsRange(s *Stat) string {
	return fmt.Sprintf("%s (%s–%s)", opsShort(s.Median), opsShort(s.Min), opsShort(s.Max))
}

func ms(x float64) string {
	if x >= 10 {
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.3f", x)
}

func ratioText(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f×", *r)
}

func deltaText(m map[string]LatencyDelta, target string) string {
	d, ok := m[target]
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%+.3f / %+.3f", d.P50, d.P99)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
