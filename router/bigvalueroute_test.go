package router

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"mcroute/codec/mc"
	"mcroute/router/hashfunc"
)

// chunkStore is a fake memcached for BigValueRoute tests: it stores sets,
// answers gets, and can fail chosen keys or hold every reply until flush
// (a slow server), counting how many requests it holds at most.
type chunkStore struct {
	items    map[string]chunkItem
	fail     map[string]mc.Result // key → result answered instead
	deferred bool
	queue    []func()
	seen     []string
	inflight int
	maxIn    int
	cas      uint64
}

type chunkItem struct {
	val   []byte
	flags uint64
	cas   uint64
}

func newChunkStore() *chunkStore {
	return &chunkStore{items: map[string]chunkItem{}, fail: map[string]mc.Result{}}
}

func (m *chunkStore) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	key := string(req.Key)
	m.seen = append(m.seen, req.Op.String()+" "+key)
	var val []byte
	if req.Op.IsStorage() {
		val = append([]byte(nil), req.Value...)
	}
	op, flags, exptime := req.Op, req.Flags, req.Exptime
	answer := func() {
		m.inflight--
		rep := mc.Reply{}
		if res, ok := m.fail[key]; ok {
			rep.Result = res
			if res.IsError() {
				rep.Msg = []byte("boom " + key)
			}
			cb.OnReply(&rep)
			return
		}
		switch {
		case op.IsGet():
			it, ok := m.items[key]
			if !ok {
				rep.Result = mc.ResNotFound
				break
			}
			rep = mc.Reply{Result: mc.ResFound, Flags: it.flags, Value: append([]byte(nil), it.val...), Cas: it.cas, HasCas: op.HasCas()}
		case op.IsStorage():
			if exptime < 0 {
				delete(m.items, key)
			} else {
				m.cas++
				m.items[key] = chunkItem{val: val, flags: flags, cas: m.cas}
			}
			rep.Result = mc.ResStored
		case op == mc.OpDelete:
			rep.Result = mc.ResNotFound
			if _, ok := m.items[key]; ok {
				delete(m.items, key)
				rep.Result = mc.ResDeleted
			}
		default:
			rep.Result = mc.ResTouched
		}
		cb.OnReply(&rep)
		for i := range rep.Value {
			rep.Value[i] = '#' // only valid during OnReply
		}
	}
	m.inflight++
	m.maxIn = max(m.maxIn, m.inflight)
	if m.deferred {
		m.queue = append(m.queue, answer)
		return
	}
	answer()
}

// flush answers what is held, including what those answers send, until
// nothing is left.
func (m *chunkStore) flush() {
	for len(m.queue) > 0 {
		q := m.queue
		m.queue = nil
		for _, f := range q {
			f()
		}
	}
}

func (m *chunkStore) Name() string       { return "mem" }
func (m *chunkStore) Children() []Handle { return nil }
func (m *chunkStore) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(m, depth)
}

// bigSuffix is S for value: the low 32 bits of SpookyHashV2-128's h1.
func bigSuffix(value []byte) string {
	h1, _ := hashfunc.SpookyHash128(value, 0, 0)
	return strconv.FormatUint(h1&0xffffffff, 10)
}

// replyText renders a reply with its flags and cas.
type replyText struct{ got []string }

func (c *replyText) OnReply(rep *mc.Reply) {
	s := rep.Result.String()
	if rep.Flags != 0 {
		s += fmt.Sprintf(" flags=%#x", rep.Flags)
	}
	if rep.HasCas {
		s += " cas=" + strconv.FormatUint(rep.Cas, 10)
	}
	if len(rep.Value) > 0 {
		s += " =" + string(rep.Value)
	}
	if len(rep.Msg) > 0 {
		s += " (" + string(rep.Msg) + ")"
	}
	c.got = append(c.got, s)
}

func (c *replyText) String() string { return strings.Join(c.got, ",") }

// do routes one request and returns the reply text (flushing a slow
// target).
func do(t *testing.T, h Handle, m *chunkStore, op, key, value string, flags uint64) string {
	t.Helper()
	r := req(op, key)
	r.Value, r.Flags = []byte(value), flags
	if op == "touch" || op == "set" {
		r.Exptime, r.HasExptime = 100, true
	}
	cb := &replyText{}
	h.Route(testCtx(), r, cb)
	m.flush()
	if len(cb.got) != 1 {
		t.Fatalf("%s %s: %d replies %v", op, key, len(cb.got), cb.got)
	}
	return cb.String()
}

