package engine_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"mcroute/engine"
	"mcroute/engine/mctest"
	"mcroute/router"
)

// clusters are four memcached servers behind routing prefixes: -R is
// /east/a/, /west/ has a fallback cluster, and /east/a/'s route is a
// named handle.
type clusters struct {
	ea, eb, wa, wf *mctest.Memcached
	cfg            string
}

func startClusters(t *testing.T) *clusters {
	c := &clusters{ea: mctest.StartMemcached(t), eb: mctest.StartMemcached(t), wa: mctest.StartMemcached(t), wf: mctest.StartMemcached(t)}
	c.cfg = fmt.Sprintf(`{
  "pools": {
    "EA": {"servers": ["%s"]},
    "EB": {"servers": ["%s"]},
    "WA": {"servers": ["%s"]},
    "WF": {"servers": ["%s"]}
  },
  "named_handles": {"local": {"type": "PoolRoute", "pool": "EA"}},
  "routes": [
    {"aliases": ["/east/a/"], "route": "local"},
    {"aliases": ["/east/b/"], "route": "PoolRoute|EB"},
    {"aliases": ["/west/a/"], "route": "PoolRoute|WA"},
    {"aliases": ["/west/fallback/"], "route": "PoolRoute|WF"}
  ]
}`, c.ea.Addr, c.eb.Addr, c.wa.Addr, c.wf.Addr)
	return c
}

// has reports whether memcached m holds key (as stored: no prefix).
func has(t *testing.T, m *mctest.Memcached, key string) bool {
	t.Helper()
	return strings.HasPrefix(mctest.Dial(t, m.Addr).Do("get "+key+"\r\n"), "VALUE ")
}

func TestRoutingPrefixes(t *testing.T) {
	c := startClusters(t)
	p := startProxy(t, c.cfg, engine.Options{}, router.Options{DefaultRoute: "/east/a/"})
	cl := mctest.Dial(t, p.Addr)
	all := []*mctest.Memcached{c.ea, c.eb, c.wa, c.wf}
	names := []string{"east/a", "east/b", "west/a", "west/fallback"}
	check := func(key string, want ...bool) {
		t.Helper()
		for i, m := range all {
			if got := has(t, m, key); got != want[i] {
				t.Errorf("%s on %s: %v, want %v", key, names[i], got, want[i])
			}
		}
	}

	for _, tc := range []struct {
		key, stored string
		where       []bool
	}{
		{"plain", "plain", []bool{true, false, false, false}},                 // no prefix: -R
		{"/east/a/k1", "k1", []bool{true, false, false, false}},               // exact, through the named handle
		{"/east/b/k2", "k2", []bool{false, true, false, false}},               // exact
		{"/west/zz/k3", "k3", []bool{false, false, false, true}},              // /west/fallback/
		{"/east/*/k4", "k4", []bool{true, true, false, false}},                // every cluster of a region
		{"/*/a/k5", "k5", []bool{true, false, true, false}},                   // glob
		{"/*/*/k6", "k6", []bool{true, true, true, true}},                     // broadcast
		{"/w*/*/k7", "k7", []bool{false, false, true, true}},                  // glob on the region
		{"/east/b/k8|#|tail", "k8|#|tail", []bool{false, true, false, false}}, // prefix stripped, rest kept
	} {
		if got := cl.Do("set " + tc.key + " 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
			t.Errorf("set %s: %q", tc.key, got)
			continue
		}
		// Background sends land shortly after the reply.
		want := tc.where
		eventually(t, tc.key, func() bool {
			for i, m := range all {
				if has(t, m, tc.stored) != want[i] {
					return false
				}
			}
			return true
		})
		check(tc.stored, want...)
	}

	if got := cl.Do("get /nowhere/x/k\r\n"); got != "SERVER_ERROR RootRoute: No rh found\r\n" {
		t.Errorf("unknown prefix: %q", got)
	}
	if got := cl.Do("get /east/a/k1 /east/b/k2 /west/q/k3\r\n"); got != "VALUE /east/a/k1 0 1\r\nv\r\nVALUE /east/b/k2 0 1\r\nv\r\nVALUE /west/q/k3 0 1\r\nv\r\nEND\r\n" {
		t.Errorf("multi-get across prefixes: %q", got)
	}
}

