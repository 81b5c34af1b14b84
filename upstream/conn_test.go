package upstream

import (
	"strings"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec/mc"
	"mcroute/upstream/upstreamtest"
)

type fakeConn = upstreamtest.FakeConn

// testSrv is the Server requests in these tests are sent through: its
// timeouts apply to them, whichever Conn they go to.
var testSrv = NewServer("127.0.0.1", 1, time.Second, 0)

// recorder is a mc.Callback that renders replies as text.
type recorder struct {
	got []string
}

type cb struct {
	r   *recorder
	key string
}

func (c cb) OnReply(rep *mc.Reply) {
	s := c.key + ":" + rep.Result.String()
	if rep.Result == mc.ResFound && len(rep.Value) > 0 {
		s += "=" + string(rep.Value)
	}
	if len(rep.Msg) > 0 {
		s += "(" + string(rep.Msg) + ")"
	}
	c.r.got = append(c.r.got, s)
}

func newTestConn(t *testing.T) (*Conn, *fakeConn, *recorder) {
	l := NewLoop(nil, Options{TKO: noTKO})
	srv := NewServer("127.0.0.1", 1, time.Second, 0)
	c := l.Conn(srv)
	f := &fakeConn{}
	c.Attach(f)
	return c, f, &recorder{}
}

func get(c *Conn, r *recorder, op mc.Op, keys ...string) {
	for _, k := range keys {
		c.Send(testSrv, &mc.Request{Op: op, Key: []byte(k)}, []byte(k), cb{r, k})
	}
}

func feed(t *testing.T, c *Conn, f *fakeConn, s string) gnet.Action {
	t.Helper()
	f.In.WriteString(s)
	a := c.OnTraffic(f)
	c.loop.Flush() // settle, as the engine does at the end of the event
	return a
}

func TestCoalescedGets(t *testing.T) {
	c, f, r := newTestConn(t)
	get(c, r, mc.OpGet, "a", "b", "c")
	c.Send(testSrv, &mc.Request{Op: mc.OpSet, Key: []byte("s"), Value: []byte("xy")}, []byte("s"), cb{r, "s"})
	get(c, r, mc.OpGets, "d")
	get(c, r, mc.OpGet, "e")
	c.loop.Flush()
	want := "get a b c\r\nset s 0 0 2\r\nxy\r\ngets d\r\nget e\r\n"
	if f.Out.String() != want {
		t.Fatalf("wire: %q, want %q", f.Out.String(), want)
	}
	// Split the replies at every byte: the result must not change.
	replies := "VALUE b 0 1\r\nB\r\nEND\r\nSTORED\r\nVALUE d 0 1 77\r\nD\r\nEND\r\nEND\r\n"
	feed(t, c, f, replies)
	wantGot := "a:mc_res_notfound b:mc_res_found=B c:mc_res_notfound s:mc_res_stored d:mc_res_found=D e:mc_res_notfound"
	if g := strings.Join(r.got, " "); g != wantGot {
		t.Fatalf("replies: %s\nwant     %s", g, wantGot)
	}
	for split := 1; split < len(replies); split++ {
		c, f, r := newTestConn(t)
		get(c, r, mc.OpGet, "a", "b", "c")
		c.Send(testSrv, &mc.Request{Op: mc.OpSet, Key: []byte("s"), Value: []byte("xy")}, []byte("s"), cb{r, "s"})
		get(c, r, mc.OpGets, "d")
		get(c, r, mc.OpGet, "e")
		c.loop.Flush()
		feed(t, c, f, replies[:split])
		feed(t, c, f, replies[split:])
		if g := strings.Join(r.got, " "); g != wantGot {
			t.Fatalf("split %d: %s", split, g)
		}
		if c.Pending() != 0 {
			t.Fatalf("split %d: %d pending", split, c.Pending())
		}
	}
}