func TestBigValueRoute(t *testing.T) {
	const val = "abcdefghijKLMNOPQRSTuvwxy" // 25 bytes: 3 chunks of 10
	s := bigSuffix([]byte(val))
	type step struct{ op, key, value, want string }
	cases := []struct {
		name   string
		hide   bool
		slow   bool
		setup  func(m *chunkStore)
		steps  []step
		stored map[string]string // item → "flags value" after the steps
	}{
		{name: "small values pass through",
			steps: []step{
				{"set", "k", "0123456789", "mc_res_stored"},
				{"get", "k", "", "mc_res_found flags=0x1 =0123456789"},
			},
			stored: map[string]string{"k": "0x1 0123456789"},
		},
		{name: "big set: chunks then index; get joins them",
			steps: []step{
				{"set", "k", val, "mc_res_stored"},
				{"get", "k", "", "mc_res_found flags=0x8001 =" + val},
				{"gets", "k", "", "mc_res_found flags=0x8001 cas=4 =" + val},
			},
			stored: map[string]string{
				"k:0:" + s: "0x1 abcdefghij", "k:1:" + s: "0x1 KLMNOPQRST", "k:2:" + s: "0x1 uvwxy",
				"k": "0x8001 1-3-" + s,
			},
		},
		{name: "slow server: same result", slow: true,
			steps: []step{
				{"set", "k", val, "mc_res_stored"},
				{"gat", "k", "", "mc_res_found flags=0x8001 =" + val},
			},
		},
		{name: "hide_reply_flag", hide: true,
			steps: []step{
				{"set", "k", val, "mc_res_stored"},
				{"get", "k", "", "mc_res_found flags=0x1 =" + val},
			},
		},
		{name: "a missing chunk is a miss",
			setup: func(m *chunkStore) {
				m.items["k"] = chunkItem{val: []byte("1-3-77"), flags: BigValueFlag}
				m.items["k:0:77"] = chunkItem{val: []byte("aaa")}
				m.items["k:2:77"] = chunkItem{val: []byte("ccc")}
			},
			steps: []step{{"get", "k", "", "mc_res_notfound"}},
		},
		{name: "hand-made index is read back",
			setup: func(m *chunkStore) {
				m.items["k"] = chunkItem{val: []byte("1-3-77"), flags: BigValueFlag | 5, cas: 42}
				m.items["k:0:77"] = chunkItem{val: []byte("aaa")}
				m.items["k:1:77"] = chunkItem{val: []byte("bb")}
				m.items["k:2:77"] = chunkItem{val: []byte("c")}
			},
			steps: []step{{"gets", "k", "", "mc_res_found flags=0x8005 cas=42 =aaabbc"}},
		},
		{name: "chunk error: the worst result, bare",
			setup: func(m *chunkStore) {
				m.items["k"] = chunkItem{val: []byte("1-4-77"), flags: BigValueFlag}
				m.fail["k:1:77"] = mc.ResNotFound
				m.fail["k:2:77"] = mc.ResTimeout
				m.fail["k:3:77"] = mc.ResConnectError // same severity as timeout: the lower chunk wins
			},
			steps: []step{{"get", "k", "", "mc_res_timeout"}},
		},
		{name: "invalid index: default reply",
			setup: func(m *chunkStore) {
				for k, v := range map[string]string{"a": "2-3-77", "b": "1-0-77", "c": "1-3", "d": "1-3-77-", "e": "x", "f": "1-3-", "g": "1-99999999999-1"} {
					m.items[k] = chunkItem{val: []byte(v), flags: BigValueFlag}
				}
			},
			steps: []step{
				{"get", "a", "", "mc_res_notfound"}, {"get", "b", "", "mc_res_notfound"}, {"get", "c", "", "mc_res_notfound"},
				{"get", "d", "", "mc_res_notfound"}, {"get", "e", "", "mc_res_notfound"}, {"gats", "f", "", "mc_res_notfound"},
				{"get", "g", "", "mc_res_notfound"},
			},
		},
		{name: "index error passes through with its message",
			setup: func(m *chunkStore) { m.fail["k"] = mc.ResTimeout },
			steps: []step{{"get", "k", "", "mc_res_timeout (boom k)"}},
		},
		{name: "failed chunk set: worst chunk result, no index",
			setup: func(m *chunkStore) {
				m.fail["k:1:"+s] = mc.ResNotStored
				m.fail["k:2:"+s] = mc.ResRemoteError
			},
			steps:  []step{{"set", "k", val, "mc_res_remote_error"}},
			stored: map[string]string{"k:0:" + s: "0x1 abcdefghij"},
		},
		{name: "failed index set: its reply",
			setup: func(m *chunkStore) { m.fail["k"] = mc.ResTimeout },
			steps: []step{{"set", "k", val, "mc_res_timeout (boom k)"}},
		},
		{name: "other ops pass through; delete removes the index only",
			steps: []step{
				{"set", "k", val, "mc_res_stored"},
				{"touch", "k", "", "mc_res_touched"},
				{"delete", "k", "", "mc_res_deleted"},
				{"get", "k", "", "mc_res_notfound"},
			},
			stored: map[string]string{"k:0:" + s: "0x1 abcdefghij", "k:1:" + s: "0x1 KLMNOPQRST", "k:2:" + s: "0x1 uvwxy"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newChunkStore()
			m.deferred = tc.slow
			if tc.setup != nil {
				tc.setup(m)
			}
			h := bigValue(m, 10, 2, tc.hide)
			for _, st := range tc.steps {
				if got := do(t, h, m, st.op, st.key, st.value, 1); got != st.want {
					t.Errorf("%s %s: %s, want %s", st.op, st.key, got, st.want)
				}
			}
			if tc.stored != nil {
				got := map[string]string{}
				for k, it := range m.items {
					got[k] = fmt.Sprintf("%#x %s", it.flags, it.val)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.stored) {
					t.Errorf("stored %v\nwant %v", got, tc.stored)
				}
			}
		})
	}
}

