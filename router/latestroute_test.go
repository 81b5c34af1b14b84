package router

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
)

func latestOnes(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

func TestLatestOrder(t *testing.T) {
	const hostid = 0x0a000001
	order := latestOrder(latestOnes(8), 5, hostid, "")
	// The first pick spelled out: WeightedCh3 (all weights 1: Ch3) of the
	// decimal hash_combine(0, hostid).
	k0 := hashfunc.Hash128to64(0, hostid)
	if first := hashfunc.Ch3([]byte(strconv.FormatUint(k0, 10)), 8); order[0] != first {
		t.Errorf("first pick %d, want %d", order[0], first)
	}
	// Regression: the order this implementation gives for that host.
	if fmt.Sprint(order) != "[6 3 1 7 4]" {
		t.Errorf("order %v", order)
	}
	if len(order) != 5 || len(slices.Compact(slices.Sorted(slices.Values(order)))) != 5 {
		t.Errorf("picks not distinct: %v", order)
	}
	if again := latestOrder(latestOnes(8), 5, hostid, ""); !slices.Equal(again, order) {
		t.Errorf("same host, different order: %v, %v", order, again)
	}
	if salted := latestOrder(latestOnes(8), 5, hostid, "s"); slices.Equal(salted, order) {
		t.Errorf("salt changed nothing: %v", salted)
	}
	if all := latestOrder(latestOnes(3), 5, hostid, ""); len(all) != 3 {
		t.Errorf("3 children, 5 wanted: %v", all)
	}
	// Children with weight 0 are not picked while others remain.
	w := []float64{0, 1, 0, 1, 0, 1}
	for h := uint32(0); h < 50; h++ {
		for _, i := range latestOrder(w, 3, h, "") {
			if w[i] == 0 {
				t.Fatalf("host %d picked weight-0 child %d", h, i)
			}
		}
	}
	// Different hosts spread their first pick.
	seen := map[int]bool{}
	for h := uint32(0); h < 100; h++ {
		seen[latestOrder(latestOnes(8), 1, h, "")[0]] = true
	}
	if len(seen) < 6 {
		t.Errorf("100 hosts use only %d of 8 children first", len(seen))
	}
}

func TestLatestRoute(t *testing.T) {
	defer func(f func() uint32) { latestHostID = f }(latestHostID)
	latestHostID = func() uint32 { return 0x0a000001 }
	named := map[string]Handle{}
	var fs []*fakeRoute
	var list []string
	for i := range 8 {
		res := mc.ResTimeout
		if i == 3 { // the second pick (order [6 3 1 ...]) answers
			res = mc.ResFound
		}
		f := fake(fmt.Sprint("c", i), res, fmt.Sprint("c", i))
		fs = append(fs, f)
		named[f.name] = f
		list = append(list, `"`+f.name+`"`)
	}
	v, err := jsonm.Parse("t.json", []byte(`{"children":[`+strings.Join(list, ",")+`],"failover_count":3}`))
	if err != nil {
		t.Fatal(err)
	}
	h, err := newLatestRoute(&builder{named: named}, v, v)
	if err != nil {
		t.Fatal(err)
	}
	cb := &capture{}
	h.Route(testCtx(), req("get", "k"), cb)
	if cb.String() != "mc_res_found=c3" || seenBy(fs) != "c3:get k,c6:get k" {
		t.Errorf("reply %s, children %s", cb, seenBy(fs))
	}
	if len(h.Children()) != 3 {
		t.Errorf("%d children", len(h.Children()))
	}
}

func TestLatestRouteBuild(t *testing.T) {
	defer func(f func() uint32) { latestHostID = f }(latestHostID)
	latestHostID = func() uint32 { return 0x0a000001 }
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2","127.0.0.1:3","127.0.0.1:4","127.0.0.1:5","127.0.0.1:6","127.0.0.1:7","127.0.0.1:8"]},"B":{"servers":["127.0.0.1:9"]}},`
	for _, tc := range []struct {
		route, want string
		n           int
	}{
		{`"LatestRoute|Pool|A"`, "failover", 5},
		{`{"type":"LatestRoute","children":"Pool|A","failover_count":2,"weights":[1,1,1,1,1,1,1,1],"salt":"x"}`, "failover", 2},
		{`{"type":"LatestRoute","children":"Pool|A","failover_count":1}`, "", 0},
		{`{"type":"LatestRoute","children":"Pool|B"}`, builtName(t, pools, `"Pool|B"`), 0},
		{`{"type":"LatestRoute","children":[]}`, "null", 0},
		{`{"type":"LatestRoute","children":"Pool|A","failover_count":0}`, "null", 0},
	} {
		got := builtName(t, pools, tc.route)
		if tc.want == "" {
			if !strings.Contains(got, "|pool=A") {
				t.Errorf("%s: built %s, want one server of A", tc.route, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.route, got, tc.want)
		}
		if tc.n > 0 {
			cfg, _ := Build("", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
			if n := len(cfg.Root.(*rootRoute).def.Children()); n != tc.n {
				t.Errorf("%s: %d children, want %d", tc.route, n, tc.n)
			}
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`{"type":"LatestRoute","children":"Pool|A","failover_count":"5"}`, "LatestRoute: failover_count is not an integer"},
		{`{"type":"LatestRoute","children":"Pool|A","salt":5}`, "LatestRoute: salt is not a string"},
		{`{"type":"LatestRoute","children":"Pool|A","weights":[2]}`, "LatestRoute: weight must be a number in range [0, 1.0]"},
		{`{"type":"LatestRoute","children":"Pool|A","weights":1}`, "LatestRoute: weights is not an array"},
		{`{"type":"LatestRoute","children":"Pool|A","failover_errors":7}`, "LatestRoute: failover_errors must be either an array or an object"},
	} {
		_, err := Build("f.json", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") {
			t.Errorf("%s: error %v, want f.json:1: ... %q", tc.route, err, tc.want)
		}
	}
}
