package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestKeyParseRoutePrefix(t *testing.T) {
	for _, tc := range []struct {
		parts      int
		delim, key string
		want       string
	}{
		{1, ":", "a:b:c", "a:"},
		{2, ":", "a:b:c", "a:b:"},
		{3, ":", "a:b:c", "a:b:c"}, // fewer delimiters: the whole routing key
		{1, ":", "abc", "abc"},
		{1, "-", "/r/c/x-y", "x-"},      // routing prefix stripped first
		{2, ":", "a:b:c|#|d:e", "a:b:"}, // hash stop cut first
		{3, ":", "a:b|#|c:d", "a:b"},
		{1, ":", ":x", ":"},
	} {
		r := &keyParseRoute{parts: tc.parts, delim: tc.delim[0]}
		if got := string(r.prefix([]byte(tc.key))); got != tc.want {
			t.Errorf("%d %q %q: %q, want %q", tc.parts, tc.delim, tc.key, got, tc.want)
		}
	}
}

func TestKeyParseRoute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		child *fakeRoute
		want  string
	}{
		{"hit", fake("c", mc.ResFound, "v"), "mc_res_found=v"},
		{"miss", fake("c", mc.ResNotFound), "mc_res_notfound"},
		{"error", fake("c", mc.ResTimeout, "Reply timeout"), "mc_res_timeout(Reply timeout)"},
		{"slow", &fakeRoute{name: "c", res: mc.ResFound, val: "late", deferred: true}, "mc_res_found=late"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &rkFake{fakeRoute: tc.child}
			h := mustBuildNamed(t, "KeyParseRoute", `{"target":"T","num_routing_parts":2,"delimiter":":"}`, map[string]Handle{"T": f})
			if h.Name() != "key_parse|delimiter=:|num_routing_parts=2" {
				t.Errorf("name %q", h.Name())
			}
			cb := &capture{}
			r := req("get", "/a/b/u:1:name")
			h.Route(testCtx(), r, cb)
			tc.child.flush()
			if cb.String() != tc.want {
				t.Errorf("got %s, want %s", cb, tc.want)
			}
			if len(f.rks) != 1 || f.rks[0] != "u:1:" || f.seen[0] != "get /a/b/u:1:name" {
				t.Errorf("child saw routing key %q, request %q", f.rks, f.seen)
			}
			if r.RoutingKey != nil {
				t.Error("the caller's request was changed")
			}
		})
	}
}

// TestKeyParseRouteHash: HashRoute under KeyParseRoute hashes the parsed
// routing key, so keys sharing it go to one child.
func TestKeyParseRouteHash(t *testing.T) {
	kids := map[string]Handle{}
	var fakes []*fakeRoute
	for _, n := range []string{"A", "B", "C", "D", "E"} {
		f := fake(n, mc.ResFound, n)
		fakes = append(fakes, f)
		kids[n] = f
	}
	hash := mustBuildNamed(t, "HashRoute", `{"children":["A","B","C","D","E"]}`, kids)
	h := mustBuildNamed(t, "KeyParseRoute", `{"target":"H","num_routing_parts":1,"delimiter":"."}`, map[string]Handle{"H": hash})
	want := hash.(*hashRoute).fn.Index([]byte("user."))
	for _, k := range []string{"user.1", "user.2", "user.3", "user.abc", "user."} {
		cb := &capture{}
		h.Route(testCtx(), req("get", k), cb)
		if cb.String() != "mc_res_found="+fakes[want].name {
			t.Errorf("%s went to %s, want %s", k, cb, fakes[want].name)
		}
		p := path(h, req("get", k))
		if len(p) != 3 || p[2] != fakes[want].name {
			t.Errorf("%s traverses %v", k, p)
		}
	}
}

func TestKeyParseRouteBuildErrors(t *testing.T) {
	named := map[string]Handle{"T": fake("t", mc.ResFound)}
	for _, tc := range []struct{ cfg, want string }{
		{`"T"`, "KeyParseRoute is not an object"},
		{`{"num_routing_parts":1,"delimiter":":"}`, "Missing target parameter"},
		{`{"target":"T","delimiter":":"}`, "missing num_routing_parts parameter"},
		{`{"target":"T","num_routing_parts":0,"delimiter":":"}`, "num_routing_parts must be an integer >= 1"},
		{`{"target":"T","num_routing_parts":1}`, "missing single char delimiter"},
		{`{"target":"T","num_routing_parts":1,"delimiter":"::"}`, "t.json:1: KeyParseRoute: missing single char delimiter"},
	} {
		_, err := buildNamedWith(t, "KeyParseRoute", tc.cfg, named)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
