package router

import (
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// mustRateLimit builds a RateLimitRoute over the named fakes T and F
// (fallback when cfg names it) with a clock the test moves.
func mustRateLimit(t *testing.T, cfg string, named map[string]Handle, clock *int64) *rateLimitRoute {
	t.Helper()
	v, err := jsonm.Parse("rl.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	h, err := newRateLimitRoute(&builder{file: "rl.json", named: named}, v, v)
	if err != nil {
		t.Fatal(err)
	}
	r := h.(*rateLimitRoute)
	r.now = func() int64 { return *clock }
	return r
}

func TestRateLimitRoute(t *testing.T) {
	type step struct {
		op   string
		at   time.Duration // clock before the request
		want string        // reply, prefixed "T:" or "F:" for who answered
	}
	rates := `"rates": {"gets_rate": 2, "gets_burst": 3, "sets_rate": 1, "deletes_rate": 0.5, "deletes_burst": 1}`
	cases := []struct {
		name     string
		cfg      string
		res      mc.Result // target's answer
		fallback bool
		steps    []step
	}{
		{"gets: burst of 3 then default miss", `{"target": "T", ` + rates + `}`, mc.ResFound, false, []step{
			{"get", 0, "T:mc_res_found"}, {"gets", 0, "T:mc_res_found"}, {"gat", 0, "T:mc_res_found"},
			{"get", 0, "mc_res_notfound"}, {"gats", 0, "mc_res_notfound"},
			// 2/s: one token after 0.5 s, not before.
			{"get", 400 * time.Millisecond, "mc_res_notfound"},
			{"get", 500 * time.Millisecond, "T:mc_res_found"},
			{"get", 500 * time.Millisecond, "mc_res_notfound"},
			// Refills up to the burst, not beyond.
			{"get", 100 * time.Second, "T:mc_res_found"}, {"get", 100 * time.Second, "T:mc_res_found"},
			{"get", 100 * time.Second, "T:mc_res_found"}, {"get", 100 * time.Second, "mc_res_notfound"},
		}},
		{"sets: burst defaults to rate; NOT_STORED", `{"target": "T", ` + rates + `}`, mc.ResStored, false, []step{
			{"set", 0, "T:mc_res_stored"}, {"add", 0, "mc_res_notstored"}, {"cas", 0, "mc_res_notstored"},
			{"append", time.Second, "T:mc_res_stored"}, {"prepend", time.Second, "mc_res_notstored"},
		}},
		{"deletes: own bucket", `{"target": "T", ` + rates + `}`, mc.ResDeleted, false, []step{
			{"delete", 0, "T:mc_res_deleted"}, {"delete", 0, "mc_res_notfound"},
			{"delete", time.Second, "mc_res_notfound"}, {"delete", 2 * time.Second, "T:mc_res_deleted"},
		}},
		{"burst below one token never passes (folly's TokenBucket)", `{"target": "T", "rates": {"deletes_rate": 0.5}}`, mc.ResDeleted, false, []step{
			{"delete", 0, "mc_res_notfound"}, {"delete", time.Hour, "mc_res_notfound"},
		}},
		{"classes do not share tokens", `{"target": "T", "rates": {"gets_rate": 1, "sets_rate": 1}}`, mc.ResNotFound, false, []step{
			{"get", 0, "T:mc_res_notfound"}, {"set", 0, "T:mc_res_notfound"}, {"delete", 0, "T:mc_res_notfound"},
			{"get", 0, "mc_res_notfound"}, {"set", 0, "mc_res_notstored"},
		}},
		{"touch, incr, decr never limited", `{"target": "T", "rates": {"gets_rate": 1, "sets_rate": 1, "deletes_rate": 1}}`, mc.ResTouched, false, []step{
			{"touch", 0, "T:mc_res_touched"}, {"touch", 0, "T:mc_res_touched"},
			{"incr", 0, "T:mc_res_touched"}, {"incr", 0, "T:mc_res_touched"}, {"decr", 0, "T:mc_res_touched"},
		}},
		{"class without a rate is unlimited", `{"target": "T", "rates": {"deletes_rate": 1}}`, mc.ResFound, false, []step{
			{"get", 0, "T:mc_res_found"}, {"get", 0, "T:mc_res_found"}, {"set", 0, "T:mc_res_found"}, {"set", 0, "T:mc_res_found"},
		}},
		{"over the limit goes to fallback", `{"target": "T", "fallback": "F", "rates": {"gets_rate": 1}}`, mc.ResFound, true, []step{
			{"get", 0, "T:mc_res_found"}, {"get", 0, "F:mc_res_timeout"}, {"get", time.Second, "T:mc_res_found"},
		}},
		{"target errors pass through", `{"target": "T", "rates": {"gets_rate": 1}}`, mc.ResTimeout, false, []step{
			{"get", 0, "T:mc_res_timeout"}, {"get", 0, "mc_res_notfound"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := fake("T", tc.res)
			fb := fake("F", mc.ResTimeout)
			var clock int64 = int64(time.Hour) // any start: buckets start full
			r := mustRateLimit(t, tc.cfg, map[string]Handle{"T": target, "F": fb}, &clock)
			ctx := testCtx()
			start := clock
			for i, s := range tc.steps {
				clock = start + int64(s.at)
				nt, nf := len(target.seen), len(fb.seen)
				cb := &capture{}
				r.Route(ctx, req(s.op, "k"), cb)
				got := cb.String()
				switch {
				case len(target.seen) > nt:
					got = "T:" + got
				case len(fb.seen) > nf:
					got = "F:" + got
				}
				if got != s.want {
					t.Errorf("step %d (%s at %v): %s, want %s", i, s.op, s.at, got, s.want)
				}
			}
		})
	}
}

// A slow target: the limit is taken when the request is routed, and the
// reply comes back whenever the target answers.
func TestRateLimitRouteSlowTarget(t *testing.T) {
	target := fake("T", mc.ResFound, "v")
	target.deferred = true
	var clock int64
	r := mustRateLimit(t, `{"target": "T", "rates": {"gets_rate": 1, "gets_burst": 2}}`, map[string]Handle{"T": target}, &clock)
	ctx := testCtx()
	cbs := []*capture{{}, {}, {}}
	for _, cb := range cbs {
		r.Route(ctx, req("get", "k"), cb)
	}
	if cbs[0].String() != "" || cbs[1].String() != "" || cbs[2].String() != "mc_res_notfound" {
		t.Fatalf("before the target answers: %v", cbs)
	}
	target.flush()
	if cbs[0].String() != "mc_res_found=v" || cbs[1].String() != "mc_res_found=v" {
		t.Fatalf("after: %v", cbs)
	}
}

// Each loop (Ctx) has its own buckets, as each mcrouter proxy thread has
// its own route tree.
func TestRateLimitRoutePerLoop(t *testing.T) {
	target := fake("T", mc.ResFound)
	var clock int64
	r := mustRateLimit(t, `{"target": "T", "rates": {"gets_rate": 1}}`, map[string]Handle{"T": target}, &clock)
	for loop := 0; loop < 3; loop++ {
		ctx := testCtx()
		for i, want := range []string{"mc_res_found", "mc_res_notfound"} {
			cb := &capture{}
			r.Route(ctx, req("get", "k"), cb)
			if cb.String() != want {
				t.Errorf("loop %d request %d: %s, want %s", loop, i, cb, want)
			}
		}
	}
}

func TestRateLimitRouteConfig(t *testing.T) {
	pools := `"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}, "B": {"servers": ["127.0.0.1:3"]}}`
	for _, tc := range []struct{ route, want string }{
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {"gets_rate": 10, "sets_rate": 2.5, "sets_burst": 100}}`,
			"rate-limit|gets_rate=10|gets_burst=10|sets_rate=2.5|sets_burst=100"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {"deletes_rate": 1000000, "deletes_burst": "x"}}`,
			"rate-limit|deletes_rate=1000000|deletes_burst=1000000"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {}}`, "rate-limit"},
		{`{"type": "PoolRoute", "pool": "A", "rates": {"gets_rate": 5}}`, "rate-limit|gets_rate=5|gets_burst=5"},
		// One server: the rate limit wraps its destination.
		{`{"type": "PoolRoute", "pool": "B", "rates": {"sets_rate": 5}}`, "rate-limit|sets_rate=5|sets_burst=5"},
	} {
		cfg, err := Build("rl.json", []byte(`{`+pools+`, "route": `+tc.route+`}`), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.route, err)
			continue
		}
		h := cfg.Root.(*rootRoute).def
		if h.Name() != tc.want {
			t.Errorf("%s: name %q, want %q", tc.route, h.Name(), tc.want)
		}
		if len(cfg.Warnings) != 0 {
			t.Errorf("%s: warnings %v", tc.route, cfg.Warnings)
		}
		// route_handles: the rate limit, then what it wraps.
		out := Debug(cfg, &DebugInfo{}, "route_handles(get,k)")
		if !strings.HasPrefix(out, "proxy\n root\n  "+tc.want+"\n   ") {
			t.Errorf("%s: route_handles %q", tc.route, out)
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`{"type": "RateLimitRoute", "rates": {"gets_rate": 1}}`, "rl.json:1: RateLimitRoute: target not found"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A"}`, "rl.json:1: RateLimitRoute: rates not found"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": [1]}`, "rl.json:1: RateLimiter settings json is not an object"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {"gets_rate": 0}}`, "rl.json:1: RateLimitRoute: gets_rate is nonpositive"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {"sets_rate": "5"}}`, "rl.json:1: RateLimitRoute: sets_rate is not a number"},
		{`{"type": "RateLimitRoute", "target": "PoolRoute|A", "rates": {"sets_rate": 1, "sets_burst": -1}}`, "rl.json:1: RateLimitRoute: sets_burst is nonpositive"},
		{`{"type": "PoolRoute", "pool": "A", "rates": {"deletes_rate": -2}}`, "rl.json:1: RateLimitRoute: deletes_rate is nonpositive"},
		{`"RateLimitRoute|PoolRoute|A"`, "rl.json:1: RateLimitRoute is not an object"},
	} {
		_, err := Build("rl.json", []byte(`{`+pools+`, "route": `+tc.route+`}`), Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %s", tc.route, err, tc.want)
		}
	}
}
