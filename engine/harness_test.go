package engine_test

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"testing"
	"time"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// proxy is an in-process mcroute serving a config for one test.
type proxy struct {
	Addr string
	E    *engine.Engine
	R    *router.Router
}

// poolConfig returns a config with one pool "A" of the given servers
// routed with PoolRoute.
func poolConfig(servers ...string) string {
	b, _ := json.Marshal(map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": servers}},
		"route": "PoolRoute|A",
	})
	return string(b)
}

func addrs(ms []*mctest.Memcached) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Addr
	}
	return out
}

// startProxy builds cfg and serves it on a free loopback port until t ends.
func startProxy(t testing.TB, cfg string, opts engine.Options, bopts router.Options) *proxy {
	t.Helper()
	c, err := router.Build("test.json", []byte(cfg), bopts)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	host := "127.0.0.1"
	if len(opts.Addrs) == 1 {
		host, _, _ = net.SplitHostPort(opts.Addrs[0])
	}
	port := mctest.FreePort(t, host)
	opts.Addrs = []string{net.JoinHostPort(host, strconv.Itoa(port))}
	if opts.NumLoops == 0 {
		opts.NumLoops = 2
	}
	r := router.New(c)
	e := engine.New(r, opts)
	done := make(chan error, 1)
	go func() { done <- e.Run() }()
	select {
	case <-e.Started():
	case err := <-done:
		t.Fatalf("engine did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("engine did not start in 10s")
	}
	if err := mctest.WaitListening(opts.Addrs[0], 5*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("engine did not stop")
		}
	})
	return &proxy{Addr: opts.Addrs[0], E: e, R: r}
}
