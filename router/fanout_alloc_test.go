//go:build !race

package router_test

import (
	"testing"
	"time"

	"mcroute/router"
	"mcroute/upstream"
	"mcroute/upstream/upstreamtest"
)

// newConfigPipe is newPipe (path_test.go) for any config: every server of
// cfg gets a fake connection.
func newConfigPipe(t testing.TB, cfg string) *pipe {
	t.Helper()
	c, err := router.Build("", []byte(cfg), router.Options{ServerTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	up := upstream.NewLoop(nil, upstream.Options{})
	p := &pipe{ctx: router.NewCtx(up, c)}
	for _, conn := range p.ctx.Conns() {
		f := &upstreamtest.FakeConn{}
		conn.Attach(f)
		p.fakes = append(p.fakes, f)
	}
	return p
}

// TestFanoutAllocs: a request through a fan-out or selection route over
// three PoolRoutes (parse → route → three sends → three server replies →
// encode) allocates nothing in steady state, including the per-request
// state, request copies and reply copies those routes keep.
func TestFanoutAllocs(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:21001"]},"B":{"servers":["127.0.0.1:21002"]},"C":{"servers":["127.0.0.1:21003"]}}`
	children := `["PoolRoute|A","PoolRoute|B","PoolRoute|C"]`
	get := []byte("get user:12345:profile\r\n")
	getReply := "VALUE user:12345:profile 0 5\r\nhello\r\nEND\r\n"
	set := []byte("set user:12345:profile 0 0 5\r\nhello\r\n")
	for _, tc := range []struct{ name, route, wantGet, wantSet string }{
		{"AllSyncRoute", `{"type":"AllSyncRoute","children":` + children + `}`, "VALUE user:12345:profile 0 5\r\nhello\r\n", "STORED\r\n"},
		{"AllMajorityRoute", `{"type":"AllMajorityRoute","children":` + children + `}`, "VALUE user:12345:profile 0 5\r\nhello\r\n", "STORED\r\n"},
		{"AllFastestRoute", `{"type":"AllFastestRoute","children":` + children + `}`, "VALUE user:12345:profile 0 5\r\nhello\r\n", "STORED\r\n"},
		{"AllInitialRoute", `{"type":"AllInitialRoute","children":` + children + `}`, "VALUE user:12345:profile 0 5\r\nhello\r\n", "STORED\r\n"},
		{"AllAsyncRoute", `{"type":"AllAsyncRoute","children":` + children + `}`, "mc_res_notfound", "mc_res_notstored"},
		{"RandomRoute", `{"type":"RandomRoute","children":` + children + `}`, "VALUE user:12345:profile 0 5\r\nhello\r\n", "STORED\r\n"},
		{"OperationSelectorRoute", `{"type":"OperationSelectorRoute","default_policy":"PoolRoute|A","operation_policies":{"get":{"type":"AllSyncRoute","children":` + children + `},"set":"PoolRoute|B"}}`, "VALUE user:12345:profile 0 5\r\nhello\r\n", "STORED\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newConfigPipe(t, `{`+pools+`,"route":`+tc.route+`}`)
			for i := 0; i < 100; i++ { // warm up buffers and free lists
				p.roundTrip(get, getReply)
				p.roundTrip(set, "STORED\r\n")
			}
			if got := string(p.roundTrip(get, getReply)); got != tc.wantGet {
				t.Fatalf("get: %q, want %q", got, tc.wantGet)
			}
			if got := string(p.roundTrip(set, "STORED\r\n")); got != tc.wantSet {
				t.Fatalf("set: %q, want %q", got, tc.wantSet)
			}
			if n := testing.AllocsPerRun(1000, func() { p.roundTrip(get, getReply) }); n != 0 {
				t.Errorf("get: %v allocs per request", n)
			}
			if n := testing.AllocsPerRun(1000, func() { p.roundTrip(set, "STORED\r\n") }); n != 0 {
				t.Errorf("set: %v allocs per request", n)
			}
		})
	}
}
