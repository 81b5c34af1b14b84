package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/jsonm"
)

func TestModifyKeyRoute(t *testing.T) {
	long := strings.Repeat("p", 2000)
	cases := []struct {
		name, cfg, key string
		want           string // key the target got, or the reply when it got none
	}{
		// mcrouter's ModifyKeyRoute.h examples.
		{"example 1", `"set_routing_prefix":"/a/b/","ensure_key_prefix":"foo"`, "/a/b/a", "/a/b/fooa"},
		{"example 2", `"set_routing_prefix":"/a/b/","ensure_key_prefix":"foo"`, "foo", "/a/b/foo"},
		{"example 3", `"set_routing_prefix":"/a/b/","ensure_key_prefix":"foo"`, "/b/c/o", "/a/b/fooo"},
		{"(b) prefix present", `"ensure_key_prefix":"foo"`, "foobar", "foobar"},
		{"(b) prefix added after the routing prefix", `"ensure_key_prefix":"foo"`, "/r/c/bar", "/r/c/foobar"},
		{"(b) modify_inplace", `"ensure_key_prefix":"foo","modify_inplace":true`, "abcdef", "foodef"},
		{"(b) modify_inplace, short key", `"ensure_key_prefix":"foo","modify_inplace":true`, "ab", "fooab"},
		{"(a) replace", `"replace_key_prefix":"old:","ensure_key_prefix":"new:"`, "old:x", "new:x"},
		{"(a) replace keeps the routing prefix", `"replace_key_prefix":"old:","ensure_key_prefix":"new:"`, "/r/c/old:x", "/r/c/new:x"},
		{"(a) replace without ensure", `"replace_key_prefix":"old:"`, "old:x", "x"},
		{"(a) does not apply, (b) does", `"replace_key_prefix":"old:","ensure_key_prefix":"new:"`, "other", "new:other"},
		{"(c) new routing prefix", `"set_routing_prefix":"x/y"`, "/r/c/k", "/x/y/k"},
		{"(c) same routing prefix", `"set_routing_prefix":"/r/c/"`, "/r/c/k", "/r/c/k"},
		{"(c) remove the routing prefix", `"set_routing_prefix":""`, "/r/c/k|#|h", "k|#|h"},
		{"(c) nothing to remove", `"set_routing_prefix":""`, "k", "k"},
		{"(d) suffix", `"set_key_suffix":":s"`, "/r/c/k", "/r/c/k:s"},
		{"(b) with suffix", `"ensure_key_prefix":"p","set_key_suffix":":s"`, "k", "pk:s"},
		{"(c) with suffix", `"set_routing_prefix":"/x/y/","set_key_suffix":":s"`, "/r/c/k", "/x/y/k:s"},
		{"invalid: missing", `"set_routing_prefix":""`, "/r/c/", "mc_res_local_error(ModifyKeyRoute: invalid key: invalid key: missing)"},
		{"invalid: too long", `"ensure_key_prefix":"` + long + `"`, strings.Repeat("k", 50), "mc_res_local_error(ModifyKeyRoute: invalid key: invalid key: too long)"},
		{"invalid: control character", `"set_key_suffix":"x"`, "a\x01b", "mc_res_local_error(ModifyKeyRoute: invalid key: invalid key: space or control character)"},
		{"unchanged key is not checked", `"ensure_key_prefix":"a"`, "a\x01b", "a\x01b"},
	}
	for _, tc := range cases {
		for _, op := range []string{"get", "set", "delete"} {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				child := &reqRec{fakeRoute: fake("t", mc.ResFound, "v")}
				v, err := jsonm.Parse("t.json", []byte(`{"target":"T",`+tc.cfg+`}`))
				if err != nil {
					t.Fatal(err)
				}
				h, err := newModifyKeyRoute(&builder{named: map[string]Handle{"T": child}}, v, v)
				if err != nil {
					t.Fatal(err)
				}
				r := req(op, tc.key)
				cb := &capture{}
				h.Route(testCtx(), r, cb)
				got := cb.String()
				if len(child.seen) == 1 {
					got = child.seen[0][len(op)+1:]
					if cb.String() != "mc_res_found=v" {
						t.Errorf("reply %s", cb)
					}
				}
				if got != tc.want {
					t.Errorf("%q → %q, want %q", tc.key, got, tc.want)
				}
				if string(r.Key) != tc.key {
					t.Errorf("caller's key changed to %q", r.Key)
				}
			})
		}
	}
}

