package router

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
	"mcroute/router/jsonm"
	"mcroute/upstream"
	"mcroute/upstream/upstreamtest"
)

// buildList builds cfg (a route, or a list) with fake handles by name.
func buildList(t *testing.T, cfg string, named map[string]Handle, opts Options) ([]Handle, *builder) {
	t.Helper()
	v, err := jsonm.Parse("test.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{file: "test.json", named: named, opts: opts}
	hs, err := b.list(v)
	if err != nil {
		t.Fatalf("%s: %v", cfg, err)
	}
	return hs, b
}

// shadowRecorder is a child that records whether the requests it got were
// shadow copies.
type shadowRecorder struct {
	fakeRoute
	shadows []bool
}

func (s *shadowRecorder) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	s.shadows = append(s.shadows, req.Shadow)
	s.fakeRoute.Route(ctx, req, cb)
}

// The client gets the normal child's reply, whatever the shadow answers
// and whenever; the shadow gets a copy marked Shadow.
func TestShadowRouteReplyUnaffected(t *testing.T) {
	for _, tc := range []struct {
		name           string
		normal, shadow mc.Result
		slowNormal     bool
		slowShadow     bool
		want           string
	}{
		{"hit, shadow error", mc.ResFound, mc.ResRemoteError, false, false, "mc_res_found=v"},
		{"miss, shadow hit", mc.ResNotFound, mc.ResFound, false, false, "mc_res_notfound"},
		{"error, shadow ok", mc.ResTimeout, mc.ResFound, false, false, "mc_res_timeout(n)"},
		{"shadow slow", mc.ResFound, mc.ResFound, false, true, "mc_res_found=v"},
		{"normal slow, shadow fast", mc.ResFound, mc.ResConnectError, true, false, "mc_res_found=v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &shadowRecorder{fakeRoute: fakeRoute{name: "N", res: tc.normal, deferred: tc.slowNormal}}
			if tc.normal.IsError() {
				n.msg = "n"
			} else if tc.normal == mc.ResFound {
				n.val = "v"
			}
			s := &shadowRecorder{fakeRoute: fakeRoute{name: "S", res: tc.shadow, val: "shadowvalue", deferred: tc.slowShadow}}
			hs, _ := buildList(t, `{"type": "ShadowRoute", "children": ["N"], "shadows": [{"target": "S", "index_range": [0, 1], "key_fraction_range": [0, 1]}]}`,
				map[string]Handle{"N": n, "S": s}, Options{})
			if len(hs) != 1 || hs[0].Name() != "shadow" {
				t.Fatalf("built %v", hs)
			}
			ctx := testCtx()
			c := &capture{}
			r := req("get", "/a/b/k1")
			hs[0].Route(ctx, r, c)
			if tc.slowNormal {
				if c.String() != "" {
					t.Fatalf("answered before the normal child: %s", c)
				}
				n.flush()
			}
			if c.String() != tc.want {
				t.Errorf("reply %s, want %s", c, tc.want)
			}
			scribble(r)
			s.flush()
			if len(c.got) != 1 {
				t.Errorf("replies %v", c.got)
			}
			if len(n.seen) != 1 || n.seen[0] != "get /a/b/k1" || n.shadows[0] {
				t.Errorf("normal saw %v shadow=%v", n.seen, n.shadows)
			}
			if len(s.seen) != 1 || s.seen[0] != "get /a/b/k1" || !s.shadows[0] {
				t.Errorf("shadow saw %v shadow=%v", s.seen, s.shadows)
			}
			if free[shadowFan](ctx, shadowFanKind) != 1 {
				t.Errorf("shadow state not released")
			}
		})
	}
}

// A shadow whose reply comes after the client's request was recycled
// still sends the original key and value.
func TestShadowCopiesRequest(t *testing.T) {
	s := &lateRoute{name: "S", res: mc.ResStored}
	n := fake("N", mc.ResStored)
	hs, _ := buildList(t, `{"type": "ShadowRoute", "children": "N", "shadows": [{"target": "S", "index_range": [0, 1], "key_fraction_range": [0, 1]}]}`,
		map[string]Handle{"N": n, "S": s}, Options{})
	r := setReq("key", "value")
	c := &capture{}
	hs[0].Route(testCtx(), r, c)
	scribble(r)
	s.flush()
	if c.String() != "mc_res_stored" || len(s.seen) != 1 || s.seen[0] != "set key=value" {
		t.Fatalf("reply %s, shadow saw %v", c, s.seen)
	}
}

type fractionVectors struct {
	Cases []struct {
		Prefix string
		Range  [2]float64
		In     []int
	}
	Hashes map[string]uint32
}

