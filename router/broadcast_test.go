package router

import (
	"sort"
	"strings"
	"testing"

	"mcroute/codec/mc"
)

// TestBroadcast: flush_all's handle sends to every child and answers the
// worst reply once all have answered.
func TestBroadcast(t *testing.T) {
	a, b, c := fake("a", mc.ResOK), fake("b", mc.ResRemoteError, "down"), fake("c", mc.ResOK)
	b.deferred = true
	h := newBroadcast([]Handle{a, b, c})
	cb := &capture{}
	h.Route(testCtx(), req("flush_all", ""), cb)
	if len(cb.got) != 0 {
		t.Fatalf("answered before every child: %v", cb.got)
	}
	b.flush()
	if cb.String() != "mc_res_remote_error(down)" {
		t.Fatalf("got %s, want the worst reply", cb)
	}
	for _, f := range []*fakeRoute{a, b, c} {
		if len(f.seen) != 1 || f.seen[0] != "flush_all " {
			t.Errorf("%s saw %v", f.name, f.seen)
		}
	}
	if _, ok := newBroadcast(nil).(nullRoute); !ok {
		t.Error("no destinations: not NullRoute")
	}
	if newBroadcast([]Handle{a}) != Handle(a) {
		t.Error("one destination: not that destination")
	}
}

// TestBuildBroadcast: a built config's broadcast reaches every server
// once, whichever pools and routes name it.
func TestBuildBroadcast(t *testing.T) {
	cfg, err := Build("", []byte(`{"pools":{
		"A":{"servers":["127.0.0.1:1","127.0.0.1:2"]},
		"B":{"servers":["127.0.0.1:2","127.0.0.1:3"]}},
		"route":{"type":"PrefixSelectorRoute","policies":{"a":"PoolRoute|A"},"wildcard":"PoolRoute|B"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	cfg.Broadcast.Traverse(req("flush_all", ""), 0, func(h Handle, depth int) {
		if d, ok := h.(*destination); ok {
			got = append(got, d.HostPort())
		}
	})
	sort.Strings(got)
	if s := strings.Join(got, ","); s != "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3" || len(cfg.Servers) != 3 {
		t.Fatalf("broadcast reaches %s (servers %d)", s, len(cfg.Servers))
	}
}
