package router

import (
	"fmt"
	"strings"
	"testing"

	"mcroute/codec/mc"
)

// Key placement as mcrouter-behaviour.md §2.2 describes it: split i > 0
// of shard 1 is "1" + 'a'+(i-1)%26 + 'a'+(i-1)/26; this host's split is
// hostid % N; deletes go to every split, split 0 answering.
func TestShardSplitPlacement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		splits string
		hostID uint32
		op     string
		key    string
		res    mc.Result
		slow   bool
		want   []string // keys the pool saw, in order
		reply  string
	}{
		{"split 1 of 3", `{"1": 3}`, 1, "get", "a:1:x", mc.ResFound, false, []string{"get a:1aa:x"}, "mc_res_found=v"},
		{"split 2 of 3", `{"1": 3}`, 5, "get", "a:1:x", mc.ResNotFound, false, []string{"get a:1ba:x"}, "mc_res_notfound"},
		{"split 0 is the key", `{"1": 3}`, 3, "set", "a:1:x", mc.ResStored, false, []string{"set a:1:x"}, "mc_res_stored"},
		{"split 27 of 30", `{"1": 30}`, 27, "get", "a:1:x", mc.ResFound, false, []string{"get a:1ab:x"}, "mc_res_found=v"},
		{"routing prefix kept", `{"12": 2}`, 1, "get", "/r/c/p:12:y|#|z", mc.ResFound, true, []string{"get /r/c/p:12aa:y|#|z"}, "mc_res_found=v"},
		{"other shard", `{"1": 3}`, 1, "get", "a:2:x", mc.ResTimeout, false, []string{"get a:2:x"}, "mc_res_timeout(e)"},
		{"no shard id", `{"1": 3}`, 1, "get", "a1x", mc.ResFound, false, []string{"get a1x"}, "mc_res_found=v"},
		{"delete fans out", `{"1": 3}`, 1, "delete", "a:1:x", mc.ResDeleted, false, []string{"delete a:1aa:x", "delete a:1ba:x", "delete a:1:x"}, "mc_res_deleted"},
		{"delete error", `{"1": 2}`, 0, "delete", "a:1:x", mc.ResConnectError, false, []string{"delete a:1aa:x", "delete a:1:x"}, "mc_res_connect_error(e)"},
		{"object form, no fanout", `{"1": {"old_split_size": 2, "new_split_size": 2, "split_start": 0, "migration_period": 0}}`, 1, "delete", "a:1:x", mc.ResDeleted, false, []string{"delete a:1aa:x"}, "mc_res_deleted"},
		{"migration done", `{"1": {"old_split_size": 1, "new_split_size": 4, "split_start": 100, "migration_period": 10, "fanout_deletes": true}}`, 3, "delete", "a:1:x", mc.ResDeleted, false, []string{"delete a:1aa:x", "delete a:1ba:x", "delete a:1ca:x", "delete a:1:x"}, "mc_res_deleted"},
		{"one split", `{"1": 1}`, 1, "get", "a:1:x", mc.ResFound, false, []string{"get a:1:x"}, "mc_res_found=v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake("P", tc.res)
			switch {
			case tc.res.IsError():
				f.msg = "e"
			case tc.res == mc.ResFound:
				f.val = "v"
			}
			f.deferred = tc.slow
			h, err := (&builder{file: "t.json", opts: Options{HostID: tc.hostID}}).shardSplits(mustParse(t, tc.splits), f)
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := h.(*shardSplitRoute); ok {
				r.now = func() int64 { return 1000 }
				if h.Name() != "shard-split" {
					t.Errorf("name %q", h.Name())
				}
			}
			c := &capture{}
			r := req(tc.op, tc.key)
			h.Route(testCtx(), r, c)
			f.flush()
			if got := strings.Join(f.seen, ","); got != strings.Join(tc.want, ",") {
				t.Errorf("pool saw %s, want %s", got, strings.Join(tc.want, ","))
			}
			if c.String() != tc.reply {
				t.Errorf("reply %s, want %s", c, tc.reply)
			}
		})
	}
}

func TestShardSplitMigrationPerHost(t *testing.T) {
	s := shardSplit{oldSize: 2, newSize: 8, start: 100, period: 50}
	for _, tc := range []struct {
		now           int64
		host          uint32
		size, deletes int
	}{{99, 0, 2, 2}, {150, 0, 8, 8}, {100, 0, 8, 8}, {100, 10, 2, 8}, {110, 10, 8, 8}, {109, 60, 2, 8}} {
		if size, del := s.size(tc.now, tc.host); size != tc.size || del != tc.deletes {
			t.Errorf("now %d host %d: %d/%d, want %d/%d", tc.now, tc.host, size, del, tc.size, tc.deletes)
		}
	}
}

func TestShardSplitConfig(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": {"type": "PoolRoute", "pool": "A", "shard_splits": {"1": 0}}}`, "split count must be a positive integer"},
		{`{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": {"type": "PoolRoute", "pool": "A", "shard_splits": {"1": {"old_split_size": 2}}}}`, "new_split_size is required"},
		{`{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": {"type": "PoolRoute", "pool": "A", "shard_splits": []}}`, "not an object"},
	} {
		if got := buildErr(t, tc.cfg); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %s", tc.cfg, got, tc.want)
		}
	}
	cfg := `{"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": {"type": "PoolRoute", "pool": "A", "shard_splits": {"1": 1000}}}`
	c, err := Build("s.json", []byte(cfg), Options{})
	if err != nil || !strings.Contains(strings.Join(c.Warnings, "\n"), "677 is used") {
		t.Fatalf("%v %v", err, c)
	}
	if n := c.Root.(*rootRoute).def.Name(); n != "shard-split" {
		t.Errorf("root %s", n)
	}
	c, err = Build("s.json", []byte(cfg), Options{DisableShardSplitRoute: true})
	if err != nil || c.Root.(*rootRoute).def.Name() != "selection|hash|Ch3" {
		t.Errorf("--disable-shard-split-route: %v %v", err, fmt.Sprint(c.Root.(*rootRoute).def.Name()))
	}
}