func TestDuplicateKeysInOneLine(t *testing.T) {
	c, f, r := newTestConn(t)
	get(c, r, mc.OpGet, "a", "a", "b")
	c.loop.Flush()
	feed(t, c, f, "VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n")
	if g := strings.Join(r.got, " "); g != "a:mc_res_found=1 a:mc_res_found=1 b:mc_res_notfound" {
		t.Fatal(g)
	}
}

func TestGetLineError(t *testing.T) {
	c, f, r := newTestConn(t)
	get(c, r, mc.OpGet, "a", "b")
	get(c, r, mc.OpGets, "c")
	c.loop.Flush()
	// memcached gave up on the line; whether an END follows is not
	// certain, so the line's keys get the error and the connection is
	// dropped: c fails with a connection error, not with a guess.
	if a := feed(t, c, f, "SERVER_ERROR out of memory\r\nEND\r\n"); a != gnet.Close {
		t.Fatal("an error line on a get line must drop the connection")
	}
	want := "a:mc_res_remote_error(out of memory) b:mc_res_remote_error(out of memory) c:mc_res_remote_error(Connection reset: a reply left the connection out of step)"
	if g := strings.Join(r.got, " "); g != want {
		t.Fatal(g)
	}
}

func TestUnexpectedReplyClosesConnection(t *testing.T) {
	for _, bad := range []string{
		"VALUE z 0 1\r\nz\r\nEND\r\n", // a key nobody asked for
		"STORED\r\n",                  // not a get reply
		"garbage\r\n",
	} {
		c, f, r := newTestConn(t)
		get(c, r, mc.OpGet, "a")
		c.loop.Flush()
		if a := feed(t, c, f, bad); a != gnet.Close {
			t.Errorf("%q: action %v, want Close", bad, a)
		}
		if g := strings.Join(r.got, " "); g != "a:mc_res_remote_error(Failed to parse reply from server)" {
			t.Errorf("%q: %s", bad, g)
		}
	}
	c, f, _ := newTestConn(t)
	if a := feed(t, c, f, "END\r\n"); a != gnet.Close {
		t.Error("a reply with nothing pending must close the connection")
	}
}

func TestTimeoutThenLateReply(t *testing.T) {
	c, f, r := newTestConn(t)
	get(c, r, mc.OpGet, "a")
	c.Send(testSrv, &mc.Request{Op: mc.OpDelete, Key: []byte("d")}, []byte("d"), cb{r, "d"})
	c.loop.Flush()
	c.loop.Sweep(c.loop.now + int64(2*time.Second))
	if g := strings.Join(r.got, " "); g != "a:mc_res_timeout(Reply timeout) d:mc_res_timeout(Reply timeout)" {
		t.Fatal(g)
	}
	// The late replies are matched to the orphans and dropped; the next
	// request gets its own reply.
	get(c, r, mc.OpGet, "b")
	c.loop.Flush()
	r.got = nil
	feed(t, c, f, "VALUE a 0 1\r\nA\r\nEND\r\nDELETED\r\nVALUE b 0 1\r\nB\r\nEND\r\n")
	if g := strings.Join(r.got, " "); g != "b:mc_res_found=B" {
		t.Fatal(g)
	}
	// A server that stays silent long after a timeout gets reconnected.
	get(c, r, mc.OpGet, "c")
	c.loop.Flush()
	c.loop.Sweep(c.loop.now + int64(10*time.Second))
	if !f.Closed {
		t.Fatal("wedged connection not closed")
	}
}

func TestConnectionLossFailsPending(t *testing.T) {
	c, f, r := newTestConn(t)
	get(c, r, mc.OpGet, "a")
	c.Send(testSrv, &mc.Request{Op: mc.OpIncr, Key: []byte("n"), Delta: 1}, []byte("n"), cb{r, "n"})
	c.loop.Flush()
	c.OnClose(f)
	c.loop.Flush()
	want := "a:mc_res_remote_error(AsyncSocketException: Network error, type = End of file) n:mc_res_remote_error(AsyncSocketException: Network error, type = End of file)"
	if g := strings.Join(r.got, " "); g != want {
		t.Fatal(g)
	}
}

