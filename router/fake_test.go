package router

import (
	"mcroute/codec/mc"
	"strings"
	"testing"
)

// fakeRoute is a child handle for route handle tests: it records the keys
// it is asked to route and answers with a scripted reply, at once or, when
// deferred, only when the test calls flush (to control completion order).
type fakeRoute struct {
	name     string
	res      mc.Result
	val, msg string
	deferred bool
	seen     []string
	queue    []mc.Callback
}

func (f *fakeRoute) Route(ctx *Ctx, req *mc.Request, cb mc.Callback) {
	f.seen = append(f.seen, req.Op.String()+" "+string(req.Key))
	if f.deferred {
		f.queue = append(f.queue, cb)
		return
	}
	f.reply(cb)
}

func (f *fakeRoute) reply(cb mc.Callback) {
	rep := mc.Reply{Result: f.res, Value: []byte(f.val), Msg: []byte(f.msg)}
	cb.OnReply(&rep)
	// The reply's buffers are only valid during OnReply: scribble on them
	// to catch handles that keep them without copying.
	for i := range rep.Value {
		rep.Value[i] = '#'
	}
	for i := range rep.Msg {
		rep.Msg[i] = '#'
	}
}

// flush answers every deferred request.
func (f *fakeRoute) flush() {
	q := f.queue
	f.queue = nil
	for _, cb := range q {
		f.reply(cb)
	}
}

func (f *fakeRoute) Name() string       { return f.name }
func (f *fakeRoute) Children() []Handle { return nil }
func (f *fakeRoute) Traverse(req *mc.Request, depth int, visit Visitor) {
	visit(f, depth)
}

// fake returns a fakeRoute answering res (with an optional value/message).
func fake(name string, res mc.Result, text ...string) *fakeRoute {
	f := &fakeRoute{name: name, res: res}
	if len(text) > 0 {
		if res.IsError() {
			f.msg = text[0]
		} else {
			f.val = text[0]
		}
	}
	return f
}

// capture is a Callback that records the replies it gets, as text.
type capture struct{ got []string }

func (c *capture) OnReply(rep *mc.Reply) {
	s := rep.Result.String()
	if len(rep.Value) > 0 {
		s += "=" + string(rep.Value)
	}
	if len(rep.Msg) > 0 {
		s += "(" + string(rep.Msg) + ")"
	}
	c.got = append(c.got, s)
}

func (c *capture) String() string { return strings.Join(c.got, ",") }

// testCtx is a Ctx with no servers, for handles over fake children.
func testCtx() *Ctx { return &Ctx{pools: make([]any, numStateKinds)} }

func req(op string, key string) *mc.Request {
	r := &mc.Request{Key: []byte(key)}
	for o := 0; o < 64; o++ {
		if opName(o) == op {
			r.Op = opFromInt(o)
		}
	}
	return r
}

func TestFakeSelf(t *testing.T) {
	f := fake("a", mc.ResFound, "v")
	c := &capture{}
	f.Route(testCtx(), req("get", "k"), c)
	if c.String() != "mc_res_found=v" || f.seen[0] != "get k" {
		t.Fatal(c.String(), f.seen)
	}
}
