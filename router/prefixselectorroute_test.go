package router

import (
	"mcroute/codec/mc"
	"strings"
	"testing"
)

func TestPrefixSelectorRoute(t *testing.T) {
	const cfg = `{"routes": {
  "/a/a/": {"type": "PrefixSelectorRoute", "policies": {"foo": "F", "foobar": "G", "x": "W"}, "wildcard": "W"},
  "/a/b/": {"type": "PrefixSelectorRoute", "policies": {"foo": "H"}},
  "/b/b/": "W"
}}`
	cases := []struct{ key, want, sent string }{
		{"foobarx", "mc_res_found=G", "G:get foobarx"},
		{"foox", "mc_res_found=F", "F:get foox"},
		{"fo", "mc_res_found=W", "W:get fo"},
		{"/a/a/foox", "mc_res_found=F", "F:get /a/a/foox"},
		// Only the routing key is matched: prefix stripped, cut at |#|.
		{"/a/a/fo|#|obar", "mc_res_found=W", "W:get /a/a/fo|#|obar"},
		{"/a/b/foo1", "mc_res_found=H", "H:get /a/b/foo1"},
		{"/a/b/bar", "mc_res_local_error(RootRoute: No rh found)", ""},
		// Broadcasts merge the selectors per key prefix: -R's pick first,
		// then the others', each handle once.
		{"/*/*/foobar1", "mc_res_found=G", "G:get /*/*/foobar1 H:get /*/*/foobar1 W:get /*/*/foobar1"},
		{"/*/*/zzz", "mc_res_found=W", "W:get /*/*/zzz"},
		{"/a/*/foo", "mc_res_found=F", "F:get /a/*/foo H:get /a/*/foo"},
		{"/*/b/foo", "mc_res_found=H", "H:get /*/b/foo W:get /*/b/foo"},
	}
	for _, tc := range cases {
		fakes := []*fakeRoute{fake("F", mc.ResFound, "F"), fake("G", mc.ResFound, "G"), fake("H", mc.ResFound, "H"), fake("W", mc.ResFound, "W")}
		r := fakeRoot(t, cfg, "/a/a/", false, fakes...)
		cb := &capture{}
		r.Route(testCtx(), req("get", tc.key), cb)
		var sent []string
		for _, f := range fakes {
			for _, s := range f.seen {
				sent = append(sent, f.name+":"+s)
			}
		}
		if cb.String() != tc.want || strings.Join(sent, " ") != tc.sent {
			t.Errorf("%s: reply %s sent %q, want %s sent %q", tc.key, cb, strings.Join(sent, " "), tc.want, tc.sent)
		}
	}
}

func TestPrefixSelectorBuildOrder(t *testing.T) {
	// Policies are built in key order, so a name memoised by one of them is
	// the one the others reuse.
	cfg := mustBuild(t, `{
  "pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}},
  "route": {"type": "PrefixSelectorRoute", "policies": {
    "b": {"type": "PoolRoute", "pool": "A", "name": "p", "hash": {"salt": "b"}},
    "a": {"type": "PoolRoute", "pool": "A", "name": "p", "hash": {"salt": "a"}}
  }, "wildcard": "p"}
}`, Options{})
	got := tree(t, cfg, "get", "bcd")
	if !strings.Contains(got, "selection|hash|Ch3|salt=a") {
		t.Errorf("%s", got)
	}
}
