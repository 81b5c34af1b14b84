package router

import (
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// buildNamedWith builds cfg with constructor typ, the names in named
// resolving to the given (fake) handles.
func buildNamedWith(t *testing.T, typ, cfg string, named map[string]Handle) (Handle, error) {
	t.Helper()
	v, err := jsonm.Parse("t.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return constructors[typ](&builder{file: "t.json", named: named}, v, v)
}

// mustBuildNamed is buildNamedWith that fails the test on an error.
func mustBuildNamed(t *testing.T, typ, cfg string, named map[string]Handle) Handle {
	t.Helper()
	h, err := buildNamedWith(t, typ, cfg, named)
	if err != nil {
		t.Fatalf("%s: %v", cfg, err)
	}
	return h
}

// rkFake is a fakeRoute that also records the routing key it is routed
// with (routingKeyOf).
type rkFake struct {
	*fakeRoute
	rks []string
}

func (f *rkFake) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	f.rks = append(f.rks, string(routingKeyOf(req)))
	f.fakeRoute.Route(ctx, req, cb)
}

// path returns the names Traverse visits for req.
func path(h Handle, req *mc.Request) []string {
	var out []string
	h.Traverse(req, 0, func(h Handle, d int) { out = append(out, h.Name()) })
	return out
}
