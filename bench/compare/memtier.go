package compare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"mcroute/bench"
)

// Generator names: which load generator produced a row.
const (
	GenMcrouteBench = "mcroute-bench"
	GenMemtier      = "memtier"
)

// memtierWorkload reports whether memtier_benchmark can run w the way the
// issue defines it: its --multi-key-get sends *up to* N keys rather than
// exactly N (D), and it has no fixed-schedule open loop whose latency counts
// from the intended send time (F), so those two stay mcroute-bench's.
func memtierWorkload(w Workload) (bool, string) {
	switch {
	case w.MultiKey > 1:
		return false, "memtier's --multi-key-get sends up to N keys, not exactly N"
	case w.OpenLoop:
		return false, "memtier has no open loop with latency from the intended send time"
	}
	return true, ""
}

// memtierPrefix is the key prefix of memtier's runs: a keyspace of its own,
// because memtier writes values of its own making that mcroute-bench's
// --verify would rightly call wrong. It is preloaded like the others.
func memtierPrefix(w Workload) string { return "mt" + w.Prefix }

// memtierArgs is the memtier_benchmark command line for w against addr with
// conns connections, writing its JSON report to jsonOut.
func memtierArgs(addr string, w Workload, conns int, d time.Duration, jsonOut string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, "11211"
	}
	secs := int(math.Max(1, math.Round(d.Seconds())))
	return []string{
		"-s", host, "-p", port, "--protocol=memcache_text",
		"-t", "1", "-c", strconv.Itoa(conns), "--pipeline=" + strconv.Itoa(w.Pipeline),
		"--ratio=1:10", "--data-size=" + strconv.Itoa(w.Size),
		"--key-pattern=R:R", "--key-minimum=1", "--key-maximum=" + strconv.FormatInt(w.Keys, 10),
		"--key-prefix=" + memtierPrefix(w),
		"--test-time=" + strconv.Itoa(secs), "--print-percentiles=50,90,99,99.9",
		"--hide-histogram", "--json-out-file=" + jsonOut,
	}
}

// MemtierResult is what the harness reads from memtier_benchmark's
// --json-out-file: the "ALL STATS" → "Totals" object. Latencies are in ms.
type MemtierResult struct {
	Count            uint64
	OpsPerSec        float64
	HitsPerSec       float64
	MissesPerSec     float64
	ConnectionErrors uint64
	Latency          bench.Latency // P50, P90, P99, P999, Max (those memtier printed)
	Seconds          float64       // "ALL STATS" → "Runtime" → "Total duration"
}