// Chunks go out batch by batch: at most batch_size in flight, the next
// batch only after the previous one answered, and the index last.
func TestBigValueRouteBatches(t *testing.T) {
	value := bytes.Repeat([]byte("0123456789"), 7) // 7 chunks of 10
	for _, tc := range []struct{ batch, maxIn int }{{2, 2}, {3, 3}, {0, 7}, {100, 7}} {
		m := newChunkStore()
		m.deferred = true
		h := bigValue(m, 10, tc.batch, false)
		r := req("set", "key")
		r.Value = value
		cb := &replyText{}
		h.Route(testCtx(), r, cb)
		if len(m.queue) != min(tc.maxIn, 7) {
			t.Errorf("batch %d: %d sent before any reply", tc.batch, len(m.queue))
		}
		m.flush()
		if cb.String() != "mc_res_stored" || m.maxIn != tc.maxIn {
			t.Errorf("batch %d: %s, %d in flight at most", tc.batch, cb, m.maxIn)
		}
		if last := m.seen[len(m.seen)-1]; last != "set key" || len(m.seen) != 8 {
			t.Errorf("batch %d: sent %v", tc.batch, m.seen)
		}
		m.seen, m.maxIn = nil, 0
		if got := do(t, h, m, "get", "key", "", 0); got != "mc_res_found flags=0x8000 ="+string(value) || m.maxIn != max(1, tc.maxIn) {
			t.Errorf("batch %d: get %s, %d in flight", tc.batch, got, m.maxIn)
		}
	}
}

// Everything answered at once (an instant error for every chunk) does not
// recurse per batch, and the state is reused afterwards.
func TestBigValueRouteInstantReplies(t *testing.T) {
	m := newChunkStore()
	h := bigValue(m, 1, 1, false)
	value := bytes.Repeat([]byte("x"), 20000) // 20000 batches answered during the sends
	ctx := testCtx()
	for i := 0; i < 2; i++ {
		r := req("set", "k")
		r.Value = value
		cb := &replyText{}
		h.Route(ctx, r, cb)
		if cb.String() != "mc_res_stored" {
			t.Fatal(cb)
		}
		r = req("get", "k")
		cb = &replyText{}
		h.Route(ctx, r, cb)
		if cb.String() != "mc_res_found flags=0x8000 ="+string(value) {
			t.Fatal(cb.String()[:40])
		}
	}
}

