package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// fakeRoot builds the root of cfg with fake handles available by name.
func fakeRoot(t *testing.T, cfg, def string, invalidToDefault bool, fakes ...*fakeRoute) *rootRoute {
	t.Helper()
	v, err := jsonm.Parse("t.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]Handle{}
	for _, f := range fakes {
		named[f.name] = f
	}
	b := &builder{file: "t.json", top: v, named: named, opts: Options{DefaultRoute: def, SendInvalidRouteToDefault: invalidToDefault}}
	h, err := b.buildRoot()
	if err != nil {
		t.Fatal(err)
	}
	return h.(*rootRoute)
}

const prefixConfig = `{"routes": [
  {"aliases": ["/a/a/"], "route": "A"},
  {"aliases": ["/a/b/"], "route": "B"},
  {"aliases": ["/b/a/"], "route": "C"},
  {"aliases": ["/b/fallback/"], "route": "D"},
  {"aliases": ["/c/c/", "/c/d/"], "route": "A"}
]}`

// TestRootRouteLookup: mcrouter-behaviour.md §1.6 rules 1–7, -R /a/a/.
func TestRootRouteLookup(t *testing.T) {
	cases := []struct {
		key     string
		invalid bool
		want    string // reply
		sent    string // what each fake saw, in fake order A B C D
	}{
		{"k", false, "mc_res_found=A", "A:get k"},
		{"/a/b", false, "mc_res_found=A", "A:get /a/b"},
		{"/a/a/k", false, "mc_res_found=A", "A:get /a/a/k"},
		{"/a/b/k", false, "mc_res_found=B", "B:get /a/b/k"},
		{"/b/zz/k", false, "mc_res_found=D", "D:get /b/zz/k"},
		{"/a/zz/k", false, "mc_res_local_error(RootRoute: No rh found)", ""},
		{"/x/y/k", false, "mc_res_local_error(RootRoute: No rh found)", ""},
		{"/x/y/k", true, "mc_res_found=A", "A:get /x/y/k"},
		{"/*/*/k", false, "mc_res_found=A", "A:get /*/*/k B:get /*/*/k C:get /*/*/k D:get /*/*/k"},
		{"/a/*/k", false, "mc_res_found=A", "A:get /a/*/k B:get /a/*/k"},
		{"/b/*/k", false, "mc_res_found=C", "C:get /b/*/k D:get /b/*/k"},
		{"/c/*/k", false, "mc_res_found=A", "A:get /c/*/k"},
		{"/z/*/k", false, "mc_res_local_error(RootRoute: No rh found)", ""},
		{"/z/*/k", true, "mc_res_found=A", "A:get /z/*/k"},
		{"/*/a/k", false, "mc_res_found=A", "A:get /*/a/k C:get /*/a/k"},
		{"/b*/*/k", false, "mc_res_found=C", "C:get /b*/*/k D:get /b*/*/k"},
		{"/*/fall*/k", false, "mc_res_found=D", "D:get /*/fall*/k"},
		{"/*/b*/k", false, "mc_res_found=B", "B:get /*/b*/k"},
		{"/q*/*/k", false, "mc_res_local_error(RootRoute: No rh found)", ""},
		{"/q*/*/k", true, "mc_res_found=A", "A:get /q*/*/k"},
	}
	for _, tc := range cases {
		fakes := []*fakeRoute{fake("A", mc.ResFound, "A"), fake("B", mc.ResFound, "B"), fake("C", mc.ResFound, "C"), fake("D", mc.ResFound, "D")}
		r := fakeRoot(t, prefixConfig, "/a/a/", tc.invalid, fakes...)
		cb := &capture{}
		r.Route(testCtx(), req("get", tc.key), cb)
		var sent []string
		for _, f := range fakes {
			for _, s := range f.seen {
				sent = append(sent, f.name+":"+s)
			}
		}
		if cb.String() != tc.want || strings.Join(sent, " ") != tc.sent {
			t.Errorf("%s (invalid→default %v): reply %s sent %q, want %s sent %q", tc.key, tc.invalid, cb, strings.Join(sent, " "), tc.want, tc.sent)
		}
	}
}

// reqRecorder records the request objects it is given.
type reqRecorder struct {
	*fakeRoute
	reqs []*mc.Request
}

func (r *reqRecorder) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	r.reqs = append(r.reqs, req)
	r.fakeRoute.Route(ctx, req, cb)
}