// TestBroadcastAnswersWithTheLocalReply: /*/*/ answers with -R's reply
// while every other cluster still gets the request.
func TestBroadcastAnswersWithTheLocalReply(t *testing.T) {
	c := startClusters(t)
	p := startProxy(t, c.cfg, engine.Options{}, router.Options{DefaultRoute: "/east/a/"})
	cl := mctest.Dial(t, p.Addr)
	if got := mctest.Dial(t, c.wa.Addr).Do("set onlywest 0 0 1\r\nw\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	if got := cl.Do("delete /*/*/onlywest\r\n"); got != "NOT_FOUND\r\n" {
		t.Errorf("broadcast delete: %q, want the local cluster's NOT_FOUND", got)
	}
	eventually(t, "delete reaches /west/a/", func() bool { return !has(t, c.wa, "onlywest") })
	if got := mctest.Dial(t, c.ea.Addr).Do("set onlyeast 0 0 2\r\nea\r\n"); got != "STORED\r\n" {
		t.Fatal(got)
	}
	if got := cl.Do("get /*/*/onlyeast\r\n"); got != "VALUE /*/*/onlyeast 0 2\r\nea\r\nEND\r\n" {
		t.Errorf("broadcast get: %q", got)
	}
	// Many broadcasts in a row: every copy is answered and recycled.
	for i := range 200 {
		cl.Send(fmt.Sprintf("set /*/*/many%d 0 0 1\r\nx\r\n", i))
	}
	for i := range 200 {
		if got := cl.ReadReply(); got != "STORED\r\n" {
			t.Fatalf("broadcast %d: %q", i, got)
		}
	}
	eventually(t, "last broadcast everywhere", func() bool {
		return has(t, c.ea, "many199") && has(t, c.eb, "many199") && has(t, c.wa, "many199") && has(t, c.wf, "many199")
	})
}

func TestSendInvalidRouteToDefault(t *testing.T) {
	c := startClusters(t)
	p := startProxy(t, c.cfg, engine.Options{}, router.Options{DefaultRoute: "/east/a/", SendInvalidRouteToDefault: true})
	cl := mctest.Dial(t, p.Addr)
	if got := cl.Do("set /nowhere/x/lost 0 0 1\r\nv\r\n"); got != "STORED\r\n" {
		t.Fatalf("%q", got)
	}
	if !has(t, c.ea, "lost") {
		t.Errorf("not sent to the default route")
	}
}

func TestDebugKeys(t *testing.T) {
	c := startClusters(t)
	flags := [][2]string{{"ports", "5000"}, {"num_proxies", "2"}, {"default_route", "/east/a/"}}
	p := startProxy(t, c.cfg, engine.Options{Flags: flags}, router.Options{DefaultRoute: "/east/a/"})
	cl := mctest.Dial(t, p.Addr)
	sum := md5.Sum([]byte(c.cfg))
	value := func(key, text string) string {
		return fmt.Sprintf("VALUE %s 0 %d\r\n%s\r\nEND\r\n", key, len(text), text)
	}
	for _, tc := range []struct{ cmd, text string }{
		{"version", engine.Version + " mcroute"},
		{"config_md5_digest", hex.EncodeToString(sum[:])},
		{"config_file", "test.json"},
		{"options", "ports 5000\nnum_proxies 2\ndefault_route /east/a/"},
		{"options(num_proxies)", "2"},
		{"options(nope)", "ERROR: options: option nope not found"},
		{"route(get,/east/b/k)", c.eb.Addr},
		{"route(set,/east/*/k)", c.ea.Addr + "\r\n" + c.eb.Addr},
		{"route(get,k,with,commas)", c.ea.Addr},
		{"route(get)", "ERROR: route: 2 args expected"},
		{"route_handles(get,/west/x/k)", "proxy\n root\n  host|pool=WF|id=0|ap=" + c.wf.Addr + ":ascii:plain:notcompressed|timeout=1000ms|keep_routing_prefix=false|msb=0"},
		{"foo", "ERROR: unknown command: foo"},
	} {
		key := "__mcrouter__." + tc.cmd
		if got := cl.Do("get " + key + "\r\n"); got != value(key, tc.text) {
			t.Errorf("%s:\n got %q\nwant %q", tc.cmd, got, value(key, tc.text))
		}
	}
	if got := cl.Do("get __mcrouter__.config_age\r\n"); !strings.HasPrefix(got, "VALUE __mcrouter__.config_age 0 1\r\n") {
		t.Errorf("config_age: %q", got)
	}
	// Only a single-key get is a command; anything else routes the key.
	if got := cl.Do("gets __mcrouter__.version\r\n"); got != "END\r\n" {
		t.Errorf("gets: %q", got)
	}
	if got := cl.Do("get __mcrouter__.version plain\r\n"); got != "END\r\n" {
		t.Errorf("multi-key get: %q", got)
	}
	if got := cl.Do("set __mcrouter__.version 0 0 1\r\nx\r\n"); got != "STORED\r\n" {
		t.Errorf("set: %q", got)
	}
	if !has(t, c.ea, "__mcrouter__.version") {
		t.Errorf("set of a debug key did not reach the default route")
	}
	// Pipelined with ordinary requests, replies stay in order.
	cl.Send("set order 0 0 1\r\n1\r\nget __mcrouter__.version\r\nget order\r\n")
	for i, want := range []string{"STORED\r\n", value("__mcrouter__.version", engine.Version+" mcroute"), "VALUE order 0 1\r\n1\r\nEND\r\n"} {
		if got := cl.ReadReply(); got != want {
			t.Errorf("pipelined reply %d: %q, want %q", i, got, want)
		}
	}
}
