package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Problems counts everything that went wrong: failed and unsent requests,
// replies that arrived with no request outstanding, and failed connection
// attempts. A clean run has none.
func (r *Result) Problems() uint64 {
	n := r.Errors + r.ConnectFailures
	for _, k := range r.ErrorKinds {
		if k.Kind == errUnsolicited.String() {
			n += k.Count
		}
	}
	return n
}

// WriteTable prints the memtier-style summary: one row per command type and
// one for all, then the request accounting, the errors by kind, the
// generator's CPU use and, unless hideHistogram, the latency distribution.
func (r *Result) WriteTable(w io.Writer, hideHistogram bool) {
	const rule = "-----------------------------------------------------------------------------------------------------------------------------"
	fmt.Fprintf(w, "\nALL STATS\n%s\n", strings.ReplaceAll(rule, "-", "="))
	fmt.Fprintf(w, "%-8s %12s %12s %12s %8s %9s %9s %9s %9s %9s %9s %11s\n",
		"Type", "Ops/sec", "Hits/sec", "Misses/sec", "Errors", "Avg.(ms)", "p50(ms)", "p90(ms)", "p99(ms)", "p99.9(ms)", "Max(ms)", "KB/sec")
	fmt.Fprintln(w, rule)
	for _, row := range []struct {
		name string
		o    *OpResult
	}{{"Sets", &r.Sets}, {"Gets", &r.Gets}, {"Totals", &r.Totals}} {
		o := row.o
		hits, misses := fmt.Sprintf("%12.2f", o.HitsPerSec), fmt.Sprintf("%12.2f", o.MissesPerSec)
		if row.name == "Sets" {
			hits, misses = fmt.Sprintf("%12s", "---"), fmt.Sprintf("%12s", "---")
		}
		l := o.Latency
		fmt.Fprintf(w, "%-8s %12.2f %s %s %8d %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %11.2f\n",
			row.name, o.OpsPerSec, hits, misses, o.Errors, l.Mean, l.P50, l.P90, l.P99, l.P999, l.Max, o.KBPerSec)
	}
	fmt.Fprintf(w, "\n%d requests sent, %d replies checked: %d correct, %d errors", r.Sent, r.Checked, r.OK, r.Errors-r.NotSent)
	if r.NotSent > 0 {
		fmt.Fprintf(w, "; %d due but not sent (open-loop backlog, counted as errors)", r.NotSent)
	}
	fmt.Fprintf(w, "; %.2f s\n", r.Seconds)
	for _, k := range r.ErrorKinds {
		fmt.Fprintf(w, "  error: %-52s %10d  e.g. %q\n", k.Kind, k.Count, k.Example)
	}
	if r.ConnectFailures > 0 {
		fmt.Fprintf(w, "  connection attempts failed: %d (first: %s)\n", r.ConnectFailures, r.ConnectError)
	}
	if r.Reconnects > 0 {
		fmt.Fprintf(w, "  reconnects: %d\n", r.Reconnects)
	}
	g := r.Generator
	fmt.Fprintf(w, "generator CPU: %.2f s user + %.2f s system = %.2f cores busy of %d", g.UserSec, g.SysSec, g.Cores, g.NumCPU)
	if cpu := g.UserSec + g.SysSec; cpu > 0 {
		fmt.Fprintf(w, ", %.0f requests per generator CPU-second", float64(r.Sent)/cpu)
	}
	if g.NumCPU > 0 && g.Cores > 0.8 {
		fmt.Fprintf(w, " (near a full core: the generator may be the limit)")
	}
	fmt.Fprintln(w)
	if r.SendLag != nil {
		l := r.SendLag
		fmt.Fprintf(w, "open-loop send lag behind schedule: p50 %.3f ms, p99 %.3f ms, max %.3f ms (counted in latency)\n", l.P50, l.P99, l.Max)
	}
	fmt.Fprintf(w, "latency percentiles within %.2f %% (log-linear histogram); mean and max exact\n", r.HistogramRelErr*100)
	if hideHistogram {
		return
	}
	fmt.Fprintf(w, "\nRequest latency distribution\n%-8s %12s %12s\n%s\n", "Type", "<= msec", "Percent", rule[:34])
	for _, row := range []struct {
		name string
		o    *OpResult
	}{{"SET", &r.Sets}, {"GET", &r.Gets}} {
		if row.o.Count == 0 {
			continue
		}
		for _, s := range row.o.Distribution {
			fmt.Fprintf(w, "%-8s %12.3f %12.3f\n", row.name, s.ValueMs, s.Percent)
		}
	}
}

// WriteJSON writes the Result as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
