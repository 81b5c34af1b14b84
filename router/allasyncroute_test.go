package router

import (
	"mcroute/codec/mc"
	"strings"
	"testing"
)

// lateRoute is a deferred child that reads its request only when it
// answers, as a connection or a failover would: it catches handles that let
// a child keep a request the client side may already have recycled.
type lateRoute struct {
	name string
	res  mc.Result
	reqs []*mc.Request
	cbs  []mc.Callback
	seen []string // "op key=value", read at flush time
}

func (l *lateRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	l.reqs = append(l.reqs, req)
	l.cbs = append(l.cbs, cb)
}

func (l *lateRoute) flush() {
	reqs, cbs := l.reqs, l.cbs
	l.reqs, l.cbs = nil, nil
	for i, r := range reqs {
		l.seen = append(l.seen, r.Op.String()+" "+string(r.Key)+"="+string(r.Value))
		cbs[i].OnReply(&mc.Reply{Result: l.res})
	}
}

func (l *lateRoute) Name() string       { return l.name }
func (l *lateRoute) Children() []Handle { return nil }
func (l *lateRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(l, depth)
}

// setReq is a set request whose key and value live in buffers the test
// can scribble on after the client has been answered.
func setReq(key, val string) *mc.Request {
	r := req("set", key)
	r.Key = []byte(key)
	r.Value = []byte(val)
	return r
}

// scribble overwrites req's buffers, as the engine reusing them would.
func scribble(r *mc.Request) {
	for i := range r.Key {
		r.Key[i] = '#'
	}
	for i := range r.Value {
		r.Value[i] = '#'
	}
}

// free returns how many states of type T are in ctx's free list for kind.
func free[T any](ctx *Ctx, kind int) int {
	fl, _ := ctx.pools[kind].(*freeList[T])
	if fl == nil {
		return 0
	}
	return len(fl.items)
}

// built returns the handle a one-route config builds to.
func built(t *testing.T, cfg string) Handle {
	t.Helper()
	c, err := Build("", []byte(cfg), Options{})
	if err != nil {
		t.Fatalf("%s: %v", cfg, err)
	}
	return c.Root.(*rootRoute).def
}

// buildErr returns the error a config gives; the test fails if it builds.
func buildErr(t *testing.T, cfg string) string {
	t.Helper()
	_, err := Build("t.json", []byte(cfg), Options{})
	if err == nil {
		t.Fatalf("%s: built, want an error", cfg)
	}
	return err.Error()
}

func TestAllAsyncRoute(t *testing.T) {
	cases := []struct {
		name     string
		op       string
		children []*fakeRoute
		deferred bool
		want     string
	}{
		{"set answers NOT_STORED", "set", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResStored)}, false, "mc_res_notstored"},
		{"get answers NOT_FOUND despite hits", "get", []*fakeRoute{fake("a", mc.ResFound, "v"), fake("b", mc.ResFound, "v")}, false, "mc_res_notfound"},
		{"delete answers NOT_FOUND", "delete", []*fakeRoute{fake("a", mc.ResDeleted), fake("b", mc.ResNotFound)}, false, "mc_res_notfound"},
		{"errors are not seen", "set", []*fakeRoute{fake("a", mc.ResLocalError, "boom"), fake("b", mc.ResClientError, "bad")}, false, "mc_res_notstored"},
		{"timeouts are not waited for", "get", []*fakeRoute{fake("a", mc.ResTimeout, "Reply timeout"), fake("b", mc.ResNotFound)}, true, "mc_res_notfound"},
		{"slow children are not waited for", "append", []*fakeRoute{fake("a", mc.ResStored), fake("b", mc.ResStored), fake("c", mc.ResNotStored)}, true, "mc_res_notstored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx()
			var hs []Handle
			for _, c := range tc.children {
				c.deferred = tc.deferred
				hs = append(hs, c)
			}
			r := &allAsyncRoute{children: hs}
			cb := &capture{}
			r.Route(ctx, req(tc.op, "k"), cb)
			if cb.String() != tc.want {
				t.Fatalf("got %q, want %s", cb, tc.want)
			}
			for _, c := range tc.children {
				if len(c.seen) != 1 || c.seen[0] != tc.op+" k" {
					t.Errorf("child %s saw %v", c.name, c.seen)
				}
			}
			if tc.deferred {
				if n := free[asyncFan](ctx, asyncFanKind); n != 0 {
					t.Fatalf("state released with children in flight (%d free)", n)
				}
				for _, c := range tc.children {
					c.flush()
				}
			}
			if n := free[asyncFan](ctx, asyncFanKind); n != 1 {
				t.Fatalf("%d states free after the last reply, want 1", n)
			}
			if len(cb.got) != 1 {
				t.Fatalf("answered %d times", len(cb.got))
			}
		})
	}
}

// TestAllAsyncRouteCopiesRequest: the children still read a good request
// after the client's has been recycled.
func TestAllAsyncRouteCopiesRequest(t *testing.T) {
	ctx := testCtx()
	a, b := &lateRoute{name: "a", res: mc.ResStored}, &lateRoute{name: "b", res: mc.ResStored}
	r := &allAsyncRoute{children: []Handle{a, b}}
	cb := &capture{}
	for i := 0; i < 3; i++ { // states are reused
		rq := setReq("key", "value")
		r.Route(ctx, rq, cb)
		scribble(rq)
		a.flush()
		b.flush()
	}
	for _, l := range []*lateRoute{a, b} {
		if strings.Join(l.seen, ",") != "set key=value,set key=value,set key=value" {
			t.Errorf("child %s saw %v", l.name, l.seen)
		}
	}
	if cb.String() != "mc_res_notstored,mc_res_notstored,mc_res_notstored" {
		t.Errorf("replies %s", cb)
	}
	if n := free[asyncFan](ctx, asyncFanKind); n != 1 {
		t.Errorf("%d states free, want 1", n)
	}
}

func TestAllAsyncRouteBuild(t *testing.T) {
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},"B":{"servers":["127.0.0.1:3"]}}`
	for _, tc := range []struct{ cfg, want string }{
		{`{` + pool + `,"route":"AllAsyncRoute|Pool|A"}`, "all-async"},
		{`{` + pool + `,"route":{"type":"AllAsyncRoute","children":["PoolRoute|A","PoolRoute|B"]}}`, "all-async"},
		// mcrouter keeps the wrapper around a single child: still async.
		{`{` + pool + `,"route":{"type":"AllAsyncRoute","children":"Pool|B"}}`, "all-async"},
		{`{"route":{"type":"AllAsyncRoute","children":[]}}`, "null"},
		// No "children" at all is an empty list in mcrouter, not an error.
		{`{"route":{"type":"AllAsyncRoute"}}`, "null"},
	} {
		if got := built(t, tc.cfg).Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
	h := built(t, `{`+pool+`,"route":{"type":"AllAsyncRoute","children":["PoolRoute|A","PoolRoute|B"]}}`)
	var names []string
	h.Traverse(req("get", "k"), 0, func(h Handle, depth int) { names = append(names, strings.Repeat(" ", depth)+h.Name()) })
	if len(names) < 3 || names[0] != "all-async" || names[1] != " selection|hash|Ch3" {
		t.Errorf("traverse: %q", names)
	}
	if msg := buildErr(t, `{"route":
{"type":"AllAsyncRoute","children":5}}`); !strings.Contains(msg, "t.json:2") || !strings.Contains(msg, "RouteHandle is int") {
		t.Errorf("error %q does not name the place and the handle", msg)
	}
}