func TestBusyWhenTooManyPending(t *testing.T) {
	l := NewLoop(nil, Options{TKO: noTKO, MaxPending: 2})
	c := l.Conn(NewServer("127.0.0.1", 1, time.Second, 0))
	f := &fakeConn{}
	c.Attach(f)
	r := &recorder{}
	get(c, r, mc.OpGet, "a", "b", "c")
	if g := strings.Join(r.got, " "); g != "c:mc_res_busy(307 busy)" {
		t.Fatal(g)
	}
}

func TestRingGrowth(t *testing.T) {
	c, f, r := newTestConn(t)
	var replies strings.Builder
	for i := 0; i < 300; i++ {
		c.Send(testSrv, &mc.Request{Op: mc.OpIncr, Key: []byte("n"), Delta: 1}, []byte("n"), cb{r, "n"})
		replies.WriteString("1\r\n")
	}
	c.loop.Flush()
	feed(t, c, f, replies.String())
	if len(r.got) != 300 || c.Pending() != 0 {
		t.Fatalf("%d replies, %d pending", len(r.got), c.Pending())
	}
}

func TestRetainClosesIdleDroppedConns(t *testing.T) {
	l := NewLoop(nil, Options{TKO: noTKO})
	keepSrv := NewServer("127.0.0.1", 1, time.Second, 0)
	idleSrv := NewServer("127.0.0.1", 2, time.Second, 0)
	busySrv := NewServer("127.0.0.1", 3, time.Second, 0)
	var fakes []*fakeConn
	for _, s := range []*Server{keepSrv, idleSrv, busySrv} {
		f := &fakeConn{}
		l.Conn(s).Attach(f)
		fakes = append(fakes, f)
	}
	r := &recorder{}
	busy := l.Conn(busySrv)
	busy.Send(testSrv, &mc.Request{Op: mc.OpGet, Key: []byte("k")}, []byte("k"), cb{r, "k"})
	keep := []*Server{keepSrv}
	if more := l.Retain(keep); !more {
		t.Fatal("a dropped conn with a request in flight must be kept for now")
	}
	if !fakes[1].Closed || fakes[0].Closed || fakes[2].Closed {
		t.Fatalf("closed: keep %v idle %v busy %v", fakes[0].Closed, fakes[1].Closed, fakes[2].Closed)
	}
	l.Flush()
	fakes[2].In.WriteString("END\r\n")
	busy.OnTraffic(fakes[2])
	if more := l.Retain(keep); more || !fakes[2].Closed || len(l.Conns()) != 1 {
		t.Fatalf("after its reply the dropped conn must close: more=%v conns=%d", more, len(l.Conns()))
	}
	if strings.Join(r.got, " ") != "k:mc_res_notfound" {
		t.Fatal(r.got)
	}
}

func TestBusyWhenServerStopsReading(t *testing.T) {
	l := NewLoop(nil, Options{TKO: noTKO, MaxOutbound: 1000})
	c := l.Conn(NewServer("127.0.0.1", 1, time.Second, 0))
	f := &fakeConn{}
	c.Attach(f)
	r := &recorder{}
	get(c, r, mc.OpGet, "a")
	f.Unsent = 5000 // the server's socket is full, gnet holds the rest
	get(c, r, mc.OpGet, "b")
	if g := strings.Join(r.got, " "); g != "b:mc_res_busy(307 busy)" {
		t.Fatal(g)
	}
}

// noTKO turns health tracking off for the tests of matching and
// connections: they share the destination 127.0.0.1:1, whose tracker
// would otherwise mark it TKO for the tests that follow (tko_test.go
// tests tracking on destinations of its own).
var noTKO = TKOOptions{Disable: true}
