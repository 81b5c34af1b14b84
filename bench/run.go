package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// Result is what a run measured. Latencies are in milliseconds.
type Result struct {
	Config  Summary   `json:"configuration"`
	Start   time.Time `json:"start"`
	Seconds float64   `json:"seconds"` // from the first request to the last reply

	Sets   OpResult `json:"Sets"`
	Gets   OpResult `json:"Gets"`
	Totals OpResult `json:"Totals"`

	// Sent requests were written; each is Checked once: OK or an error.
	Sent    uint64 `json:"sent"`
	Checked uint64 `json:"checked"`
	OK      uint64 `json:"ok"`
	Errors  uint64 `json:"errors"`
	// NotSent (open loop): due before the end but never sent; also errors.
	NotSent         uint64       `json:"not_sent"`
	ErrorKinds      []ErrorCount `json:"error_kinds,omitempty"`
	ConnectFailures uint64       `json:"connect_failures"`
	ConnectError    string       `json:"connect_error,omitempty"`
	Reconnects      uint64       `json:"reconnects"`

	// SendLag (open loop): how late requests started out against their
	// intended time; large values mean the generator was the limit.
	SendLag *Latency `json:"send_lag_ms,omitempty"`
	// Generator is this process's CPU use during the run.
	Generator CPUUse `json:"generator_cpu"`
	// HistogramRelErr bounds the relative error of the percentiles.
	HistogramRelErr float64 `json:"histogram_relative_error"`

	hist [numOps + 1]*Histogram
}

// Summary echoes the settings of a run.
type Summary struct {
	Servers     []string `json:"servers"`
	Threads     int      `json:"threads"`
	Clients     int      `json:"clients"`
	Ratio       string   `json:"ratio"`
	KeyPattern  string   `json:"key_pattern"`
	KeyMinimum  int64    `json:"key_minimum"`
	KeyMaximum  int64    `json:"key_maximum"`
	KeyPrefix   string   `json:"key_prefix"`
	DataSize    string   `json:"data_size"`
	Pipeline    int      `json:"pipeline"`
	TestTime    float64  `json:"test_time,omitempty"`
	Requests    int64    `json:"requests,omitempty"`
	MultiKeyGet int      `json:"multi_key_get"`
	Rate        float64  `json:"rate,omitempty"`
	Verify      bool     `json:"verify"`
}

// OpResult is one row of the table: one command type, or all of them.
type OpResult struct {
	Count        uint64       `json:"count"`
	OpsPerSec    float64      `json:"ops_per_sec"`
	Hits         uint64       `json:"hits"`
	Misses       uint64       `json:"misses"`
	HitsPerSec   float64      `json:"hits_per_sec"`
	MissesPerSec float64      `json:"misses_per_sec"`
	Errors       uint64       `json:"errors"`
	KBPerSec     float64      `json:"kb_per_sec"` // request plus reply bytes
	Latency      Latency      `json:"latency_ms"`
	Distribution []LadderStep `json:"distribution,omitempty"`
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
}

// ErrorCount is how many requests failed for one reason, with the first
// offending reply line or error as an example.
type ErrorCount struct {
	Kind    string `json:"kind"`
	Count   uint64 `json:"count"`
	Example string `json:"example,omitempty"`
}

// CPUUse is CPU time used by a process over a run.
type CPUUse struct {
	UserSec float64 `json:"user_s"`
	SysSec  float64 `json:"sys_s"`
	// Cores is (user+sys)/wall time: 1.0 is one core busy all run.
	Cores  float64 `json:"cores"`
	NumCPU int     `json:"num_cpu"`
}

// LatencyOf summarizes a histogram.
func LatencyOf(h *Histogram) Latency {
	return Latency{
		Mean: h.Mean() / 1e6,
		Min:  nsToMs(h.Min()),
		P50:  nsToMs(h.Percentile(0.50)),
		P90:  nsToMs(h.Percentile(0.90)),
		P99:  nsToMs(h.Percentile(0.99)),
		P999: nsToMs(h.Percentile(0.999)),
		Max:  nsToMs(h.Max()),
	}
}

// Histogram returns the merged latency histogram of "Sets", "Gets" or
// "Totals" (nil for anything else).
func (r *Result) Histogram(op string) *Histogram {
	switch op {
	case "Sets":
		return r.hist[opSet]
	case "Gets":
		return r.hist[opGet]
	case "Totals":
		return r.hist[numOps]
	}
	return nil
}

// Run connects Threads*Clients connections, runs the workload and returns
// what it measured. If every connection cannot be opened at the start it
// fails; later connection failures are retried and reported in the Result.
// When ctx ends early the partial Result comes back with ctx's error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	vals := newValues(cfg.DataSizeMin, cfg.DataSizeMax)
	conns := make([]*conn, cfg.Conns())
	for i := range conns {
		conns[i] = newConn(i, &cfg, vals)
	}
	for _, c := range conns {
		if err := c.dial(ctx); err != nil {
			for _, c := range conns {
				if c.nc != nil {
					_ = c.nc.Close()
				}
			}
			return nil, fmt.Errorf("connect to %s: %w", c.addr, err)
		}
	}

	wallStart := time.Now()
	u0, s0 := cpuTime()
	start := nanotime()
	for i, c := range conns {
		if cfg.TestTime > 0 {
			c.runEnd = start + int64(cfg.TestTime)
		} else {
			c.limit = cfg.Requests
		}
		if cfg.Rate > 0 {
			c.interval = max(1, int64(float64(time.Second)*float64(len(conns))/cfg.Rate))
			c.next = start + c.interval*int64(i)/int64(len(conns))
		}
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
		}()
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	if cfg.Progress != nil {
		go progress(cfg.Progress, conns, stopProgress, progressDone)
	} else {
		close(progressDone)
	}
	wg.Wait()
	close(stopProgress)
	<-progressDone
	elapsed := time.Duration(nanotime() - start)
	u1, s1 := cpuTime()

	r := aggregate(&cfg, conns, elapsed)
	r.Start = wallStart
	r.Generator = CPUUse{
		UserSec: (u1 - u0).Seconds(),
		SysSec:  (s1 - s0).Seconds(),
		Cores:   (u1 - u0 + s1 - s0).Seconds() / elapsed.Seconds(),
		NumCPU:  runtime.NumCPU(),
	}
	return r, ctx.Err()
}

