package router

import (
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDebugCommands(t *testing.T) {
	files := map[string]string{"d/pools.json": `{"A": {"servers": ["127.0.0.1:5000"]}, "B": {"servers": ["127.0.0.1:5001", "[::1]:5002"]}}`}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	text := `{"pools": "@import(pools.json)", "route": {"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}}`
	cfg, err := Build("d/main.json", []byte(text), Options{ReadFile: read, HostID: 1234})
	if err != nil {
		t.Fatal(err)
	}
	var verbosity atomic.Int64
	info := &DebugInfo{
		Version:   "0.1.0 mcroute",
		Options:   [][2]string{{"ports", "5000"}, {"num_proxies", "2"}, {"enable_flush_cmd", "0"}},
		Verbosity: &verbosity,
		Now:       func() time.Time { return cfg.Built.Add(42 * time.Second) },
	}
	for _, tc := range []struct{ cmd, want string }{
		{"version", "0.1.0 mcroute"},
		{"config_age", "42"},
		{"config_file", "d/main.json"},
		{"config_md5_digest", "f7c780f336697aad521ad69fc25b2dfd"},
		{"hostid", "1234"},
		{"options", "ports 5000\nnum_proxies 2\nenable_flush_cmd 0"},
		{"options(num_proxies)", "2"},
		{"options(nope)", "ERROR: options: option nope not found"},
		{"options(a,b)", "ERROR: options: 0 or 1 args expected"},
		{"route(set,abc,def)", "127.0.0.1:5000\r\n127.0.0.1:5001"},
		{"route(set,a)", "127.0.0.1:5000\r\n[0000:0000:0000:0000:0000:0000:0000:0001]:5002"},
		{"route(get,abc)", "127.0.0.1:5000\r\n127.0.0.1:5001"},
		{`route(get,{"key":"abc"})`, "127.0.0.1:5000\r\n127.0.0.1:5001"},
		{"route(get)", "ERROR: route: 2 args expected"},
		{"route", "ERROR: route: 2 args expected"},
		{"route(bogus,k)", "ERROR: route: unknown request bogus"},
		{"route_handles(get,abc)", "proxy\n root\n  all-sync\n   host|pool=A|id=0|ap=127.0.0.1:5000:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0\n   selection|hash|Ch3\n    host|pool=B|id=0|ap=127.0.0.1:5001:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{"route_handles(get)", "ERROR: route_handles: 2 args expected"},
		{"foo", "ERROR: unknown command: foo"},
		{"foo(", "ERROR: unknown command: foo("},
		{"verbosity", "0"},
		{"verbosity(3)", "0 -> 3"},
		{"verbosity", "3"},
		{"verbosity(1,2)", "ERROR: expected at most 1 argument, got 2"},
		{"failure_domains(B)", "{\n  \"127.0.0.1:5001\": \"0()\",\n  \"[0000:0000:0000:0000:0000:0000:0000:0001]:5002\": \"0()\"\n}"},
		{"pools", `{
  "A": [
    "host|pool=A|id=0|ap=127.0.0.1:5000:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"
  ],
  "B": [
    "host|pool=B|id=0|ap=127.0.0.1:5001:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0",
    "host|pool=B|id=1|ap=[0000:0000:0000:0000:0000:0000:0000:0001]:5002:ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"
  ]
}`},
		{"config_sources_info", `{
  "config_file": "d/main.json",
  "config_import": {
    "d/pools.json": "` + cfg.Imports["d/pools.json"] + `"
  },
  "mcrouter_config": "f7c780f336697aad521ad69fc25b2dfd"
}`},
	} {
		if got := Debug(cfg, info, tc.cmd); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.cmd, got, tc.want)
		}
	}
	pp := Debug(cfg, info, "preprocessed_config")
	if !strings.HasPrefix(pp, "{\n  \"pools\": {\n    \"A\": {") || strings.Contains(pp, "@import") {
		t.Errorf("preprocessed_config:\n%s", pp)
	}
	gp := Debug(cfg, info, "global_params")
	for _, want := range []string{`"default-route": "/././"`, `"hostid": 1234`, `"service-name": "mcrouter"`, `"router-name": "0"`} {
		if !strings.Contains(gp, want) {
			t.Errorf("global_params lacks %s:\n%s", want, gp)
		}
	}
	inline := mustBuild(t, `{"route": "NullRoute"}`, Options{})
	inline.File = ""
	if got := Debug(inline, info, "config_file"); got != "ERROR: no config file found!" {
		t.Errorf("inline config_file: %q", got)
	}
}