func TestBigValueRouteConfig(t *testing.T) {
	pools := `"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}`
	cfg, err := Build("bv.json", []byte(`{`+pools+`, "route": {"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": 5000, "batch_size": 2}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := Debug(cfg, &DebugInfo{}, "route_handles(get,k)"); !strings.HasPrefix(got, "proxy\n root\n  big-value|split_threshold=5000|batch_size=2|hide_reply_flag=false\n   selection|") {
		t.Errorf("route_handles: %q", got)
	}
	// Global: one big-value line, over the root.
	for _, tc := range []struct {
		opts    Options
		routing string
		want    string
	}{
		{Options{BigValueSplitThreshold: 1000, BigValueBatchSize: 10}, "", "proxy\n big-value|split_threshold=1000|batch_size=10|hide_reply_flag=false\n  root\n   selection|"},
		{Options{BigValueSplitThreshold: 7, BigValueHideReplyFlag: true}, "", "proxy\n big-value|split_threshold=7|batch_size=0|hide_reply_flag=true\n  root\n"},
		{Options{BigValueSplitThreshold: 7}, `"routing_options": {"enable_global_big_value_route": false},`, "proxy\n root\n"},
		{Options{}, "", "proxy\n root\n"},
	} {
		cfg, err := Build("bv.json", []byte(`{`+tc.routing+pools+`, "route": "PoolRoute|A"}`), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		got := Debug(cfg, &DebugInfo{}, "route_handles(set,k)")
		if !strings.HasPrefix(got, tc.want) || strings.Count(got, "big-value") > 1 {
			t.Errorf("%+v: route_handles %q", tc.opts, got)
		}
	}
	for _, tc := range []struct{ route, want string }{
		{`{"type": "BigValueRoute", "split_threshold": 1, "batch_size": 1}`, "bv.json:1: BigValueRoute: Missing target parameter"},
		{`{"type": "BigValueRoute", "target": "PoolRoute|A", "batch_size": 1}`, "bv.json:1: BigValueRoute: 'split_threshold' is missing"},
		{`{"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": 1}`, "bv.json:1: BigValueRoute: 'batch_size' is missing"},
		{`{"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": 0, "batch_size": 1}`, "bv.json:1: BigValueRoute: split_threshold must be positive"},
		{`{"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": "5", "batch_size": 1}`, "bv.json:1: BigValueRoute: split_threshold must be an integer from 0 to 1073741824"},
		{`{"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": 5, "batch_size": -1}`, "bv.json:1: BigValueRoute: batch_size must be an integer from 0 to 1073741824"},
		{`{"type": "BigValueRoute", "target": "PoolRoute|A", "split_threshold": 5, "batch_size": 1, "hide_reply_flag": 1}`, "bv.json:1: BigValueRoute: hide_reply_flag is not a bool"},
		{`"BigValueRoute|PoolRoute|A"`, "bv.json:1: BigValueRoute is not an object"},
	} {
		_, err := Build("bv.json", []byte(`{`+pools+`, "route": `+tc.route+`}`), Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %s", tc.route, err, tc.want)
		}
	}
}

// The chunk and index formats: hand-checked strings.
func TestBigValueFormats(t *testing.T) {
	if got := string(appendChunkKey(nil, []byte("/a/b/key"), 12, 4294967295)); got != "/a/b/key:12:4294967295" {
		t.Error(got)
	}
	if got := string(appendIndex(nil, 4201, 123)); got != "1-4201-123" {
		t.Error(got)
	}
	// SpookyHashV2-128("hello world", 0, 0).h1 = 14865987102431973981
	// (mcrouter-behaviour.md §3.4); S is its low 32 bits.
	if got := bigSuffix([]byte("hello world")); got != strconv.FormatUint(14865987102431973981&0xffffffff, 10) {
		t.Error(got)
	}
	for _, tc := range []struct {
		in     string
		n      int
		suffix uint64
		ok     bool
	}{
		{"1-3-77", 3, 77, true}, {"1-1-18446744073709551615", 1, 18446744073709551615, true},
		{"1-1-18446744073709551616", 0, 0, false}, {"1-4294967296-1", 0, 0, false}, {" 1-1-1", 0, 0, false},
		{"1--1-1", 0, 0, false}, {"+1-1-1", 0, 0, false}, {"", 0, 0, false},
	} {
		n, s, ok := parseIndex([]byte(tc.in))
		if n != tc.n || s != tc.suffix || ok != tc.ok {
			t.Errorf("%q: %d %d %v", tc.in, n, s, ok)
		}
	}
}
