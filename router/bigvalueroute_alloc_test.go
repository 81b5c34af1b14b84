//go:build !race

package router

import (
	"bytes"
	"runtime"
	"testing"

	"mcroute/codec/mc"
)

// sinkRoute answers STORED for sets and, for gets, the index or a chunk
// of a shared buffer: it keeps nothing, so the allocations measured are
// BigValueRoute's own.
type sinkRoute struct {
	index []byte
	chunk []byte
	sent  int
	rep   mc.Reply // a Reply on the stack would escape through OnReply
}

func (s *sinkRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	s.sent += len(req.Value)
	s.rep = mc.Reply{Result: mc.ResStored}
	if req.Op.IsGet() {
		s.rep = mc.Reply{Result: mc.ResFound, Value: s.chunk}
		if !bytes.ContainsRune(req.Key, ':') {
			s.rep = mc.Reply{Result: mc.ResFound, Flags: BigValueFlag, Value: s.index}
		}
	}
	cb.OnReply(&s.rep)
}
func (s *sinkRoute) Name() string                                       { return "sink" }
func (s *sinkRoute) Children() []Handle                                 { return nil }
func (s *sinkRoute) Traverse(req *mc.Request, depth int, visit Visitor) { visit(s, depth) }

// TestBigValueRouteMemory: a 21,000,015-byte set allocates next to
// nothing (chunks are slices of the client's value); a get allocates the
// joined value and one batch of chunk copies, not N × value.
func TestBigValueRouteMemory(t *testing.T) {
	value := bytes.Repeat([]byte("abc"), 7000005)
	const threshold, batch = 5000, 2
	sink := &sinkRoute{chunk: value[:threshold]}
	h := bigValue(sink, threshold, batch, false)
	ctx := testCtx()
	alloc := func(f func()) uint64 {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		f()
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	r := req("set", "k")
	r.Value = value
	cb := &countCB{}
	set := alloc(func() { h.Route(ctx, r, cb) })
	if cb.n != 1 || sink.sent != len(value)+len("1-4201-")+len(bigSuffix(value)) {
		t.Fatalf("set: %d replies, %d bytes sent", cb.n, sink.sent)
	}
	sink.index = []byte("1-4201-7")
	get := alloc(func() { h.Route(ctx, req("get", "k"), cb) })
	t.Logf("21,000,015-byte value: set allocates %d B, get %d B (joined value %d B)", set, get, 4201*threshold)
	if set > 64<<10 {
		t.Errorf("set allocated %d B: chunks should be slices of the value", set)
	}
	if get > 4201*threshold+batch*threshold+64<<10 {
		t.Errorf("get allocated %d B: want the joined value plus one batch", get)
	}
}

// TestBigValueRouteAllocs: values at or under the threshold, gets of
// plain items and other ops allocate nothing through a BigValueRoute.
func TestBigValueRouteAllocs(t *testing.T) {
	h := bigValue(quietRoute{mc.ResFound}, 100, 2, false)
	ctx := testCtx()
	get, set, del := req("get", "k"), req("set", "k"), req("delete", "k")
	set.Value = bytes.Repeat([]byte("v"), 100)
	cb := &countCB{}
	h.Route(ctx, get, cb)
	if n := testing.AllocsPerRun(1000, func() {
		h.Route(ctx, get, cb)
		h.Route(ctx, set, cb)
		h.Route(ctx, del, cb)
	}); n != 0 {
		t.Errorf("%v allocs", n)
	}
}