// ParseMemtierJSON reads the totals out of a memtier_benchmark JSON report
// (format of memtier 2.x, checked against 2f74d61). Percentile keys are
// written "p50.00", "p99.90" (memtier truncates "p%.3f" to 6 characters), so
// they are parsed as numbers rather than matched as strings.
func ParseMemtierJSON(b []byte) (*MemtierResult, error) {
	var doc struct {
		All map[string]json.RawMessage `json:"ALL STATS"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("memtier JSON: %w", err)
	}
	raw, ok := doc.All["Totals"]
	if !ok {
		return nil, errors.New(`memtier JSON: no "ALL STATS" → "Totals"`)
	}
	var tot struct {
		Count       uint64                     `json:"Count"`
		Ops         float64                    `json:"Ops/sec"`
		Hits        float64                    `json:"Hits/sec"`
		Misses      float64                    `json:"Misses/sec"`
		ConnErrors  uint64                     `json:"Connection Errors"`
		Max         float64                    `json:"Max Latency"`
		Percentiles map[string]json.RawMessage `json:"Percentile Latencies"`
	}
	if err := json.Unmarshal(raw, &tot); err != nil {
		return nil, fmt.Errorf("memtier JSON totals: %w", err)
	}
	r := &MemtierResult{Count: tot.Count, OpsPerSec: tot.Ops, HitsPerSec: tot.Hits, MissesPerSec: tot.Misses,
		ConnectionErrors: tot.ConnErrors}
	r.Latency.Max = tot.Max
	for k, v := range tot.Percentiles {
		q, err := strconv.ParseFloat(strings.TrimPrefix(k, "p"), 64)
		if err != nil || !strings.HasPrefix(k, "p") {
			continue // "Histogram log format" and the like
		}
		var ms float64
		if err := json.Unmarshal(v, &ms); err != nil {
			return nil, fmt.Errorf("memtier JSON percentile %s: %w", k, err)
		}
		switch {
		case math.Abs(q-50) < 0.01:
			r.Latency.P50 = ms
		case math.Abs(q-90) < 0.01:
			r.Latency.P90 = ms
		case math.Abs(q-99) < 0.01:
			r.Latency.P99 = ms
		case math.Abs(q-99.9) < 0.01:
			r.Latency.P999 = ms
		}
	}
	if r.Latency.P99 == 0 && r.Count > 0 {
		return nil, errors.New("memtier JSON: no p99 under Percentile Latencies")
	}
	var rt struct {
		Duration float64 `json:"Total duration"`
		Unit     string  `json:"Time unit"`
	}
	if raw, ok := doc.All["Runtime"]; ok && json.Unmarshal(raw, &rt) == nil && rt.Duration > 0 {
		r.Seconds = rt.Duration
		if rt.Unit == "" || rt.Unit == "MILLISECONDS" {
			r.Seconds = rt.Duration / 1000
		}
	}
	return r, nil
}

// findMemtier resolves the memtier_benchmark binary; "" when absent.
func findMemtier(name string) string {
	if name == "" {
		return ""
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// memtierRun is one memtier-driven measured run: one memtier process per
// address (direct memcached over several backends gets one per backend, the
// connections split between them, since memtier talks to one server).
type memtierRun struct {
	res        MemtierResult
	cpuSeconds float64 // memtier's own user+system time, all processes
	err        error
}

// runMemtier runs memtier for w over addrs and combines the processes:
// counts and rates add up, latency percentiles are the worst process's (an
// upper bound: memtier's JSON carries no mergeable histogram).
func runMemtier(ctx context.Context, bin, dir string, addrs []string, w Workload, d time.Duration, seq int) memtierRun {
	n := len(addrs)
	if n > w.Conns {
		n = w.Conns
	}
	type one struct {
		res *MemtierResult
		cpu float64
		err error
	}
	outs := make([]one, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		conns := w.Conns / n
		if i < w.Conns%n {
			conns++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			jsonOut := filepath.Join(dir, fmt.Sprintf("memtier-%d-%d.json", seq, i))
			cmd := exec.CommandContext(ctx, bin, memtierArgs(addrs[i], w, conns, d, jsonOut)...)
			out, err := cmd.CombinedOutput()
			if cmd.ProcessState != nil {
				outs[i].cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
			}
			if err != nil {
				outs[i].err = fmt.Errorf("memtier_benchmark: %v: %s", err, lastLine(string(out)))
				return
			}
			b, err := os.ReadFile(jsonOut)
			if err == nil {
				outs[i].res, err = ParseMemtierJSON(b)
			}
			outs[i].err = err
		}()
	}
	wg.Wait()
	var r memtierRun
	for _, o := range outs {
		r.cpuSeconds += o.cpu
		if o.err != nil {
			r.err = o.err
			continue
		}
		m := o.res
		r.res.Count += m.Count
		r.res.OpsPerSec += m.OpsPerSec
		r.res.HitsPerSec += m.HitsPerSec
		r.res.MissesPerSec += m.MissesPerSec
		r.res.ConnectionErrors += m.ConnectionErrors
		r.res.Seconds = math.Max(r.res.Seconds, m.Seconds)
		l := &r.res.Latency
		l.P50, l.P90, l.P99 = math.Max(l.P50, m.Latency.P50), math.Max(l.P90, m.Latency.P90), math.Max(l.P99, m.Latency.P99)
		l.P999, l.Max = math.Max(l.P999, m.Latency.P999), math.Max(l.Max, m.Latency.Max)
	}
	return r
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 200 {
		l = l[:200] + "…"
	}
	return l
}
