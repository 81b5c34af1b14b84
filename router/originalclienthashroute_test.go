package router

import (
	"net/netip"
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
)

func TestOriginalClientHashRoute(t *testing.T) {
	a := fake("a", mc.ResFound, "a")
	b := fake("b", mc.ResNotFound)
	c := &fakeRoute{name: "c", res: mc.ResTimeout, msg: "Reply timeout", deferred: true}
	named := map[string]Handle{"A": a, "B": b, "C": c}
	want := map[string]string{"a": "mc_res_found=a", "b": "mc_res_notfound", "c": "mc_res_timeout(Reply timeout)"}
	names := []string{"a", "b", "c"}
	for _, offset := range []uint64{0, 1, 2} {
		h := mustBuildNamed(t, "OriginalClientHashRoute", `{"children":["A","B","C"],"offset":`+string(rune('0'+offset))+`}`, named)
		if h.Name() != "OriginalClientHashRoute" {
			t.Fatalf("name %q", h.Name())
		}
		for _, ip := range []string{"127.0.0.1", "127.0.0.2", "10.1.2.3", "::1", "2001:db8::7"} {
			r := req("get", "k")
			r.ClientIP = netip.MustParseAddr(ip)
			// mcrouter: (SpookyHashV2-64(ip.str(), 0) + offset) % n.
			idx := (hashfunc.SpookyHash64([]byte(ip), 0) + offset) % 3
			cb := &capture{}
			h.Route(testCtx(), r, cb)
			c.flush()
			if cb.String() != want[names[idx]] {
				t.Errorf("offset %d ip %s: %s, want child %s", offset, ip, cb, names[idx])
			}
			if p := path(h, r); len(p) != 2 || p[1] != names[idx] {
				t.Errorf("ip %s traverses %v", ip, p)
			}
		}
	}
	// No IP (no --retain-source-ip): LOCAL_ERROR "Missing IP".
	h := mustBuildNamed(t, "OriginalClientHashRoute", `{"children":["A","B"]}`, named)
	cb := &capture{}
	h.Route(testCtx(), req("get", "k"), cb)
	if cb.String() != "mc_res_local_error(Missing IP)" {
		t.Errorf("no IP: %s", cb)
	}
	if h := mustBuildNamed(t, "OriginalClientHashRoute", `{"children":["A"]}`, named); h != a {
		t.Errorf("one child built %s", h.Name())
	}
	for _, tc := range []struct{ cfg, want string }{
		{`{"children":"A"}`, "The 'children' must be specified."},
		{`{}`, "The 'children' must be specified."},
		{`{"children":[]}`, "At least one 'children' is required"},
		{`{"children":["A","B"],"offset":2}`, "The 'offset' must be non-negative integer and less than size of 'children'."},
		{`{"children":["A","B"],"offset":-1}`, "The 'offset' must be"},
	} {
		_, err := buildNamedWith(t, "OriginalClientHashRoute", tc.cfg, named)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
