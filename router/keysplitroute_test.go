package router

import (
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func ksRoute(t *testing.T, cfg string, host uint32, d Handle) Handle {
	t.Helper()
	h, err := newKeySplitRoute(&builder{file: "t.json", named: map[string]Handle{"D": d}, opts: Options{HostID: host}}, mustParse(t, cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestKeySplitRoute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   string
		host  uint32
		op    string
		key   string
		res   mc.Result
		slow  bool
		seen  string
		reply string
	}{
		{"own replica 0", `{"destination": "D", "replicas": 3, "all_sync": false}`, 3, "get", "k", mc.ResFound, false, "get k", "mc_res_found"},
		{"own replica 2", `{"destination": "D", "replicas": 3, "all_sync": false}`, 5, "get", "/a/b/k|#|x", mc.ResNotFound, true, "get /a/b/k::2|#|x", "mc_res_notfound"},
		{"set, all_sync", `{"destination": "D", "replicas": 3, "all_sync": true}`, 1, "set", "k", mc.ResStored, false, "set k,set k::2,set k::1", "mc_res_stored"},
		{"set, no all_sync", `{"destination": "D", "replicas": 3, "all_sync": false}`, 1, "set", "k", mc.ResStored, false, "set k::1", "mc_res_stored"},
		{"delete to all", `{"destination": "D", "replicas": 2, "all_sync": false}`, 0, "delete", "k", mc.ResTimeout, false, "delete k::1,delete k", "mc_res_timeout"},
		{"first_hit, all miss", `{"destination": "D", "replicas": 3, "all_sync": false, "first_hit": true}`, 0, "get", "k", mc.ResNotFound, true, "get k,get k::1,get k::2", "mc_res_notfound"},
		{"first_hit, error", `{"destination": "D", "replicas": 2, "all_sync": false, "first_hit": true}`, 0, "get", "k", mc.ResConnectError, false, "get k,get k::1", "mc_res_connect_error"},
		{"long key not split", `{"destination": "D", "replicas": 3, "all_sync": false}`, 1, "get", strings.Repeat("x", 251), mc.ResFound, false, "get " + strings.Repeat("x", 251), "mc_res_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeRoute{name: "D", res: tc.res, deferred: tc.slow}
			h := ksRoute(t, tc.cfg, tc.host, d)
			c := &capture{}
			r := req(tc.op, tc.key)
			h.Route(testCtx(), r, c)
			d.flush()
			if got := strings.Join(d.seen, ","); got != tc.seen {
				t.Errorf("saw %s, want %s", got, tc.seen)
			}
			if c.String() != tc.reply {
				t.Errorf("reply %s, want %s", c, tc.reply)
			}
		})
	}
}

// first_hit answers the first hit without waiting for the rest.
func TestKeySplitFirstHit(t *testing.T) {
	miss := &fakeRoute{name: "D", res: mc.ResNotFound, deferred: true}
	h := ksRoute(t, `{"destination": "D", "replicas": 2, "all_sync": false, "first_hit": true}`, 0, miss)
	if h.Name() != "keysplit|replicas=2|all_sync=false|first_hit=true" {
		t.Errorf("name %q", h.Name())
	}
	ctx := testCtx()
	c := &capture{}
	h.Route(ctx, req("get", "k"), c)
	q := miss.queue
	miss.queue = nil
	q[1].OnReply(&mc.Reply{Result: mc.ResFound, Value: []byte("v")})
	if c.String() != "mc_res_found=v" {
		t.Fatalf("reply %s", c)
	}
	q[0].OnReply(&mc.Reply{Result: mc.ResNotFound})
	if len(c.got) != 1 || free[ksFan](ctx, ksFanKind) != 1 {
		t.Errorf("replies %v", c.got)
	}
	for _, bad := range []string{`{"destination": "D", "replicas": 1, "all_sync": false}`, `{"destination": "D", "replicas": 2}`, `{"replicas": 2, "all_sync": true}`} {
		if _, err := newKeySplitRoute(&builder{named: map[string]Handle{"D": miss}}, mustParse(t, bad), nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
