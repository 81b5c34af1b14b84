package compare

import (
	"fmt"
	"strings"
)

// summaryWorkloads are the workloads of the README's summary table.
var summaryWorkloads = []string{"A", "B", "C"}

func (rep *Report) hasSummary() bool { return len(rep.Topologies) > 0 }

// Summary is the README's table, in Markdown ready to paste: for workloads
// A, B and C in every topology and for every generator, mcroute's ops per
// proxy CPU-second over twemproxy's and memcached-proxy's and each proxy's
// p99 over direct memcached's; then per proxy and topology its idle CPU,
// KiB per idle connection, and syscalls and context switches per request.
func (rep *Report) Summary() string {
	var b strings.Builder
	b.WriteString("### Summary (for the README)\n\n")
	cmd := rep.Command
	if cmd == "" {
		cmd = "mcroute-bench compare"
	}
	fmt.Fprintf(&b, "%s, `%s`. Ratios are mcroute's median **ops per proxy CPU-second** over the other proxy's "+
		"(above 1×: mcroute does more work per second of its own CPU), with the same generator; added p99 is the "+
		"proxy's median p99 minus direct memcached's.\n\n", rep.Date, cmd)
	b.WriteString("| backends | workload | generator | mcroute / twemproxy | mcroute / memcached-proxy | added p99 ms: twemproxy | memcached-proxy | mcroute |\n")
	b.WriteString("|---:|---|---|---:|---:|---:|---:|---:|\n")
	for _, t := range rep.Topologies {
		for _, w := range t.Workloads {
			if !contains(summaryWorkloads, w.Name) {
				continue
			}
			for _, c := range w.comparisons() {
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", t.Backends, w.Name, c.Generator,
					ratioText(c.McrouteOverTwemproxyOpsPerCPU), ratioText(c.McrouteOverMemcachedProxyOpsPerCPU),
					p99Text(c.OverDirect, Twemproxy), p99Text(c.OverDirect, MemcachedProxy), p99Text(c.OverDirect, Mcroute))
			}
		}
	}
	b.WriteString("\n")
	how := ""
	hdr := "| backends | proxy | idle CPU ms per s | KiB per idle connection (fresh proxy) | KiB for the first get (once) |"
	sep := "|---:|---|---:|---:|---:|"
	for _, wn := range summaryWorkloads {
		hdr += " syscalls/req " + wn + " | ctx switches/req " + wn + " |"
		sep += "---:|---:|"
	}
	b.WriteString(hdr + "\n" + sep + "\n")
	for _, t := range rep.Topologies {
		for _, name := range []string{Twemproxy, MemcachedProxy, Mcroute} {
			ps := t.proxy(name)
			row := fmt.Sprintf("| %d | %s |", t.Backends, name)
			if ps == nil {
				row += " — | — | — |"
			} else {
				row += fmt.Sprintf(" %s | %s | %s |", idleText(ps), kibText(ps), firstGetText(ps))
			}
			any := ps != nil
			for _, wn := range summaryWorkloads {
				pr := t.perRequest(wn, name)
				if pr == nil {
					row += " — | — |"
					continue
				}
				any = true
				if pr.SyscallsHow != "" {
					how = pr.SyscallsHow
				}
				row += fmt.Sprintf(" %s | %s |", syscallsText(pr), ctxText(pr))
			}
			if any {
				b.WriteString(row + "\n")
			}
		}
	}
	b.WriteString("\n")
	if how == "" {
		how = "syscalls/req"
	}
	fmt.Fprintf(&b, "idle CPU: the proxy's CPU time with no clients after the workloads (its threads' /proc schedstat, ns), in ms per second of wall time. "+
		"KiB per idle connection: on a fresh process of the proxy (same config and backends), after one get on a connection then closed, (VmRSS with N idle connections, each opened after the previous one's get was answered, − VmRSS before them) / N; "+
		"KiB for the first get: what that one get added to the fresh process's VmRSS (its server connection, buffers and code first used, once per process). Syscalls: %s, "+
		"context switches: voluntary + nonvoluntary over all threads (/proc/PID/task/*/status), both from a separate mcroute-bench run per proxy.\n\n", how)
	return b.String()
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// generators lists the generators of t's rows, mcroute-bench first.
func (t *TopologyResult) generators() []string {
	var gens []string
	for _, g := range []string{GenMcrouteBench, GenMemtier} {
		for _, w := range t.Workloads {
			if w.hasGen(g) && !contains(gens, g) {
				gens = append(gens, g)
			}
		}
	}
	if len(gens) == 0 {
		gens = []string{GenMcrouteBench}
	}
	return gens
}

func (w *WorkloadResult) hasGen(g string) bool {
	for _, t := range w.Targets {
		if genOf(t) == g {
			return true
		}
	}
	return false
}

// comparisons are w's per-generator comparisons; a report written before
// they existed gives its top-level mcroute-bench figures.
func (w *WorkloadResult) comparisons() []*Comparison {
	if len(w.Comparisons) > 0 {
		return w.Comparisons
	}
	return []*Comparison{{Generator: GenMcrouteBench, McrouteOverTwemproxyOps: w.McrouteOverTwemproxyOps,
		McrouteOverTwemproxyOpsPerCPU: w.McrouteOverTwemproxyOpsPerCPU, OverDirect: w.OverDirect}}
}

func (t *TopologyResult) hasPerRequest() bool {
	for _, w := range t.Workloads {
		if len(w.PerRequest) > 0 {
			return true
		}
	}
	return false
}

func (t *TopologyResult) proxy(name string) *ProxyStats {
	for _, p := range t.Proxies {
		if p.Target == name {
			return p
		}
	}
	return nil
}

func (t *TopologyResult) perRequest(workload, target string) *PerRequest {
	for _, w := range t.Workloads {
		if w.Name != workload {
			continue
		}
		for _, pr := range w.PerRequest {
			if pr.Target == target {
				return pr
			}
		}
	}
	return nil
}

func syscallsText(pr *PerRequest) string {
	if pr.Syscalls == nil {
		return "—"
	}
	s := fmt.Sprintf("%.2f", *pr.Syscalls)
	if pr.SyscallsHow == SyscallsRW {
		s += " (rw only)"
	}
	return s
}

func ctxText(pr *PerRequest) string {
	if pr.CtxSwitches == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f", *pr.CtxSwitches)
}

func idleText(ps *ProxyStats) string {
	if ps.IdleCPUSeconds == nil || ps.IdleSeconds <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", *ps.IdleCPUSeconds*1000/ps.IdleSeconds)
}

func firstGetText(ps *ProxyStats) string {
	if ps.FirstGetKiB == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f", *ps.FirstGetKiB)
}

func kibText(ps *ProxyStats) string {
	if ps.KiBPerConn == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f", *ps.KiBPerConn)
}

func p99Text(m map[string]LatencyDelta, target string) string {
	d, ok := m[target]
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%+.3f", d.P99)
}
