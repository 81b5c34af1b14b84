package router

import (
	"errors"
	"os"
	"strings"
	"testing"

	"mcroute/upstream"
)

// tree renders the route_handles dump of op/key, as mcrouter prints it.
func tree(t *testing.T, cfg *Config, op, key string) string {
	t.Helper()
	return Debug(cfg, &DebugInfo{}, "route_handles("+op+","+key+")")
}

func mustBuild(t *testing.T, text string, opts Options) *Config {
	t.Helper()
	cfg, err := Build("test.json", []byte(text), opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return cfg
}

func TestBuildNamedHandlesObject(t *testing.T) {
	// mcrouter's test_named_handles_obj.json: lazily built, shared by name.
	cfg := mustBuild(t, `{
  "pools": {
    "A": { "servers": [ "localhost:12345" ] },
    "B": { "servers": [ "localhost:12346" ] }
  },
  "named_handles": {
    "route:all": {"type": "AllSyncRoute", "children": [ "route:A", "route:B", "route:C", "route:D" ]},
    "route:A": {"type": "PoolRoute", "pool": "A"},
    "null": "NullRoute",
    "route:B": "PoolRoute|B",
    "route:C": {"type": "AllSyncRoute", "children": "null"},
    "route:D": "AllSyncRoute|route:C",
    "unused": {"type": "NoSuchRoute"}
  },
  "route": "route:all"
}`, Options{})
	want := `proxy
 root
  all-sync
   host|pool=A|id=0|ap=localhost:12345:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0
   host|pool=B|id=0|ap=localhost:12346:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0
   null
   null`
	if got := tree(t, cfg, "get", "k"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	as := cfg.Root.(*rootRoute).def.(*allSyncRoute)
	// route:C is AllSync over one child (null) → null itself; route:D is
	// AllSync over route:C → the same null object.
	if as.children[2] != as.children[3] {
		t.Errorf("route:C and route:D are different objects")
	}
}

func TestBuildNamedHandlesArrayAndInlineNames(t *testing.T) {
	cfg := mustBuild(t, `{
  "pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}},
  "named_handles": [
    {"type": "PoolRoute", "pool": "A", "name": "hashed"}
  ],
  "route": {"type": "AllSyncRoute", "children": [
    "hashed",
    {"type": "PoolRoute", "pool": "A", "name": "hashed", "hash": "Crc32"},
    "PoolRoute|A", "PoolRoute|A"
  ]}
}`, Options{})
	as := cfg.Root.(*rootRoute).def.(*allSyncRoute)
	if len(as.children) != 4 {
		t.Fatalf("%d children", len(as.children))
	}
	// The inline object named "hashed" reuses the first definition (Ch3,
	// not Crc32); identical strings are one object.
	if as.children[0] != as.children[1] || as.children[2] != as.children[3] {
		t.Errorf("not shared: %v", as.children)
	}
	if as.children[0] == as.children[2] {
		t.Errorf("a named handle and a string share an object")
	}
	if n := as.children[1].Name(); n != "selection|hash|Ch3" {
		t.Errorf("named reuse built %s", n)
	}
}

func TestBuildNamedObjectNameInjected(t *testing.T) {
	// The object form's value gets "name": a later inline object with that
	// name builds the registered definition.
	cfg := mustBuild(t, `{
  "pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}},
  "named_handles": {"h": {"type": "PoolRoute", "pool": "A", "hash": {"salt": "s"}}},
  "route": {"type": "PoolRoute", "pool": "A", "name": "h"}
}`, Options{})
	if n := cfg.Root.(*rootRoute).def.Name(); n != "selection|hash|Ch3|salt=s" {
		t.Errorf("built %s", n)
	}
}

func TestBuildPools(t *testing.T) {
	files := map[string]string{
		"dir/more.json": `// pool from a file
{"servers": ["10.0.0.9:11211"], "server_timeout": 50,}`,
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	cfg, err := Build("dir/cfg.json", []byte(`{
  "pools": {
    "base": {"servers": ["10.0.0.1:11211", "[::1]:11211"], "keep_routing_prefix": true, "server_timeout": 200},
    "child": {"inherit": "base", "servers": ["10.0.0.2:11211"]},
    "grandchild": {"inherit": "child", "server_timeout": 300},
    "empty": {"servers": [], "error_on_empty": false},
    "A": {"servers": ["10.0.0.3:11211", "10.0.0.4:11211"]}
  },
  "route": {"type": "AllSyncRoute", "children": [
    "Pool|grandchild", "PoolRoute|base", "PoolRoute|file:dir/more.json", "PoolRoute|empty",
    {"type": "PoolRoute", "pool": {"name": "A", "servers": ["10.9.9.9:1"]}},
    {"type": "Pool", "name": "inline", "servers": ["10.0.0.5:11211"]}
  ]}
}`), Options{ReadFile: read})
	if err != nil {
		t.Fatal(err)
	}
	want := `proxy
 root
  all-sync
   host|pool=grandchild|id=0|ap=10.0.0.2:11211:ascii:plain:notcompressed|timeout=300ms|keep_routing_prefix=true|msb=0
   selection|hash|Ch3
    host|pool=base|id=0|ap=10.0.0.1:11211:ascii:plain:notcompressed|timeout=200ms|keep_routing_prefix=true|msb=0
   host|pool=file:dir/more.json|id=0|ap=10.0.0.9:11211:ascii:plain:notcompressed|timeout=50ms|keep_routing_prefix=false|msb=0
   null
   selection|hash|Ch3
    host|pool=A|id=0|ap=10.0.0.3:11211:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0
   host|pool=inline|id=0|ap=10.0.0.5:11211:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0`
	if got := tree(t, cfg, "get", "abc"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if cfg.PoolFiles["dir/more.json"] == "" {
		t.Errorf("file pool not recorded: %v", cfg.PoolFiles)
	}
	got := Debug(cfg, &DebugInfo{}, "route(get,abc)")
	if !strings.Contains(got, "[0000:0000:0000:0000:0000:0000:0000:0001]:11211") && !strings.Contains(got, "10.0.0.1:11211") {
		t.Errorf("route: %q", got)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{"{\n\"route\": {\n\"type\": \"XYZRoute\"}}", "test.json:3: Unknown RouteHandle: XYZRoute line: 3"},
		{`{"route": "XYZRoute|a"}`, "test.json:1: Unknown RouteHandle: XYZRoute"},
		{`{"route": {"type": "SRRoute"}}`, "test.json:1: Unknown RouteHandle: SRRoute line: 1 (Facebook-only in mcrouter: it routes through Facebook's service router (SR), so mcroute does not build it)"},
		{`{"route": "nope"}`, "test.json:1: Unknown type or Missing Name Handle : nope"},
		{`{"route": ["NullRoute", "NullRoute"]}`, "2 RouteHandles in list, expected 1"},
		{`{"route": []}`, "0 RouteHandles in list, expected 1"},
		{`{"route": 5}`, "RouteHandle is int, expected object/array/string"},
		{`{"route": {"name": "x"}}`, "No type field in RouteHandle json object"},
		{`{"route": {"type": 1}}`, "Type field in RouteHandle is not a string"},
		{`{"named_handles": {"a": {"type": "NullRoute", "name": "b"}}, "route": "a"}`, "Ambiguous RouteHandle name in object for a"},
		{`{"named_handles": 1, "route": "NullRoute"}`, "named_handles is int expected array/object"},
		{`{"named_handles": {"a": {"type": "AllSyncRoute", "children": ["a"]}}, "route": "a"}`, "Unknown type or Missing Name Handle : a"},
		{`{"route": "NullRoute", "routes": {}}`, "Invalid config: both 'route' and 'routes' are specified"},
		{`{}`, "No route/routes in config"},
		{`[]`, "config is array, expected object"},
		{`{"routes": 1}`, "Config: routes is not array/object"},
		{`{"routes": [1]}`, "RoutePolicy is not an object"},
		{`{"routes": [{"aliases": ["/././"]}]}`, "RoutePolicy: no route"},
		{`{"routes": [{"route": "NullRoute"}]}`, "RoutePolicy: no aliases"},
		{`{"routes": [{"route": "NullRoute", "aliases": "/a/b/"}]}`, "RoutePolicy: aliases is not an array"},
		{`{"routes": [{"route": "NullRoute", "aliases": [1]}]}`, "RoutePolicy: alias is not a string"},
		{`{"routes": {"/a/b/": "NullRoute"}}`, "invalid default route: /././"},
		{`{"routes": {"/././": "NullRoute", "/a/": "NullRoute"}}`, "Routing prefix (/a/) should be of the form /region/cluster/"},
		{`{"route": "PoolRoute|A"}`, "Can not read pool: A"},
		{`{"pools": {"A": {"inherit": "B", "servers": []}, "B": {"inherit": "A"}}, "route": "PoolRoute|A"}`, "Cycle in pool inheritance"},
		{`{"pools": {"A": {"inherit": 1, "servers": []}}, "route": "PoolRoute|A"}`, "Pool A: inherit is not a string"},
		{`{"pools": {"A": {}}, "route": "PoolRoute|A"}`, "Pool A: servers not found"},
		{`{"pools": {"A": {"servers": {}}}, "route": "PoolRoute|A"}`, "Pool A: servers is not an array"},
		{`{"pools": {"A": {"servers": [1]}}, "route": "PoolRoute|A"}`, "Pool A: server #0 is not a string/object"},
		{`{"pools": [], "route": "NullRoute"}`, "config: 'pools' is not an object"},
		{`{"route": {"type": "PoolRoute"}}`, "PoolRoute: pool not found"},
		{`{"route": {"type": "PoolRoute", "pool": 1}}`, "Pool should be a string (name of pool) or an object"},
		{`{"route": {"type": "PoolRoute", "pool": {"servers": []}}}`, "Pool should have string name"},
		{`{"route": {"type": "PrefixSelectorRoute"}}`, "PrefixSelectorRoute: no policies/wildcard"},
		{`{"route": {"type": "PrefixSelectorRoute", "policies": []}}`, "PrefixSelectorRoute: policies is not an object"},
		{`{"route": {"type": "AllSyncRoute", "children": [{"type": "PrefixSelectorRoute", "wildcard": "NullRoute"}]}}`, "Unknown RouteHandle: PrefixSelectorRoute"},
		{`{"route": "@nope()"}`, "Macro 'nope' not found"},
		{`{"route": "PoolRoute|file:missing.json"}`, "Can not read pool: file:missing.json"},
	} {
		_, err := Build("test.json", []byte(tc.cfg), Options{ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestBuildErrorNamesMacroCall(t *testing.T) {
	_, err := Build("test.json", []byte(`{
  "macros": {"r": {"type": "macroDef", "params": [], "result": {"type": "BadRoute"}}},
  "route": "@r"
}`), Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(err.Error(), "(via test.json:3)") {
		t.Errorf("%v", err)
	}
}

func TestBuildImportAndGlobals(t *testing.T) {
	files := map[string]string{
		"conf/pools.json": `{"A": {"servers": ["127.0.0.1:%port%"]}}`,
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	cfg, err := Build("conf/main.json", []byte(`{
  "pools": "@import(pools.json)",
  "route": {"type": "AllSyncRoute", "children": ["PoolRoute|A", "ErrorRoute|%default-region%/%default-cluster%/%service-name%/%router-name%"]}
}`), Options{ReadFile: read, Params: map[string]string{"port": "5000"}, DefaultRoute: "r/c", HostID: 42, RouterName: "7"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Imports["conf/pools.json"] == "" {
		t.Errorf("imports: %v", cfg.Imports)
	}
	if got := cfg.Servers[0].Addr; got != "127.0.0.1:5000" {
		t.Errorf("server %s", got)
	}
	as := cfg.Root.(*rootRoute).def.(*allSyncRoute)
	if got := string(as.children[1].(*errorRoute).msg); got != "r/c/mcrouter/7" {
		t.Errorf("globals: %q", got)
	}
	if id, _ := cfg.Globals["hostid"].Int(); id != 42 {
		t.Errorf("hostid %v", cfg.Globals["hostid"])
	}
	if cfg.DefaultRoute != "/r/c/" {
		t.Errorf("default route %q", cfg.DefaultRoute)
	}
}

func TestPoolRouteOneServerIsTheServer(t *testing.T) {
	cfg := mustBuild(t, `{"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "PoolRoute|A"}`, Options{})
	if _, ok := cfg.Root.(*rootRoute).def.(*destination); !ok {
		t.Errorf("built %s", cfg.Root.(*rootRoute).def.Name())
	}
	cfg = mustBuild(t, `{"pools": {"A": {"servers": []}}, "route": "PoolRoute|A"}`, Options{})
	ctx := testCtx()
	c := &capture{}
	cfg.Root.Route(ctx, req("get", "k"), c)
	if c.String() != "mc_res_local_error(HashRoute with empty children, name: A)" {
		t.Errorf("empty pool: %s", c)
	}
}

func TestDestinationNames(t *testing.T) {
	for _, tc := range []struct {
		host string
		want string
	}{
		{"127.0.0.1", "127.0.0.1:11211"},
		{"::1", "[0000:0000:0000:0000:0000:0000:0000:0001]:11211"},
		{"fe80::1:2", "[fe80:0000:0000:0000:0000:0000:0001:0002]:11211"},
		{"localhost", "localhost:11211"},
	} {
		if got := accessPointHostPort(tc.host, 11211); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.host, got, tc.want)
		}
	}
	d := newDestination(0, upstream.NewServer("::1", 5000, 250e6, 0), "P", 3, true, 7)
	if want := "host|pool=P|id=3|ap=[0000:0000:0000:0000:0000:0000:0000:0001]:5000:ascii:plain:notcompressed|timeout=250ms|keep_routing_prefix=true|msb=7"; d.Name() != want {
		t.Errorf("%s\nwant %s", d.Name(), want)
	}
}

// TestPoolProtocol: a pool's "protocol" (any case) or a server string's
// protocol part selects ascii (the default) or meta; the server string
// wins over the pool. meta and ascii to one address are two destinations.
// mcrouter's other protocols are refused, naming the field.
func TestPoolProtocol(t *testing.T) {
	cfg := mustBuild(t, `{
  "pools": {
    "M": {"protocol": "META", "servers": ["10.0.0.1:11211", "10.0.0.2:11211:ascii"]},
    "A": {"protocol": "ascii", "servers": ["10.0.0.1:11211", "10.0.0.3:11211:Meta:plain"]},
    "D": {"servers": ["10.0.0.1:11211:meta:plain:notcompressed"]}
  },
  "route": {"type": "AllSyncRoute", "children": ["PoolRoute|M", "PoolRoute|A", "PoolRoute|D"]}
}`, Options{})
	var got []string
	for _, s := range cfg.Servers {
		got = append(got, s.Key+" "+s.Dest.Key.Protocol)
	}
	want := "10.0.0.1:11211:meta:plain:notcompressed-1000 meta," +
		"10.0.0.2:11211:ascii:plain:notcompressed-1000 ascii," +
		"10.0.0.1:11211:ascii:plain:notcompressed-1000 ascii," +
		"10.0.0.3:11211:meta:plain:notcompressed-1000 meta"
	if g := strings.Join(got, ","); g != want {
		t.Errorf("servers\n%s\nwant\n%s", g, want)
	}
	if cfg.Servers[0].Dest == cfg.Servers[2].Dest {
		t.Error("meta and ascii to 10.0.0.1 share a destination")
	}
	if tr := tree(t, cfg, "get", "abc"); !strings.Contains(tr, "host|pool=D|id=0|ap=10.0.0.1:11211:meta:plain:notcompressed|timeout=1000ms") {
		t.Errorf("route name:\n%s", tr)
	}

	for _, tc := range []struct{ cfg, want string }{
		{`{"pools": {"A": {"protocol": "caret", "servers": ["h:1"]}}, "route": "PoolRoute|A"}`,
			`test.json:1: Pool A: protocol "caret" is not supported (ascii or meta)`},
		{"{\"pools\": {\"A\": {\n\"protocol\": \"thrift\", \"servers\": [\"h:1\"]}}, \"route\": \"PoolRoute|A\"}",
			`test.json:2: Pool A: protocol "thrift" is not supported (ascii or meta)`},
		{`{"pools": {"A": {"protocol": 1, "servers": ["h:1"]}}, "route": "PoolRoute|A"}`,
			`Pool A: protocol must be a string`},
		{`{"pools": {"A": {"servers": ["h:1:xdp"]}}, "route": "PoolRoute|A"}`,
			`Pool A: server "h:1:xdp": protocol "xdp" is not supported (ascii or meta)`},
		{`{"pools": {"A": {"protocol": "meta", "servers": ["h:1:caret"]}}, "route": "PoolRoute|A"}`,
			`Pool A: server "h:1:caret": protocol "caret" is not supported (ascii or meta)`},
	} {
		_, err := Build("test.json", []byte(tc.cfg), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
