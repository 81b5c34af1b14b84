//go:build !race

package router

import (
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// nopRoute answers at once without recording anything.
type nopRoute struct{ name string }

func (n *nopRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	ctx.replyLocal(cb, mc.ResStored, nil)
}
func (n *nopRoute) Name() string                                   { return n.name }
func (n *nopRoute) Children() []Handle                             { return nil }
func (n *nopRoute) Traverse(req *mc.Request, d int, visit Visitor) { visit(n, d) }

type nopCallback struct{}

func (nopCallback) OnReply(*mc.Reply) {}

// TestRootRouteAllocs: every lookup rule, broadcasts and globs included,
// routes without allocating.
func TestRootRouteAllocs(t *testing.T) {
	v, err := jsonm.Parse("t.json", []byte(`{"routes": {
  "/a/a/": {"type": "PrefixSelectorRoute", "policies": {"foo": "F"}, "wildcard": "A"},
  "/a/b/": "B", "/b/a/": "C", "/b/fallback/": "D"}}`))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]Handle{}
	for _, n := range []string{"A", "B", "C", "D", "F"} {
		named[n] = &nopRoute{name: n}
	}
	b := &builder{top: v, named: named, opts: Options{DefaultRoute: "/a/a/"}}
	root, err := b.buildRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx()
	for _, key := range []string{"k", "foo1", "/a/b/k", "/b/q/k", "/*/*/k", "/*/*/foo", "/a/*/k", "/*/a/k", "/b*/*/foo", "/x/y/k"} {
		r := &mc.Request{Key: []byte(key), Value: []byte("v")}
		for range 10 {
			root.Route(ctx, r, nopCallback{})
		}
		if n := testing.AllocsPerRun(1000, func() { root.Route(ctx, r, nopCallback{}) }); n != 0 {
			t.Errorf("%s: %v allocs per request", key, n)
		}
	}
}
