package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

// opSelFakes holds the fakes built by "OpSelTestRoute|tag" (or
// {"type": "OpSelTestRoute", "tag": ...}) routes, by tag: each answers
// FOUND with its tag as the value.
var opSelFakes = map[string]*fakeRoute{}

func init() {
	register("OpSelTestRoute", func(b *builder, cfg, at *jsonm.Value) (Handle, error) {
		tag, _ := cfg.String()
		if cfg.IsObject() {
			tag, _ = cfg.Get("tag").String()
		}
		f := fake(tag, mc.ResFound, tag)
		opSelFakes[tag] = f
		return f, nil
	})
}

func TestOperationSelectorRoute(t *testing.T) {
	clear(opSelFakes)
	h := built(t, `{"route":{"type":"OperationSelectorRoute",
		"default_policy":"OpSelTestRoute|def",
		"operation_policies":{
			"get":"OpSelTestRoute|get", "gets":"OpSelTestRoute|gets",
			"set":"OpSelTestRoute|set", "delete":"OpSelTestRoute|delete",
			"incr":"OpSelTestRoute|arith", "decr":"OpSelTestRoute|arith2",
			"lease-get":"OpSelTestRoute|lease", "metaget":"NullRoute"},
		"default":"ignored"}}`)
	if h.Name() != "operation-selector" {
		t.Fatalf("built %s", h.Name())
	}
	for _, tc := range []struct{ op, want string }{
		{"get", "get"}, {"gets", "gets"}, {"gat", "def"}, {"gats", "def"},
		{"set", "set"}, {"add", "def"}, {"replace", "def"}, {"append", "def"},
		{"prepend", "def"}, {"cas", "def"}, {"delete", "delete"},
		{"incr", "arith"}, {"decr", "arith2"}, {"touch", "def"},
	} {
		cb := &capture{}
		h.Route(testCtx(), req(tc.op, "k"), cb)
		if cb.String() != "mc_res_found="+tc.want {
			t.Errorf("%s went to %s, want %s", tc.op, cb, tc.want)
		}
		var path []string
		h.Traverse(req(tc.op, "k"), 0, func(h Handle, d int) { path = append(path, h.Name()) })
		if strings.Join(path, ",") != "operation-selector,"+tc.want {
			t.Errorf("%s traverses %v", tc.op, path)
		}
	}
	if opSelFakes["lease"] == nil {
		t.Error("lease-get policy not built")
	}
	if n := len(h.Children()); n != 7 {
		t.Errorf("%d children, want 7 distinct (default + 6 used)", n)
	}
}

func TestOperationSelectorRouteNoDefault(t *testing.T) {
	clear(opSelFakes)
	slow := fake("slow", mc.ResTimeout, "Reply timeout")
	slow.deferred = true
	register("OpSelSlowRoute", func(b *builder, cfg, at *jsonm.Value) (Handle, error) { return slow, nil })
	defer delete(constructors, "OpSelSlowRoute")
	h := built(t, `{"route":{"type":"OperationSelectorRoute","operation_policies":{
		"set":"OpSelTestRoute|set", "get":"OpSelSlowRoute", "delete":"ErrorRoute|nope", "touch":"NullRoute"}}}`)
	for _, tc := range []struct{ op, want string }{
		{"set", "mc_res_found=set"},
		{"delete", "mc_res_local_error(nope)"},
		{"touch", "mc_res_notfound"},
		{"add", "mc_res_unknown"},
		{"gets", "mc_res_unknown"},
		{"incr", "mc_res_unknown"},
		{"version", "mc_res_unknown"},
	} {
		cb := &capture{}
		h.Route(testCtx(), req(tc.op, "k"), cb)
		if cb.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.op, cb, tc.want)
		}
	}
	// A slow child: answered when it answers.
	cb := &capture{}
	h.Route(testCtx(), req("get", "k"), cb)
	if len(cb.got) != 0 {
		t.Fatal("answered before the child")
	}
	slow.flush()
	if cb.String() != "mc_res_timeout(Reply timeout)" {
		t.Fatalf("got %s", cb)
	}
	var path []string
	h.Traverse(req("add", "k"), 0, func(h Handle, d int) { path = append(path, h.Name()) })
	if strings.Join(path, ",") != "operation-selector" {
		t.Errorf("add traverses %v", path)
	}
	var r operationSelectorRoute
	if len(r.byOp) != mc.NumOps {
		t.Fatal("byOp is not indexed by mc.Op")
	}
}

func TestOperationSelectorRouteBuild(t *testing.T) {
	clear(opSelFakes)
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]}}`
	for _, tc := range []struct{ cfg, want string }{
		// not an object: just that route
		{`{` + pool + `,"route":"OperationSelectorRoute|PoolRoute|A"}`, "selection|hash|Ch3"},
		// only a default: the default itself
		{`{` + pool + `,"route":{"type":"OperationSelectorRoute","default_policy":"PoolRoute|A"}}`, "selection|hash|Ch3"},
		{`{` + pool + `,"route":{"type":"PrefixPolicyRoute","default_policy":"NullRoute","operation_policies":{"get":"PoolRoute|A"}}}`, "operation-selector"},
		{`{` + pool + `,"route":{"type":"OperationSelectorRoute","operation_policies":{}}}`, "operation-selector"},
	} {
		if got := built(t, tc.cfg).Name(); got != tc.want {
			t.Errorf("%s: built %s, want %s", tc.cfg, got, tc.want)
		}
	}
	// Policies are built in sorted op-name order, so a named handle defined
	// under "add" can be used under "get" (as in mcrouter).
	h := built(t, `{"route":{"type":"OperationSelectorRoute","operation_policies":{
		"get":"shared", "add":{"type":"OpSelTestRoute","name":"shared","tag":"S"}}}}`)
	cb := &capture{}
	h.Route(testCtx(), req("get", "k"), cb)
	if cb.String() != "mc_res_found=S" {
		t.Errorf("named handle across policies: %s", cb)
	}

	for _, tc := range []struct{ cfg, line, want string }{
		{`{"route":
{"type":"OperationSelectorRoute"}}`, "t.json:2", "needs either 'default_policy' or 'operation_policies'"},
		{`{"route":{"type":"OperationSelectorRoute",
"operation_policies":["NullRoute"]}}`, "t.json:2", "operation_policies is not an object"},
		{`{"route":{"type":"OperationSelectorRoute","operation_policies":{
"get":"NullRoute",
"frobnicate":"NullRoute"}}}`, "t.json:3", `unknown operation "frobnicate"`},
		{`{"route":{"type":"OperationSelectorRoute","operation_policies":{
"get":"NoSuchRoute"}}}`, "t.json:2", "NoSuchRoute"},
		{`{"route":"OperationSelectorRoute"}`, "t.json:1", "OperationSelectorRoute needs"},
	} {
		msg := buildErr(t, tc.cfg)
		if !strings.Contains(msg, tc.line) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want %s and %q", tc.cfg, msg, tc.line, tc.want)
		}
	}
}
