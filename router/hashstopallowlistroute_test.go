package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestHashStopAllowListRoute(t *testing.T) {
	for _, tc := range []struct {
		name, cfg, key string
		child          *fakeRoute
		want           string
	}{
		{"no hash stop", `{"target":"T","prefixes":["a"]}`, "zzz", fake("t", mc.ResFound, "v"), "mc_res_found=v"},
		{"allowed", `{"target":"T","prefixes":["a","bc"]}`, "bc:1|#|x", fake("t", mc.ResNotFound), "mc_res_notfound"},
		{"allowed error", `{"target":"T","prefixes":["bc"]}`, "bc|#|x", fake("t", mc.ResTimeout, "Reply timeout"), "mc_res_timeout(Reply timeout)"},
		{"allowed slow", `{"target":"T","prefixes":["a"]}`, "a|#|x", &fakeRoute{name: "t", res: mc.ResStored, deferred: true}, "mc_res_stored"},
		{"refused", `{"target":"T","prefixes":["a"]}`, "b|#|x", fake("t", mc.ResFound), "mc_res_local_error(Hash stop not permited)"},
		{"full key is checked", `{"target":"T","prefixes":["a"]}`, "/r/c/a|#|x", fake("t", mc.ResFound), "mc_res_local_error(Hash stop not permited)"},
		{"no prefixes", `{"target":"T"}`, "a|#|x", fake("t", mc.ResFound), "mc_res_local_error(Hash stop not permited)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := mustBuildNamed(t, "HashStopAllowListRoute", tc.cfg, map[string]Handle{"T": tc.child})
			cb := &capture{}
			h.Route(testCtx(), req("get", tc.key), cb)
			tc.child.flush()
			if cb.String() != tc.want {
				t.Errorf("%s: %s, want %s", tc.key, cb, tc.want)
			}
			refused := strings.Contains(tc.want, "permited")
			if p := path(h, req("get", tc.key)); len(p) != map[bool]int{true: 1, false: 2}[refused] {
				t.Errorf("traverses %v", p)
			}
		})
	}
	h := mustBuildNamed(t, "HashStopAllowListRoute", `{"target":"T","prefixes":["a","b"]}`, map[string]Handle{"T": fake("t", mc.ResFound)})
	if h.Name() != "HashStopAllowListRoute|num_prefixes=2" {
		t.Errorf("name %q", h.Name())
	}
	for _, tc := range []struct{ cfg, want string }{
		{`"T"`, "HashStopAllowListRoute is not an object"},
		{`{"prefixes":["a"]}`, "HashStopAllowListRoute: Missing target parameter"},
		{`{"target":"T","prefixes":[1]}`, "expected string"},
	} {
		_, err := buildNamedWith(t, "HashStopAllowListRoute", tc.cfg, map[string]Handle{"T": fake("t", mc.ResFound)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