// TestModifyKeyRouteSlowChild: the new key stays valid until the target
// answers, and the target's reply (an error here) is passed on.
func TestModifyKeyRouteSlowChild(t *testing.T) {
	child := &reqRec{fakeRoute: fake("t", mc.ResTimeout, "Reply timeout")}
	child.deferred = true
	h := &modifyKeyRoute{target: child, ensure: []byte("pre:"), suffix: []byte(":x")}
	ctx := testCtx()
	cb := &capture{}
	h.Route(ctx, req("set", "/r/c/k"), cb)
	cb2 := &capture{}
	h.Route(ctx, req("set", "other"), cb2) // a second request in flight
	if len(cb.got)+len(cb2.got) != 0 {
		t.Fatal("answered before the target")
	}
	if string(child.req.Key) != "pre:other:x" {
		t.Fatalf("second request in flight has key %q", child.req.Key)
	}
	child.flush()
	if cb.String() != "mc_res_timeout(Reply timeout)" || cb2.String() != "mc_res_timeout(Reply timeout)" {
		t.Errorf("replies %s, %s", cb, cb2)
	}
	if strings.Join(child.seen, ",") != "set /r/c/pre:k:x,set pre:other:x" {
		t.Errorf("target saw %v", child.seen)
	}
}

func TestModifyKeyRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]}},`
	cfg, err := Build("", []byte(`{`+pools+`"route":{"type":"ModifyKeyRoute","target":"PoolRoute|A","ensure_key_prefix":"a:"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Root.(*rootRoute).def
	if h.Name() != "modify-key" || len(h.Children()) != 1 || h.Children()[0].Name() != builtName(t, pools, `"PoolRoute|A"`) {
		t.Errorf("built %s %v", h.Name(), h.Children())
	}
	// Traverse follows the target with the new key.
	var path []string
	h.Traverse(req("get", "k"), 0, func(h Handle, depth int) { path = append(path, h.Name()) })
	want := cfg.Root.(*rootRoute).def.(*modifyKeyRoute).target.(*hashRoute)
	if len(path) != 3 || path[2] != want.children[want.fn.Index([]byte("a:k"))].Name() {
		t.Errorf("traverse %v", path)
	}
	for _, tc := range []struct{ route, want string }{
		{`"ModifyKeyRoute|PoolRoute|A"`, "ModifyKeyRoute: should be an object"},
		{`{"type":"ModifyKeyRoute","ensure_key_prefix":"a"}`, "ModifyKeyRoute: no target"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","set_routing_prefix":"/a/"}`, "ModifyKeyRoute: set_routing_prefix: Routing prefix (/a/) should be of the form /region/cluster/"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","set_routing_prefix":1}`, "ModifyKeyRoute: set_routing_prefix is not a string"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","ensure_key_prefix":"a b"}`, "ModifyKeyRoute: invalid key prefix 'a b', invalid key: space or control character"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","replace_key_prefix":"a\tb"}`, "ModifyKeyRoute: invalid key prefix"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","set_key_suffix":" "}`, "ModifyKeyRoute: invalid key suffix ' '"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","replace_key_prefix":"a","modify_inplace":false}`, "replace_key_prefix and modify_inplace cannot be used together"},
		{`{"type":"ModifyKeyRoute","target":"PoolRoute|A","modify_inplace":"yes"}`, "ModifyKeyRoute: modify_inplace is not a boolean"},
	} {
		_, err := Build("f.json", []byte(`{`+pools+`"route":`+tc.route+`}`), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.json:1:") {
			t.Errorf("%s: error %v, want f.json:1: ... %q", tc.route, err, tc.want)
		}
	}
}
