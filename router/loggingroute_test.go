package router

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestLoggingRoute(t *testing.T) {
	for _, tc := range []struct {
		name    string
		child   *fakeRoute // nil: no target
		op, key string
		want    string
		line    string
	}{
		{"hit", fake("t", mc.ResFound, "v"), "get", "k1", "mc_res_found=v", "logging: get k1 mc_res_found "},
		{"miss", fake("t", mc.ResNotFound), "get", "k2", "mc_res_notfound", "logging: get k2 mc_res_notfound "},
		{"error", fake("t", mc.ResTimeout, "Reply timeout"), "set", "k3", "mc_res_timeout(Reply timeout)", "logging: set k3 mc_res_timeout "},
		{"slow", &fakeRoute{name: "t", res: mc.ResDeleted, deferred: true}, "delete", "k4", "mc_res_deleted", "logging: delete k4 mc_res_deleted "},
		{"no target", nil, "set", "k5", "mc_res_notstored", "logging: set k5 mc_res_notstored "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			logf := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
			var target Handle
			if tc.child != nil {
				target = tc.child
			}
			h := newLogging(target, logf)
			r := req(tc.op, tc.key)
			r.ClientIP = netip.MustParseAddr("127.0.0.2")
			cb := &capture{}
			h.Route(testCtx(), r, cb)
			if tc.child != nil {
				if tc.child.deferred && len(lines) != 0 {
					t.Error("logged before the reply")
				}
				tc.child.flush()
			}
			if cb.String() != tc.want {
				t.Errorf("%s, want %s", cb, tc.want)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.line) || !strings.HasSuffix(lines[0], "us client=127.0.0.2") {
				t.Errorf("logged %q, want %q...us client=127.0.0.2", lines, tc.line)
			}
		})
	}
}

func TestLoggingRouteRateLimit(t *testing.T) {
	var lines []string
	h := newLogging(fake("t", mc.ResFound), func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) })
	for i := 0; i < 3*loggingRouteMaxPerSecond; i++ {
		h.Route(testCtx(), req("get", "k"), &capture{})
	}
	if len(lines) > 2*loggingRouteMaxPerSecond+1 {
		t.Errorf("%d lines for %d requests in (at most) two seconds", len(lines), 3*loggingRouteMaxPerSecond)
	}
	if !strings.HasSuffix(lines[0], "client=N/A") {
		t.Errorf("no client IP: %q", lines[0])
	}
}

func TestLoggingRouteBuild(t *testing.T) {
	f := fake("t", mc.ResFound)
	for _, cfg := range []string{`{"target":"T"}`, `"T"`} {
		h := mustBuildNamed(t, "LoggingRoute", cfg, map[string]Handle{"T": f})
		if h.Name() != "logging" || len(h.Children()) != 1 || h.Children()[0] != f {
			t.Errorf("%s: built %s %v", cfg, h.Name(), h.Children())
		}
	}
	if h := mustBuildNamed(t, "LoggingRoute", `{}`, nil); len(h.Children()) != 0 {
		t.Errorf("no target: children %v", h.Children())
	}
	// --enable-logging-route: a LoggingRoute over the whole tree.
	c, err := Build("", []byte(`{"route":"NullRoute"}`), Options{EnableLoggingRoute: true, Logf: func(string, ...any) {}})
	if err != nil {
		t.Fatal(err)
	}
	if p := path(c.Root, req("get", "k")); len(p) < 2 || p[0] != "logging" {
		t.Errorf("root path %v", p)
	}
}
