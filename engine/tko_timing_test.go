package engine_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
	"mcroute/router/hashfunc"
	"mcroute/upstream"
)

// BenchmarkTKOBlackhole: 4 backends behind PoolRoute, one SIGSTOPped (it
// accepts connections, never answers); 8 clients send gets paced at a
// fixed total rate, each latency taken from the request's intended send
// time (open loop: a stalled reply delays what the client sends next, and
// that counts). Reports the p99 of requests to the healthy servers and
// the p99 of those sent in the second half (TKO in force), and
// the median time a request to the dead one takes to fail, with TKO
// tracking on (the default) and off.
//
//	go test -run '^$' -bench BenchmarkTKOBlackhole -benchtime 1x ./engine/
func BenchmarkTKOBlackhole(b *testing.B) {
	for _, tc := range []struct {
		name string
		off  bool
	}{{"tko", false}, {"no-tko", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ms := []*mctest.Memcached{mctest.StartMemcached(b), mctest.StartMemcached(b), mctest.StartMemcached(b), mctest.StartMemcached(b)}
			opts := engine.Options{Upstream: upstream.Options{TKO: upstream.TKOOptions{Disable: tc.off}}}
			p := startProxy(b, poolConfig(addrs(ms)...), opts, router.Options{ServerTimeout: 200 * time.Millisecond})
			var keys [4][]string
			for i := 0; len(keys[0]) < 16 || len(keys[1]) < 16 || len(keys[2]) < 16 || len(keys[3]) < 16; i++ {
				k := fmt.Sprintf("bk%d", i)
				s := hashfunc.Ch3([]byte(k), 4)
				keys[s] = append(keys[s], k)
			}
			ms[3].Pause()
			defer ms[3].Resume()
			const clients, rate, dur = 8, 2000.0, 2 * time.Second
			interval := time.Duration(float64(time.Second) * clients / rate)
			var mu sync.Mutex
			var healthy, dead, settled []time.Duration
			var firstDead, lastDead time.Duration
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				start := time.Now()
				for ci := 0; ci < clients; ci++ {
					wg.Add(1)
					go func(ci int) {
						defer wg.Done()
						c := mctest.Dial(b, p.Addr)
						var h, d, st []time.Duration
						for n := 0; ; n++ {
							at := start.Add(time.Duration(n)*interval + time.Duration(ci)*interval/clients)
							if at.Sub(start) > dur {
								break
							}
							time.Sleep(time.Until(at))
							s := (n + ci) % 4
							c.Do("get " + keys[s][n%16] + "\r\n")
							lat := time.Since(at)
							if s == 3 {
								d = append(d, lat)
							} else {
								h = append(h, lat)
								if at.Sub(start) >= dur/2 {
									st = append(st, lat)
								}
							}
						}
						mu.Lock()
						healthy, dead, settled = append(healthy, h...), append(dead, d...), append(settled, st...)
						if len(d) > 0 {
							firstDead, lastDead = max(firstDead, d[0]), max(lastDead, d[len(d)-1])
						}
						mu.Unlock()
					}(ci)
				}
				wg.Wait()
			}
			b.StopTimer()
			slices.Sort(healthy)
			slices.Sort(dead)
			slices.Sort(settled)
			pct := func(s []time.Duration, q float64) float64 {
				if len(s) == 0 {
					return 0
				}
				return float64(s[int(q*float64(len(s)-1))].Microseconds())
			}
			b.ReportMetric(pct(healthy, 0.50), "healthy-p50-us")
			b.ReportMetric(pct(healthy, 0.99), "healthy-p99-us")
			b.ReportMetric(pct(settled, 0.99), "healthy-p99-2nd-second-us")
			b.ReportMetric(pct(dead, 0.50), "dead-p50-us")
			b.ReportMetric(float64(firstDead.Microseconds()), "dead-first-us")
			b.ReportMetric(float64(lastDead.Microseconds()), "dead-last-us")
			b.ReportMetric(float64(len(healthy)+len(dead))/dur.Seconds()/float64(b.N), "req/s")
		})
	}
}