func loadFractionVectors(t *testing.T) fractionVectors {
	t.Helper()
	b, err := os.ReadFile("../testdata/vectors/shadow_key_fractions.json")
	if err != nil {
		t.Fatal(err)
	}
	var v fractionVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// key_fraction_range selects keys by SpookyHash32 of the routing key as
// mcrouter's test_shadow.py expects.
func TestShadowKeyFractionVectors(t *testing.T) {
	v := loadFractionVectors(t)
	for k, want := range v.Hashes {
		if got := hashfunc.SpookyHash32([]byte(k), 0); got != want {
			t.Errorf("SpookyHash32(%q) = %d, want %d", k, got, want)
		}
	}
	for _, c := range v.Cases {
		n := &shadowRecorder{fakeRoute: fakeRoute{name: "N", res: mc.ResNotFound}}
		s := &shadowRecorder{fakeRoute: fakeRoute{name: "S", res: mc.ResNotFound}}
		cfg := fmt.Sprintf(`{"type": "ShadowRoute", "children": ["N"], "shadows": [{"target": "S", "index_range": [0, 1], "key_fraction_range": [%v, %v]}]}`, c.Range[0], c.Range[1])
		hs, _ := buildList(t, cfg, map[string]Handle{"N": n, "S": s}, Options{})
		ctx := testCtx()
		var got []int
		for i := 0; i < 100; i++ {
			before := len(s.seen)
			// The routing prefix and the part after |#| are not hashed.
			hs[0].Route(ctx, req("get", fmt.Sprintf("/r/c/%s%d|#|x", c.Prefix, i)), &capture{})
			if len(s.seen) > before {
				got = append(got, i)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.In) {
			t.Errorf("%s %v: shadowed %v, want %v", c.Prefix, c.Range, got, c.In)
		}
	}
}

// index_range picks children; keys_to_shadow picks keys on every child;
// requests_fraction 0 shadows nothing; a bad shadow is dropped with a
// warning.
func TestShadowSelection(t *testing.T) {
	for _, tc := range []struct {
		name, shadows string
		key           string
		want          [3]int // shadow copies per child index
		warn          string
	}{
		{"index_range", `[{"target": "S", "index_range": [1, 3], "key_fraction_range": [0, 1]}]`, "k", [3]int{0, 1, 1}, ""},
		{"default range is none", `[{"target": "S", "key_fraction_range": [0, 1]}]`, "k", [3]int{}, ""},
		{"keys_to_shadow hit", `[{"target": "S", "keys_to_shadow": ["a", "k", "z"]}]`, "/x/y/k|#|1", [3]int{1, 1, 1}, ""},
		{"keys_to_shadow miss", `[{"target": "S", "keys_to_shadow": ["a", "z"]}]`, "k", [3]int{}, ""},
		{"requests_fraction 0", `[{"target": "S", "index_range": [0, 3], "key_fraction_range": [0, 1], "requests_fraction": 0}]`, "k", [3]int{}, ""},
		{"no target", `[{"index_range": [0, 3]}, {"target": "S", "index_range": [2, 3], "key_fraction_range": [0, 1]}]`, "k", [3]int{0, 0, 1}, "test.json:1: ShadowRoute: shadow has no target; this shadow is ignored"},
		{"bad fraction", `[{"target": "S", "index_range": [0, 3], "key_fraction_range": [0.5, 0.2]}]`, "k", [3]int{}, "key_fraction_range"},
		{"keys with range", `[{"target": "S", "keys_to_shadow": ["k"], "index_range": [0, 1]}]`, "k", [3]int{}, "cannot be combined"},
		{"two shadows", `[{"target": "S", "index_range": [0, 1], "key_fraction_range": [0, 1]}, {"target": "S", "index_range": [0, 2], "key_fraction_range": [0, 1]}]`, "k", [3]int{2, 1, 0}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fake("S", mc.ResFound, "x")
			named := map[string]Handle{"S": s, "A": fake("A", mc.ResNotFound), "B": fake("B", mc.ResNotFound), "C": fake("C", mc.ResNotFound)}
			hs, b := buildList(t, `{"type": "ShadowRoute", "children": ["A", "B", "C"], "shadows": `+tc.shadows+`}`, named, Options{})
			if len(hs) != 3 {
				t.Fatalf("built %d handles", len(hs))
			}
			var got [3]int
			for i, h := range hs {
				before := len(s.seen)
				c := &capture{}
				h.Route(testCtx(), req("get", tc.key), c)
				got[i] = len(s.seen) - before
				if c.String() != "mc_res_notfound" {
					t.Errorf("child %d answered %s", i, c)
				}
			}
			if got != tc.want {
				t.Errorf("copies %v, want %v", got, tc.want)
			}
			w := strings.Join(b.warnings, "\n")
			if tc.warn == "" && w != "" || !strings.Contains(w, tc.warn) {
				t.Errorf("warnings %q, want %q", w, tc.warn)
			}
		})
	}
}

// key_fraction_range_rv follows the runtime-vars file, in both of its
// forms, and falls back to key_fraction_range without the variable.
func TestShadowRuntimeVars(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rv.json")
	rv := NewRuntimeVars(path)
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := rv.Load(); err != nil {
			t.Fatal(err)
		}
	}
	write(`{}`)
	s := fake("S", mc.ResFound, "x")
	hs, _ := buildList(t, `{"type": "ShadowRoute", "children": ["N"], "shadows": [{"target": "S", "index_range": [0, 1], "key_fraction_range": [0, 0.1], "key_fraction_range_rv": "key_fraction_range_foo"}]}`,
		map[string]Handle{"N": fake("N", mc.ResNotFound), "S": s}, Options{RuntimeVars: rv})
	shadowed := func() []int {
		s.seen = nil
		var got []int
		for i := 0; i < 100; i++ {
			before := len(s.seen)
			hs[0].Route(testCtx(), req("get", fmt.Sprintf("f%d", i)), &capture{})
			if len(s.seen) > before {
				got = append(got, i)
			}
		}
		return got
	}
	v := loadFractionVectors(t)
	low, mid := fmt.Sprint(v.Cases[0].In), fmt.Sprint(v.Cases[5].In)
	if got := fmt.Sprint(shadowed()); got != low {
		t.Errorf("without the variable: %s, want the configured range's %s", got, low)
	}
	write(`{"key_fraction_range_foo": [0.4, 0.5]}`)
	if got := fmt.Sprint(shadowed()); got != mid {
		t.Errorf("[0.4, 0.5]: %s, want %s", got, mid)
	}
	write(`{"key_fractions": {"foo": 0.1}}`)
	if got := fmt.Sprint(shadowed()); got != low {
		t.Errorf("key_fractions foo 0.1: %s, want %s", got, low)
	}
	write(`{"key_fraction_range_foo": [0, 0]}`)
	if got := shadowed(); len(got) != 0 {
		t.Errorf("[0, 0]: %v", got)
	}
	// A bad file keeps the values in force.
	if err := os.WriteFile(path, []byte(`{`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rv.Load(); err == nil {
		t.Error("bad JSON loaded")
	}
	if got := shadowed(); len(got) != 0 {
		t.Errorf("after a bad file: %v", got)
	}
}

// Shadow requests past --target-max-shadow-requests pending on a server
// are dropped; answered ones make room again. Normal requests are never
// capped.
func TestShadowCapPerDestination(t *testing.T) {
	c, err := Build("", []byte(`{"pools": {"B": {"servers": ["127.0.0.1:21999"]}}, "route": "PoolRoute|B"}`),
		Options{ServerTimeout: time.Second, TargetMaxShadowRequests: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewCtx(upstream.NewLoop(nil, upstream.Options{}), c)
	f := &upstreamtest.FakeConn{}
	ctx.Conn(0).Attach(f)
	dest := c.Root.(*rootRoute).def
	var caps []*capture
	send := func(shadow bool) *capture {
		r := req("get", "k")
		r.Shadow = shadow
		cc := &capture{}
		dest.Route(ctx, r, cc)
		caps = append(caps, cc)
		return cc
	}
	send(true)
	send(true)
	if got := send(true).String(); !strings.HasPrefix(got, "mc_res_local_error(shadow request dropped") {
		t.Errorf("third shadow: %q, want dropped", got)
	}
	if got := send(false).String(); got != "" {
		t.Errorf("normal request answered at once: %q", got)
	}
	ctx.Up.Flush()
	// The three gets left as one "get k k k": one END answers them.
	f.In.WriteString("END\r\n")
	ctx.Conn(0).OnTraffic(f)
	if !ctx.Conn(0).Up() {
		t.Fatal("connection dropped")
	}
	for i, cc := range caps {
		if cc.String() == "" {
			t.Errorf("request %d unanswered", i)
		}
	}
	if got := send(true).String(); got != "" {
		t.Errorf("shadow after replies: %q, want sent", got)
	}
}

func mustParse(t *testing.T, s string) *jsonm.Value {
	t.Helper()
	v, err := jsonm.Parse("t.json", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testdata/shadowing.json builds with every issue-11 handle in it.
func TestShadowingTestdataConfig(t *testing.T) {
	text, err := os.ReadFile("../testdata/shadowing.json")
	if err != nil {
		t.Fatal(err)
	}
	rv := NewRuntimeVars("../testdata/runtime-vars/shadowing.json")
	if _, err := rv.Load(); err != nil {
		t.Fatal(err)
	}
	c, err := Build("../testdata/shadowing.json", text, Options{RuntimeVars: rv})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	names := map[string]bool{}
	var walk func(h Handle)
	walk = func(h Handle) {
		n := h.Name()
		if i := strings.IndexByte(n, '|'); i >= 0 && !strings.HasPrefix(n, "outstanding-limit") {
			n = n[:i]
		}
		names[n] = true
		for _, ch := range h.Children() {
			walk(ch)
		}
	}
	walk(c.Root)
	for _, want := range []string{"shadow", "shard-split", "outstanding-limit|limit=200", "slow-warmup", "keysplit", "staging", "loadbalancer"} {
		if !names[want] {
			t.Errorf("no %s handle in %v", want, names)
		}
	}
}
