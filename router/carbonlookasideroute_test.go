package router

import (
	"os"
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
)

func TestCarbonLookasideRoute(t *testing.T) {
	cases := []struct {
		name      string
		r         *mc.Request
		cacheItem string // value cached under "pre:k", "" none
		cacheErr  mc.Result
		childErr  mc.Result
		childItem string // value the child has for "k", "" none
		want      string
		cacheSeen string // requests the cache got
		childSeen string
		cached    string // the cache's item "pre:k" afterwards
	}{
		{name: "hit", r: req("get", "k"), cacheItem: "c", childItem: "b",
			want: "mc_res_found=c/0x7", cacheSeen: "get pre:k", childSeen: "", cached: "c/0x7/0"},
		{name: "miss then fill", r: req("get", "k"), childItem: "b",
			want: "mc_res_found=b/0x5", cacheSeen: "get pre:k; set pre:k 0x5 30 \"b\"", childSeen: "get k", cached: "b/0x5/30"},
		{name: "miss everywhere", r: req("get", "k"),
			want: "mc_res_notfound", cacheSeen: "get pre:k", childSeen: "get k", cached: "-"},
		{name: "cache error goes to child", r: req("get", "k"), cacheErr: mc.ResRemoteError, childItem: "b",
			want: "mc_res_found=b/0x5", cacheSeen: "get pre:k; set pre:k 0x5 30 \"b\"", childSeen: "get k", cached: "-"},
		{name: "child error not cached", r: req("get", "k"), childErr: mc.ResTimeout,
			want: "mc_res_timeout", cacheSeen: "get pre:k", childSeen: "get k", cached: "-"},
		{name: "set to child only", r: storeReq("set", "k", "v", 1, 0), cacheItem: "c",
			want: "mc_res_stored", cacheSeen: "", childSeen: "set k 0x1 0 \"v\"", cached: "c/0x7/0"},
		{name: "delete to child only", r: req("delete", "k"), cacheItem: "c", childItem: "b",
			want: "mc_res_deleted", cacheSeen: "", childSeen: "delete k", cached: "c/0x7/0"},
		{name: "gets to child only", r: req("gets", "k"), cacheItem: "c", childItem: "b",
			want: "mc_res_found=b/0x5/cas1", cacheSeen: "", childSeen: "gets k", cached: "c/0x7/0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cache, child := newMem("cache"), newMem("child")
			if tc.cacheItem != "" {
				cache.put("pre:k", tc.cacheItem, 7)
			}
			if tc.childItem != "" {
				child.put("k", tc.childItem, 5)
			}
			cache.err, child.err = tc.cacheErr, tc.childErr
			r := &carbonLookasideRoute{child: child, cache: cache, prefix: "pre:", ttl: 30}
			c := &flagCapture{}
			r.Route(testCtx(), tc.r, c)
			if c.String() != tc.want {
				t.Errorf("reply %s, want %s", c, tc.want)
			}
			if got := cache.seenString(); got != tc.cacheSeen {
				t.Errorf("cache saw %q, want %q", got, tc.cacheSeen)
			}
			if got := child.seenString(); got != tc.childSeen {
				t.Errorf("child saw %q, want %q", got, tc.childSeen)
			}
			cache.err = 0
			if got := cache.get("pre:k"); got != tc.cached {
				t.Errorf("cache has %s, want %s", got, tc.cached)
			}
		})
	}
}

// The fill is sent only after the client has its answer.
func TestCarbonLookasideFillAfterReply(t *testing.T) {
	cache, child := newMem("cache"), newMem("child").put("k", "b", 0)
	r := &carbonLookasideRoute{child: child, cache: cache, prefix: "p", ttl: 5}
	var cacheAtReply string
	cb := callbackFunc(func(rep *mc.Reply) { cacheAtReply = cache.seenString() })
	r.Route(testCtx(), req("get", "k"), cb)
	if cacheAtReply != "get pk" {
		t.Errorf("cache at reply time: %q", cacheAtReply)
	}
	if got := cache.get("pk"); got != "b/0x0/5" {
		t.Errorf("cache has %s", got)
	}
}

type callbackFunc func(*mc.Reply)

func (f callbackFunc) OnReply(rep *mc.Reply) { f(rep) }

func TestCarbonLookasideKey(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		r    carbonLookasideRoute
		ms   int
		want string
	}{
		{carbonLookasideRoute{prefix: "reg"}, 0, "regk"},
		{carbonLookasideRoute{prefix: "reg", suffix: ":ks2"}, 0, "regk:ks2"},
		{carbonLookasideRoute{prefix: "a", ttl: 100, subSec: true}, 0, "ak:0"},
		{carbonLookasideRoute{prefix: "a", ttl: 100, subSec: true}, 999, "ak:9"},
		{carbonLookasideRoute{prefix: "a", suffix: ":ks0", ttl: 50, subSec: true}, 120, "ak:ks0:2"},
	} {
		now := at.Add(time.Duration(tc.ms) * time.Millisecond)
		if got := string(tc.r.appendKey(nil, []byte("k"), now)); got != tc.want {
			t.Errorf("%+v at %dms: %s, want %s", tc.r, tc.ms, got, tc.want)
		}
	}
}

// carbonFiles is a ReadFile over a map, for flavor and client configs.
func carbonFiles(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
}

