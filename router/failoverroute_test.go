package router

import (
	"fmt"
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

// buildWith runs a route builder function over hand-made children with the
// JSON config cfg ("" for none).
func buildWith(t *testing.T, cfg string, f func(b *builder, v *jsonm.Value) (Handle, error)) (Handle, error) {
	t.Helper()
	var v *jsonm.Value
	if cfg != "" {
		var err error
		if v, err = jsonm.Parse("test.json", []byte(cfg)); err != nil {
			t.Fatal(err)
		}
	}
	return f(&builder{file: "test.json"}, v)
}

func mustFailover(t *testing.T, cfg string, hs ...*fakeRoute) Handle {
	t.Helper()
	h, err := buildWith(t, cfg, func(b *builder, v *jsonm.Value) (Handle, error) {
		return b.failover("FailoverRoute", v, fakeHandles(hs))
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func fakeHandles(fs []*fakeRoute) []Handle {
	hs := make([]Handle, len(fs))
	for i, f := range fs {
		hs[i] = f
	}
	return hs
}

// seenBy says which children got a request: "a:get k,b:get k".
func seenBy(fs []*fakeRoute) string {
	var out []string
	for _, f := range fs {
		for _, s := range f.seen {
			out = append(out, f.name+":"+s)
		}
	}
	return strings.Join(out, ",")
}

func TestFailoverRoute(t *testing.T) {
	const (
		hit   = mc.ResFound
		miss  = mc.ResNotFound
		tmo   = mc.ResTimeout
		busy  = mc.ResBusy
		tko   = mc.ResTko
		cerr  = mc.ResConnectError
		again = mc.ResTryAgain
	)
	cases := []struct {
		name     string
		cfg      string
		results  []mc.Result
		op, key  string
		deferred bool
		want     string // reply
		seen     string // children that got the request, in order
	}{
		{"first answers", "", []mc.Result{hit, hit}, "get", "k", false, "mc_res_found=a", "a:get k"},
		{"miss is not a failover error", "", []mc.Result{miss, hit}, "get", "k", false, "mc_res_notfound=a", "a:get k"},
		{"timeout fails over", "", []mc.Result{tmo, hit, hit}, "get", "k", false, "mc_res_found=b", "a:get k,b:get k"},
		{"all fail: last reply", "", []mc.Result{tmo, busy, mc.ResRemoteError}, "set", "k", false, "mc_res_remote_error(c)", "a:set k,b:set k,c:set k"},
		{"client error is not a failover error", "", []mc.Result{mc.ResClientError, hit}, "get", "k", false, "mc_res_client_error(a)", "a:get k"},
		{"slow children answer later", "", []mc.Result{tmo, tmo, hit}, "delete", "k", true, "mc_res_found=c", "a:delete k,b:delete k,c:delete k"},
		{"failover_errors list", `{"failover_errors": ["timeout"]}`, []mc.Result{busy, hit}, "get", "k", false, "mc_res_busy(a)", "a:get k"},
		{"failover_errors list matches", `{"failover_errors": ["busy"]}`, []mc.Result{busy, hit}, "set", "k", false, "mc_res_found=b", "a:set k,b:set k"},
		{"other ops use the default set", `{"failover_errors": ["busy"]}`, []mc.Result{tmo, hit}, "incr", "k", false, "mc_res_found=b", "a:incr k,b:incr k"},
		{"empty class never fails over", `{"failover_errors": {"gets": []}}`, []mc.Result{tmo, hit}, "get", "k", false, "mc_res_timeout(a)", "a:get k"},
		{"missing class keeps the default", `{"failover_errors": {"gets": []}}`, []mc.Result{tmo, hit}, "set", "k", false, "mc_res_found=b", "a:set k,b:set k"},
		{"deletes class", `{"failover_errors": {"deletes": ["remote_error"]}}`, []mc.Result{mc.ResRemoteError, hit}, "delete", "k", false, "mc_res_found=b", "a:delete k,b:delete k"},
		{"failover_tag on a hash-stop key", `{"failover_tag": true}`, []mc.Result{tmo, tmo, hit}, "get", "k|#|x", false, "mc_res_found=c", "a:get k|#|x,b:get k|#|x:failover=1,c:get k|#|x:failover=1"},
		{"failover_tag without hash stop", `{"failover_tag": true}`, []mc.Result{tmo, hit}, "get", "/a/b/k", false, "mc_res_found=b", "a:get /a/b/k,b:get /a/b/k"},
		{"unknown policy is in order", `{"failover_policy": {"type": "SomethingElse", "max_tries": 1}}`, []mc.Result{tmo, tmo, hit}, "get", "k", false, "mc_res_found=c", "a:get k,b:get k,c:get k"},
		{"least failures: max_tries", `{"failover_policy": {"type": "LeastFailuresPolicy", "max_tries": 2}}`, []mc.Result{tmo, tmo, hit}, "get", "k", false, "mc_res_timeout(b)", "a:get k,b:get k"},
		// mcrouter's FailoverRouteTest deterministicOrderTimeout / Tko /
		// ignoreTkoAndHardTko / ignoreTkoHardTkoAndTryAgain.
		{"deterministic: max_error_tries", `{"failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 4, "max_error_tries": 2}}`, []mc.Result{tmo, tmo, tmo, tmo}, "get", "0", false, "", "2 children"},
		{"deterministic: TKO is not a try", `{"failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 4, "max_error_tries": 2}}`, []mc.Result{tko, tko, tko, tko, tko}, "get", "0", false, "", "4 children"},
		{"deterministic: hard TKO is not a try", `{"failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 3, "max_error_tries": 2}}`, []mc.Result{tko, cerr, tko, cerr}, "get", "0", false, "", "3 children"},
		{"deterministic: exclude_errors", `{"failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 5, "max_error_tries": 2, "exclude_errors": ["try_again"]}}`, []mc.Result{again, tmo, tko, cerr, again}, "get", "0", false, "", "5 children"},
		{"rate 0: never fail over", `{"failover_limit": {"rate": 0}}`, []mc.Result{tmo, hit}, "get", "k", false, "mc_res_timeout(a)", "a:get k"},
		{"TKO is not rate limited", `{"failover_limit": {"rate": 0}}`, []mc.Result{tko, hit}, "get", "k", false, "mc_res_found=b", "a:get k,b:get k"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var fs []*fakeRoute
			for i, res := range tc.results {
				name := string(rune('a' + i))
				f := fake(name, res, name)
				f.deferred = tc.deferred
				fs = append(fs, f)
			}
			h := mustFailover(t, tc.cfg, fs...)
			cb := &capture{}
			h.Route(testCtx(), req(tc.op, tc.key), cb)
			for tc.deferred && len(cb.got) == 0 {
				flushed := false
				for _, f := range fs {
					if len(f.queue) > 0 {
						f.flush()
						flushed = true
					}
				}
				if !flushed {
					t.Fatal("no reply and nothing in flight")
				}
			}
			if len(cb.got) != 1 {
				t.Fatalf("%d replies: %v", len(cb.got), cb.got)
			}
			if tc.want != "" && cb.String() != tc.want {
				t.Errorf("reply %s, want %s", cb, tc.want)
			}
			if n, ok := strings.CutSuffix(tc.seen, " children"); ok {
				reached := 0
				for _, f := range fs {
					if len(f.seen) > 1 {
						t.Errorf("child %s tried twice", f.name)
					}
					if len(f.seen) > 0 {
						reached++
					}
				}
				if fmt.Sprint(reached) != n {
					t.Errorf("reached %d children (%s), want %s", reached, seenBy(fs), n)
				}
				return
			}
			if got := seenBy(fs); got != tc.seen {
				t.Errorf("children saw %s, want %s", got, tc.seen)
			}
		})
	}
}

// TestFailoverLeastFailures replays mcrouter's leastFailuresCycle and
// leastFailuresLastSucceeds: the failover child is the one with the fewest
// consecutive errors (ties: index order), and the counts live per loop.
func TestFailoverLeastFailures(t *testing.T) {
	for _, tc := range []struct {
		results []mc.Result
		want    string // replies of successive requests
	}{
		{[]mc.Result{mc.ResTimeout, mc.ResTimeout, mc.ResTimeout, mc.ResTimeout}, "b c d b c d"},
		{[]mc.Result{mc.ResTimeout, mc.ResTimeout, mc.ResTimeout, mc.ResFound}, "b c d d d d"},
	} {
		var fs []*fakeRoute
		for i, res := range tc.results {
			name := string(rune('a' + i))
			fs = append(fs, fake(name, res, name))
		}
		h := mustFailover(t, `{"failover_policy": {"type": "LeastFailuresPolicy", "max_tries": 2}}`, fs...)
		ctx := testCtx()
		var got []string
		for range 6 {
			cb := &capture{}
			h.Route(ctx, req("get", "0"), cb)
			s := cb.String()
			got = append(got, s[strings.IndexAny(s, "=(")+1:][:1])
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%v: replies %v, want %s", tc.results, got, tc.want)
		}
		// Another loop has its own counts: it starts over with b.
		cb := &capture{}
		h.Route(testCtx(), req("get", "0"), cb)
		if !strings.Contains(cb.String(), "b") {
			t.Errorf("fresh loop answered %s, want b", cb)
		}
	}
}

// callRec is a fake child that also logs its index in a shared call list.
type callRec struct {
	*fakeRoute
	i     int
	calls *[]int
}

func (c *callRec) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	*c.calls = append(*c.calls, c.i)
	c.fakeRoute.Route(ctx, req, cb)
}

// TestFailoverDeterministicOrder: the failover children of
// [PoolRoute, Pool...] are Ch3 over all children of routing key + salt
// 2, 3, …, never child 0 nor the mirror of the server the pool picked,
// never twice (mcrouter's deterministicOrderNoDoubleShot, plus the order).
func TestFailoverDeterministicOrder(t *testing.T) {
	const n = 6 // servers
	var calls []int
	var servers []Handle
	for i := range n {
		servers = append(servers, &callRec{fake(fmt.Sprint("s", i), mc.ResTimeout), i, &calls})
	}
	fn, err := hashfunc.New("Ch3", n, hashfunc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool := &hashRoute{name: "pool", fn: fn, children: servers}
	children := append([]Handle{pool}, servers...)
	h, err := buildWith(t, `{"failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 6, "max_error_tries": 6}}`,
		func(b *builder, v *jsonm.Value) (Handle, error) { return b.failover("FailoverRoute", v, children) })
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"foo", "/r/c/bar|#|x", "user:1234"} {
		calls = calls[:0]
		cb := &capture{}
		h.Route(testCtx(), req("get", key), cb)
		if cb.String() != "mc_res_timeout" {
			t.Errorf("%s: reply %s", key, cb)
		}
		// Expected order, computed step by step as §2.3 words it.
		rk := string(RoutingKey([]byte(key)))
		sel := fn.Index([]byte(rk))
		used := map[int]bool{0: true, sel + 1: true}
		want := []int{sel}
		for salt := 2; len(want) < n; salt++ {
			idx := hashfunc.Ch3([]byte(rk+fmt.Sprint(salt)), n+1)
			if !used[idx] {
				used[idx] = true
				want = append(want, idx-1)
			}
		}
		if fmt.Sprint(calls) != fmt.Sprint(want) {
			t.Errorf("%s: servers called %v, want %v", key, calls, want)
		}
		// Traverse lists the same order.
		var names []string
		h.Traverse(req("get", key), 0, func(h Handle, depth int) {
			if depth == 1 {
				names = append(names, h.Name())
			}
		})
		wantNames := []string{"pool"}
		for _, i := range want[1:] {
			wantNames = append(wantNames, fmt.Sprint("s", i))
		}
		if strings.Join(names, " ") != strings.Join(wantNames, " ") {
			t.Errorf("%s: traverse %v, want %v", key, names, wantNames)
		}
	}
}

// TestFailoverLimit: the token bucket gains rate tokens per request (up to
// burst, starting full) and each failover spends one.
func TestFailoverLimit(t *testing.T) {
	a, b := fake("a", mc.ResTimeout), fake("b", mc.ResFound, "v")
	h := mustFailover(t, `{"failover_limit": {"rate": 0.5, "burst": 2}}`, a, b)
	ctx := testCtx()
	var got []string
	for range 8 {
		cb := &capture{}
		h.Route(ctx, req("get", "k"), cb)
		if cb.String() == "mc_res_found=v" {
			got = append(got, "F")
		} else {
			got = append(got, "-")
		}
	}
	if s := strings.Join(got, ""); s != "FFF-F-F-" {
		t.Errorf("failovers %s, want FFF-F-F-", s)
	}
}

// builtName builds route in a config with pools ("\"pools\":{...},") and
// returns the name of the handle it became.
func builtName(t *testing.T, pools, route string) string {
	t.Helper()
	cfg, err := Build("", []byte(`{`+pools+`"route":`+route+`}`), Options{})
	if err != nil {
		t.Fatalf("%s: %v", route, err)
	}
	return cfg.Root.(*rootRoute).def.Name()
}

func TestFailoverRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},"B":{"servers":["127.0.0.1:3"]}},`
	for _, tc := range []struct{ cfg, want string }{
		{`{` + pools + `"route":"FailoverRoute|Pool|A"}`, "failover"},
		{`{` + pools + `"route":{"type":"FailoverRoute","children":["PoolRoute|A","PoolRoute|B"]}}`, "failover"},
		{`{` + pools + `"route":{"type":"FailoverRoute","name":"x","children":["PoolRoute|A","PoolRoute|B"]}}`, "failover:x:failover_targets=2"},
		{`{` + pools + `"route":{"type":"FailoverRoute","children":"Pool|B"}}`, builtName(t, pools, `"Pool|B"`)},
		{`{"route":{"type":"FailoverRoute","children":[]}}`, "null"},
		{`{` + pools + `"route":{"type":"FailoverRoute","children":"Pool|A","failover_policy":{"type":"DeterministicOrderPolicy","max_tries":9,"max_error_tries":9,"hash":{"hash_func":"WeightedCh3","weights":[1,0.5]}}}}`, "failover"},
	} {
		cfg, err := Build("", []byte(tc.cfg), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg, err)
		}
		if got := cfg.Root.(*rootRoute).def.Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
}

func TestFailoverRouteConfigErrors(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]}},`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"FailoverRoute","children":"Pool|A","failover_errors":"timeout"}`, "failover_errors must be either an array or an object"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_errors":["found"]}`, "failover error 'found' is not a valid error type"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_errors":{"gets":[1]}}`, "failover_errors.gets: failover error is not a string"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_policy":"LeastFailuresPolicy"}`, "failover_policy is not an object"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_policy":{"max_tries":1}}`, "missing 'type' field"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_policy":{"type":"LeastFailuresPolicy"}}`, "LeastFailuresPolicy must specify 'max_tries' field"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_policy":{"type":"DeterministicOrderPolicy","max_tries":2}}`, "must specify 'max_error_tries' field"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_policy":{"type":"DeterministicOrderPolicy","max_tries":0,"max_error_tries":1}}`, "max_tries must be an integer"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_policy":{"type":"DeterministicOrderPolicy","max_tries":2,"max_error_tries":1,"hash":{"hash_func":"Crc32"}}}`, "Unknown hash function Crc32"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_limit":{"burst":3}}`, "failover_limit: rate not found"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_limit":{"rate":"x"}}`, "rate is not a number"},
		{`{"type":"FailoverRoute","children":"Pool|A","failover_tag":1}`, "failover_tag is not a boolean"},
		{`{"type":"FailoverRoute","children":"Pool|A","enable_lease_pairing":true}`, "name is required when lease pairing is enabled"},
	} {
		_, err := Build("f.json", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") || !strings.Contains(err.Error(), "FailoverRoute") {
			t.Errorf("%s: error %v, want one naming f.json:1, FailoverRoute and %q", tc.route, err, tc.want)
		}
	}
}