// TestRootRouteBroadcast: the first handle's reply answers, whatever the
// others do and whenever they answer; they get one copy of the request,
// released once the last has answered.
func TestRootRouteBroadcast(t *testing.T) {
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		a := &reqRecorder{fakeRoute: fake("A", mc.ResStored)}
		b := &reqRecorder{fakeRoute: fake("B", mc.ResTimeout, "slow")}
		c := &reqRecorder{fakeRoute: fake("C", mc.ResNotStored)}
		recs := []*reqRecorder{a, b, c}
		v, _ := jsonm.Parse("t.json", []byte(`{"routes": {"/a/a/": "A", "/b/b/": "B", "/c/c/": "C"}}`))
		bl := &builder{top: v, named: map[string]Handle{"A": a, "B": b, "C": c}, opts: Options{DefaultRoute: "/a/a/"}}
		h, err := bl.buildRoot()
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range recs {
			rc.deferred = true
		}
		ctx := testCtx()
		orig := req("set", "/*/*/key")
		orig.Value = []byte("value")
		cb := &capture{}
		h.Route(ctx, orig, cb)
		// The caller may recycle its request once answered: scribble.
		for _, i := range order {
			recs[i].flush()
			if i == 0 {
				copy(orig.Key, "XXXXXXXXX")
			}
		}
		if cb.String() != "mc_res_stored" {
			t.Errorf("order %v: reply %s", order, cb)
		}
		if a.reqs[0] != orig || b.reqs[0] == orig || b.reqs[0] != c.reqs[0] {
			t.Errorf("order %v: A must get the request, B and C one shared copy", order)
		}
		if k := string(b.reqs[0].Key); k != "/*/*/key" || string(b.reqs[0].Value) != "value" {
			t.Errorf("order %v: copy holds %q %q", order, k, b.reqs[0].Value)
		}
		if n := len(ctx.pools[rootAsyncKind].(*freeList[rootAsync]).items); n != 1 {
			t.Errorf("order %v: %d copies back on the free list, want 1", order, n)
		}
	}
}

func TestRootRouteSameHandleOnce(t *testing.T) {
	a, b := fake("A", mc.ResFound, "a"), fake("B", mc.ResFound, "b")
	r := fakeRoot(t, `{"routes": [{"aliases": ["/x/x/", "/x/y/"], "route": "A"}, {"aliases": ["/y/y/"], "route": ["B"]}, {"aliases": ["/y/z/"], "route": "A"}]}`, "/x/x/", false, a, b)
	cb := &capture{}
	r.Route(testCtx(), req("delete", "/*/*/k"), cb)
	if len(a.seen) != 1 || len(b.seen) != 1 || cb.String() != "mc_res_found=a" {
		t.Errorf("A saw %v, B saw %v, reply %s", a.seen, b.seen, cb)
	}
}

// TestRouteOnlyPrefixAliasNormalisation: "route" registers under -R;
// -R "a/b" is "/a/b/".
func TestRouteRegistersUnderDefaultRoute(t *testing.T) {
	cfg := mustBuild(t, `{"route": "NullRoute"}`, Options{DefaultRoute: "a/b"})
	cb := &capture{}
	cfg.Root.Route(testCtx(), req("get", "/a/b/k"), cb)
	if cb.String() != "mc_res_notfound" {
		t.Errorf("/a/b/k: %s", cb)
	}
	cb = &capture{}
	cfg.Root.Route(testCtx(), req("get", "/b/b/k"), cb)
	if cb.String() != "mc_res_local_error(RootRoute: No rh found)" {
		t.Errorf("/b/b/k: %s", cb)
	}
}

func TestRoutesDuplicateAliasLastWins(t *testing.T) {
	a, b := fake("A", mc.ResFound, "a"), fake("B", mc.ResFound, "b")
	r := fakeRoot(t, `{"routes": [{"aliases": ["/x/x/"], "route": "A"}, {"aliases": ["/x/x/"], "route": "B"}]}`, "/x/x/", false, a, b)
	cb := &capture{}
	r.Route(testCtx(), req("get", "k"), cb)
	if cb.String() != "mc_res_found=b" {
		t.Errorf("reply %s", cb)
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, route string
		want           bool
	}{
		{"/*/*/", "/a/b/", true},
		{"/b*/*/", "/b/a/", true},
		{"/b*/*/", "/ba/a/", true},
		{"/b*/*/", "/ab/a/", false},
		{"/*/a/", "/x/a/", true},
		{"/*/a/", "/x/b/", false},
		{"/b/*b*/", "/b/abc/", true},
		{"/b/*b*/", "/b/b/", true},
		{"/b/*b*/", "/b/ac/", false},
		{"/a/*", "/a/", false},
		{"/a/*", "/a/x", true},
		{"/a/**/", "/a/x/", true},
		{"/a/b/", "/a/b/", true},
		{"/a/b/", "/a/c/", false},
	} {
		if got := matchPattern([]byte(tc.pattern), []byte(tc.route)); got != tc.want {
			t.Errorf("%s ~ %s = %v, want %v", tc.pattern, tc.route, got, tc.want)
		}
	}
}