func aggregate(cfg *Config, conns []*conn, elapsed time.Duration) *Result {
	r := &Result{
		Config:          summarize(cfg),
		Seconds:         elapsed.Seconds(),
		HistogramRelErr: HistogramRelErr,
	}
	var sum [numOps]opStats
	var kinds [numErrKinds]uint64
	var samples [numErrKinds]string
	var lag Histogram
	for _, c := range conns {
		for op := range sum {
			s, o := &sum[op], &c.op[op]
			s.hist.Merge(&o.hist)
			s.ops += o.ops
			s.hits += o.hits
			s.misses += o.misses
			s.errors += o.errors
			s.bytesIn += o.bytesIn
			s.bytesOut += o.bytesOut
		}
		for k, n := range c.errKinds {
			kinds[k] += n
			if samples[k] == "" {
				samples[k] = c.errSample[k]
			}
		}
		kinds[errNotSent] += c.notSent
		lag.Merge(&c.sendLag)
		r.Sent += c.sent
		r.Checked += c.checked
		r.NotSent += c.notSent
		r.ConnectFailures += c.connectFailures
		r.Reconnects += c.reconnects
		if r.ConnectError == "" {
			r.ConnectError = c.connectSample
		}
	}
	secs := elapsed.Seconds()
	var total opStats
	rows := [numOps]*OpResult{&r.Sets, &r.Gets}
	for op := range sum {
		s := &sum[op]
		*rows[op] = opResult(s, secs)
		r.hist[op] = &s.hist
		total.hist.Merge(&s.hist)
		total.ops += s.ops
		total.hits += s.hits
		total.misses += s.misses
		total.errors += s.errors
		total.bytesIn += s.bytesIn
		total.bytesOut += s.bytesOut
	}
	total.errors += r.NotSent
	r.Totals = opResult(&total, secs)
	r.hist[numOps] = &total.hist
	r.OK = total.ops
	r.Errors = total.errors
	for k, n := range kinds {
		if n > 0 {
			r.ErrorKinds = append(r.ErrorKinds, ErrorCount{Kind: errKind(k).String(), Count: n, Example: samples[k]})
		}
	}
	if cfg.Rate > 0 {
		l := LatencyOf(&lag)
		r.SendLag = &l
	}
	return r
}

func opResult(s *opStats, secs float64) OpResult {
	return OpResult{
		Count:        s.ops,
		OpsPerSec:    float64(s.ops) / secs,
		Hits:         s.hits,
		Misses:       s.misses,
		HitsPerSec:   float64(s.hits) / secs,
		MissesPerSec: float64(s.misses) / secs,
		Errors:       s.errors,
		KBPerSec:     float64(s.bytesIn+s.bytesOut) / 1024 / secs,
		Latency:      LatencyOf(&s.hist),
		Distribution: s.hist.Ladder(),
	}
}

func summarize(c *Config) Summary {
	s := Summary{
		Servers:     c.Servers,
		Threads:     c.Threads,
		Clients:     c.Clients,
		Ratio:       c.Ratio.String(),
		KeyPattern:  string([]byte{byte(c.SetPattern), ':', byte(c.GetPattern)}),
		KeyMinimum:  c.KeyMin,
		KeyMaximum:  c.KeyMax,
		KeyPrefix:   c.KeyPrefix,
		DataSize:    fmt.Sprint(c.DataSizeMin),
		Pipeline:    c.Pipeline,
		MultiKeyGet: c.MultiKeyGet,
		Rate:        c.Rate,
		Verify:      c.Verify,
	}
	if c.DataSizeMax != c.DataSizeMin {
		s.DataSize = fmt.Sprintf("%d-%d", c.DataSizeMin, c.DataSizeMax)
	}
	if c.TestTime > 0 {
		s.TestTime = c.TestTime.Seconds()
	} else {
		s.Requests = c.Requests
	}
	return s
}

// progress prints one line per second until stop closes.
func progress(w io.Writer, conns []*conn, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	start := time.Now()
	var prev [5]uint64
	last := start
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			var cur [5]uint64
			for _, c := range conns {
				cur[0] += c.live.ops.Load()
				cur[1] += c.live.hits.Load()
				cur[2] += c.live.misses.Load()
				cur[3] += c.live.errors.Load()
				cur[4] += c.live.latNs.Load()
			}
			secs := now.Sub(last).Seconds()
			ops := cur[0] - prev[0]
			avg := 0.0
			if ops > 0 {
				avg = float64(cur[4]-prev[4]) / float64(ops) / 1e6
			}
			fmt.Fprintf(w, "[%4.0fs] %10.0f ops/s  %10.0f hits/s  %10.0f misses/s  %6d errors  avg %8.3f ms\n",
				now.Sub(start).Seconds(), float64(ops)/secs, float64(cur[1]-prev[1])/secs, float64(cur[2]-prev[2])/secs,
				cur[3], avg)
			prev, last = cur, now
		}
	}
}
