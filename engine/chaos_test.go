package engine_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// TestBackendKilledUnderLoad: clients pipelining sets and gets while one
// of three servers is killed and restarted get exactly one well-formed
// reply per request, in order, and mcroute neither hangs nor crashes.
func TestBackendKilledUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	ms := []*mctest.Memcached{mctest.StartMemcached(t), mctest.StartMemcached(t), mctest.StartMemcached(t)}
	p := startProxy(t, poolConfig(addrs(ms)...), engine.Options{}, router.Options{ServerTimeout: 300 * time.Millisecond})
	const clients, batch = 16, 10
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, errs atomic.Int64
	for ci := 0; ci < clients; ci++ {
		wg.Add(1)
		go func(ci int) {
			defer wg.Done()
			c := mctest.Dial(t, p.Addr)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var req strings.Builder
				for i := 0; i < batch; i++ {
					k := fmt.Sprintf("chaos:%d:%d", ci, (n*batch+i)%50)
					if i%2 == 0 {
						fmt.Fprintf(&req, "set %s 0 0 2\r\nok\r\n", k)
					} else {
						fmt.Fprintf(&req, "get %s %s\r\n", k, k+"x")
					}
				}
				c.Send(req.String())
				for i := 0; i < batch; i++ {
					got, err := c.TryReadReply(5 * time.Second)
					if err != nil {
						t.Errorf("client %d: no reply %d of batch %d: %v (%q)", ci, i, n, err, got)
						return
					}
					switch {
					case i%2 == 0 && got == "STORED\r\n",
						i%2 == 1 && (got == "END\r\n" || strings.HasPrefix(got, "VALUE ") && strings.HasSuffix(got, "\r\nEND\r\n")):
						ok.Add(1)
					case strings.HasPrefix(got, "SERVER_ERROR ") && strings.Count(got, "\r\n") == 1:
						errs.Add(1)
					default:
						t.Errorf("client %d: reply %d of batch %d (%s): %q", ci, i, n, map[bool]string{true: "set", false: "get"}[i%2 == 0], got)
						return
					}
				}
			}
		}(ci)
	}
	time.Sleep(300 * time.Millisecond)
	ms[1].Kill()
	time.Sleep(500 * time.Millisecond)
	mctest.RestartMemcached(t, ms[1])
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if ok.Load() == 0 || errs.Load() == 0 {
		t.Errorf("%d good replies, %d errors: expected both", ok.Load(), errs.Load())
	}
	t.Logf("%d good replies, %d SERVER_ERRORs while a server was down", ok.Load(), errs.Load())
}