func TestCarbonLookasideBuild(t *testing.T) {
	files := map[string]string{
		"/etc/mc/flavor.json":    `{"options": {"config": "file:client.json", "num_proxies": 4}}`,
		"/etc/mc/client.json":    `{"pools": {"A": {"servers": ["127.0.0.1:7001"]}}, "route": "PoolRoute|A"}`,
		"/etc/mc/inline.json":    `{"options": {"config": "{\"pools\":{\"C\":{\"servers\":[\"127.0.0.1:7003\"]}},\"route\":\"PoolRoute|C\"}"}}`,
		"/etc/mc/noconf.json":    `{"options": {"num_proxies": "4"}}`,
		"/etc/mc/other.json":     `{"pools": {"A": {"servers": ["127.0.0.1:7002"]}}, "route": "PoolRoute|A"}`,
		"/etc/mc/web-standalone": `{"standalone_options": {}, "libmcrouter_options": {"config": "file:/etc/mc/client.json"}}`,
	}
	opts := Options{ReadFile: carbonFiles(files), HostID: 7}
	const pools = `"pools": {"A": {"servers": ["127.0.0.1:7000"]}},`
	build := func(route string) (*Config, error) {
		return Build("/etc/mc/main.json", []byte(`{`+pools+`"route": `+route+`}`), opts)
	}
	cfg, err := build(`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "prefix": "reg:", "ttl": 10,
	  "key_split_size": 3, "flavor": "file:flavor.json", "helper_config": {},
	  "lease_settings": {"enable_leases": false, "initial_wait_interval_ms": 2, "max_wait_interval_ms": 500, "num_retries": 10}}`)
	if err != nil {
		t.Fatal(err)
	}
	var cl *carbonLookasideRoute
	cfg.Root.Traverse(req("get", "k"), 0, func(h Handle, depth int) {
		if c, ok := h.(*carbonLookasideRoute); ok {
			cl = c
		}
	})
	if cl == nil {
		t.Fatal("no CarbonLookasideRoute in the tree")
	}
	if cl.prefix != "reg:" || cl.suffix != ":ks1" || cl.ttl != 10 || cl.subSec {
		t.Errorf("built %+v", cl)
	}
	if cl.Name() != "lookaside-cache|name=MemcacheCarbonLookasideHelper|ttl=10s|leases=false" {
		t.Errorf("name %s", cl.Name())
	}
	if len(cfg.Servers) != 2 || !strings.HasPrefix(cfg.Servers[1].Key, "127.0.0.1:7001:") {
		var keys []string
		for _, s := range cfg.Servers {
			keys = append(keys, s.Key)
		}
		t.Errorf("servers %v", keys)
	}
	if _, ok := cfg.PoolFiles["/etc/mc/flavor.json"]; !ok {
		t.Errorf("flavor not watched: %v", cfg.PoolFiles)
	}
	if _, ok := cfg.PoolFiles["/etc/mc/client.json"]; !ok {
		t.Errorf("client config not watched: %v", cfg.PoolFiles)
	}
	if bc, ok := cfg.Broadcast.(*destination); !ok || bc.idx != 0 {
		t.Errorf("flush_all broadcast reaches the lookaside cache: %T", cfg.Broadcast)
	}

	// Inline config, overrides, sub-second ttl, the standalone flavor.
	for _, route := range []string{
		`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 100, "ttl_unit_ms": true, "flavor": "inline.json"}`,
		`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor": "flavor.json", "flavor_overrides": {"config": "file:other.json"}}`,
		`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1}`,
	} {
		if _, err := build(route); err != nil {
			t.Errorf("%s: %v", route, err)
		}
	}

	for _, tc := range []struct{ route, want string }{
		{`"CarbonLookasideRoute"`, "main.json:1: CarbonLookasideRoute is not an object"},
		{`{"type": "CarbonLookasideRoute", "ttl": 1}`, "'child' property is missing"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A"}`, "'ttl' property is missing"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": "1"}`, "'ttl' is not an integer"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "ttl_unit_ms": 1}`, "'ttl_unit_ms' is not a bool"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 300, "ttl_unit_ms": true}`, "for sub-second ttl"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "prefix": 1}`, "'prefix' is not a string"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor": 1}`, "'flavor' is not a string"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor_overrides": []}`, "error parsing 'flavor_overrides'"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "key_split_size": 0}`, "'key_split_size' must be a positive integer"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "helper_config": 1}`, "'helper_config' is not an object"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "lease_settings": 1}`, "'lease_settings' is not an object"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "lease_settings": {"num_retries": -1}}`, "'num_retries' must be >= 0"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "lease_settings": {"enable_leases": "yes"}}`, "'enable_leases' is not bool"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor": "flavor.json",
		  "lease_settings": {"enable_leases": true}}`, "main.json:2: CarbonLookasideRoute: lease_settings.enable_leases: true is not supported"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor": "nope.json"}`, `main.json:1: CarbonLookasideRoute: cannot read flavor "nope.json"`},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor": "noconf.json"}`, "has no config option"},
		{`{"type": "CarbonLookasideRoute", "child": "PoolRoute|A", "ttl": 1, "flavor": "flavor.json", "flavor_overrides": {"config": "file:missing.json"}}`, "cannot read the lookaside client's config"},
	} {
		_, err := build(tc.route)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.route, err, tc.want)
		}
	}
}
