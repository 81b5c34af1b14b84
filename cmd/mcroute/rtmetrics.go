//go:build rtmetrics

package main

// A debug build (go build -tags rtmetrics) for engine/PERF.md, "p99 on
// A": on SIGUSR2 mcroute writes the runtime's scheduler and GC metrics to
// stderr, cumulative since start (histograms as count and quantiles). The
// signal's goroutine sleeps until then, so it costs nothing while serving.

import (
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime/metrics"
	"syscall"
)

func init() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR2)
	go func() {
		for range ch {
			dumpRuntimeMetrics()
		}
	}()
}

var rtMetricNames = []string{
	"/sched/latencies:seconds",
	"/sched/pauses/total/gc:seconds",
	"/sched/pauses/total/other:seconds",
	"/sched/pauses/stopping/gc:seconds",
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/allocs:objects",
	"/sched/gomaxprocs:threads",
	"/sched/threads/total:threads",
	"/sched/goroutines-created:goroutines",
}

func dumpRuntimeMetrics() {
	s := make([]metrics.Sample, len(rtMetricNames))
	for i, n := range rtMetricNames {
		s[i].Name = n
	}
	metrics.Read(s)
	for _, m := range s {
		switch m.Value.Kind() {
		case metrics.KindUint64:
			fmt.Fprintf(os.Stderr, "rtmetric %s %d\n", m.Name, m.Value.Uint64())
		case metrics.KindFloat64:
			fmt.Fprintf(os.Stderr, "rtmetric %s %g\n", m.Name, m.Value.Float64())
		case metrics.KindFloat64Histogram:
			h := m.Value.Float64Histogram()
			var n uint64
			for _, c := range h.Counts {
				n += c
			}
			fmt.Fprintf(os.Stderr, "rtmetric %s count=%d", m.Name, n)
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
				fmt.Fprintf(os.Stderr, " q%g<=%.3gus", q, quantile(h, n, q)*1e6)
			}
			// The buckets above 10 µs, counts of what waited that long.
			for i, c := range h.Counts {
				if c > 0 && h.Buckets[i] >= 10e-6 {
					fmt.Fprintf(os.Stderr, " [%.3g,%.3g)us:%d", h.Buckets[i]*1e6, h.Buckets[i+1]*1e6, c)
				}
			}
			fmt.Fprintln(os.Stderr)
		}
	}
}

// quantile returns the upper bound of the bucket holding quantile q.
func quantile(h *metrics.Float64Histogram, n uint64, q float64) float64 {
	want := uint64(math.Ceil(q * float64(n)))
	var acc uint64
	for i, c := range h.Counts {
		acc += c
		if acc >= want && c > 0 {
			return h.Buckets[i+1]
		}
	}
	return 0
}
