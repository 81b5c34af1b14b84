package router

import (
	"fmt"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
)

func lbRoute(t *testing.T, cfg string, kids ...*fakeRoute) *loadBalancerRoute {
	t.Helper()
	hs := make([]Handle, len(kids))
	for i, k := range kids {
		hs[i] = k
	}
	h, err := (&builder{file: "t.json"}).loadBalancer(mustParse(t, cfg), nil, hs)
	if err != nil {
		t.Fatal(err)
	}
	r := h.(*loadBalancerRoute)
	var now int64
	r.now = func(*Ctx) int64 { return now }
	return r
}

// Without reported loads weighted-hashing is Ch3 of the routing key; an
// error is retried on other children up to failover_count tries.
func TestLoadBalancerRoute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   string
		res   [3]mc.Result
		slow  bool
		want  string
		tries int
	}{
		{"hit", `{}`, [3]mc.Result{mc.ResFound, mc.ResFound, mc.ResFound}, false, "mc_res_found", 1},
		{"miss is not retried", `{"failover_count": 3}`, [3]mc.Result{mc.ResNotFound, mc.ResNotFound, mc.ResNotFound}, true, "mc_res_notfound", 1},
		{"error, no failover", `{}`, [3]mc.Result{mc.ResTimeout, mc.ResTimeout, mc.ResTimeout}, false, "mc_res_timeout", 1},
		{"error, failover", `{"failover_count": 2}`, [3]mc.Result{mc.ResTimeout, mc.ResTimeout, mc.ResTimeout}, true, "mc_res_timeout", 2},
		{"failover_count above n", `{"failover_count": 10}`, [3]mc.Result{mc.ResTimeout, mc.ResTimeout, mc.ResTimeout}, false, "mc_res_timeout", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var kids []*fakeRoute
			for i, res := range tc.res {
				kids = append(kids, &fakeRoute{name: fmt.Sprint(i), res: res, deferred: tc.slow})
			}
			r := lbRoute(t, tc.cfg, kids...)
			if r.Name() != "loadbalancer|weighted-hashing" {
				t.Errorf("name %q", r.Name())
			}
			c := &capture{}
			r.Route(testCtx(), req("get", "user:12345:profile"), c)
			tries := 0
			for n := -1; n != tries; {
				n = tries
				tries = 0
				for _, k := range kids {
					k.flush()
					tries += len(k.seen)
				}
			}
			if c.String() != tc.want || tries != tc.tries {
				t.Errorf("reply %s after %d tries, want %s after %d", c, tries, tc.want, tc.tries)
			}
			first := hashfunc.Ch3([]byte("user:12345:profile"), 3)
			if len(kids[first].seen) != 1 {
				t.Errorf("Ch3 child %d not tried first", first)
			}
		})
	}
}

// Reported loads become WeightedCh3 weights until load_ttl_ms passes;
// two-random-choices takes the less loaded of two.
func TestLoadBalancerLoads(t *testing.T) {
	a, b := fake("a", mc.ResFound), fake("b", mc.ResFound)
	r := lbRoute(t, `{"load_ttl_ms": 10, "salt": "s"}`, a, b)
	var now int64
	r.now = func(*Ctx) int64 { return now }
	ctx := testCtx()
	r.recordLoad(ctx, 0, 1) // a full: weight 0
	for i := 0; i < 50; i++ {
		r.Route(ctx, req("get", fmt.Sprint("k", i)), &capture{})
	}
	// WeightedCh3 may still land on a zero-weight child after its retries
	// run out, but far less often.
	if len(a.seen) > 5 {
		t.Errorf("loaded child got %d of 50", len(a.seen))
	}
	now = 11e6 // the load expired
	a.seen, b.seen = nil, nil
	for i := 0; i < 50; i++ {
		r.Route(ctx, req("get", fmt.Sprint("k", i)), &capture{})
	}
	if len(a.seen) < 10 {
		t.Errorf("after expiry the child got %d of 50", len(a.seen))
	}

	a, b = fake("a", mc.ResFound), fake("b", mc.ResFound)
	r = lbRoute(t, `{"algorithm": "two-random-choices"}`, a, b)
	r.now = func(*Ctx) int64 { return 0 }
	if r.Name() != "loadbalancer|two-random-choices" {
		t.Errorf("name %q", r.Name())
	}
	r.recordLoad(ctx, 1, 0.9)
	for i := 0; i < 20; i++ {
		r.Route(ctx, req("get", "k"), &capture{})
	}
	if len(b.seen) != 0 || len(a.seen) != 20 {
		t.Errorf("two choices of two: a %d, b %d", len(a.seen), len(b.seen))
	}
	if got := buildErr(t, `{"route": {"type": "LoadBalancerRoute", "children": ["NullRoute", "NullRoute"], "algorithm": "round-robin"}}`); got == "" {
		t.Error("bad algorithm accepted")
	}
	if h := built(t, `{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": {"type": "HashRoute", "children": "Pool|A", "hash_func": "LoadBalancer"}}`); h.Name() != "loadbalancer|weighted-hashing" {
		t.Errorf("hash_func LoadBalancer built %q", h.Name())
	}
}
