package upstream

import (
	"strings"
	"testing"
	"time"

	"mcroute/codec/mc"
)

// TestTimeoutsComeFromTheRequestsServer: two Servers naming one host with
// different timeouts (two pools, or a reload that changed them) share the
// Destination and its connection, but each request keeps its own Server's
// reply timeout, and a dial its own Server's connect timeout.
func TestTimeoutsComeFromTheRequestsServer(t *testing.T) {
	fast := NewServer("127.0.0.1", 7001, 100*time.Millisecond, 50*time.Millisecond)
	slow := NewServer("127.0.0.1", 7001, 5*time.Second, 3*time.Second)
	if fast.Dest != slow.Dest || fast.Key == slow.Key {
		t.Fatal("one destination, two stats names expected")
	}
	l := NewLoop(nil, Options{TKO: noTKO})
	var dialed []time.Duration
	l.dialHook = func(_ *Conn, s *Server) { dialed = append(dialed, s.ConnectTimeout) }
	c := l.Conn(slow)
	if l.Conn(fast) != c {
		t.Fatal("Servers of one destination must share the loop's Conn")
	}
	r := &recorder{}
	c.Send(slow, &mc.Request{Op: mc.OpIncr, Key: []byte("s"), Delta: 1}, []byte("s"), cb{r, "s"})
	if len(dialed) != 1 || dialed[0] != 3*time.Second {
		t.Fatalf("dial used connect timeout %v", dialed)
	}
	f := &fakeConn{}
	c.Attach(f)
	c.Send(fast, &mc.Request{Op: mc.OpIncr, Key: []byte("f"), Delta: 1}, []byte("f"), cb{r, "f"})
	l.Flush()
	l.Sweep(l.now + int64(time.Second))
	if g := strings.Join(r.got, " "); g != "f:mc_res_timeout(Reply timeout)" {
		t.Fatalf("after 1s: %s", g)
	}
	// A reload that changes the connect timeout takes effect on the next
	// dial, although the Conn is the same.
	c.down(mc.ResRemoteError, msgConnClosed, true, c.Pending())
	l.Flush()
	c.Send(fast, &mc.Request{Op: mc.OpIncr, Key: []byte("g"), Delta: 1}, []byte("g"), cb{r, "g"})
	if len(dialed) != 2 || dialed[1] != 50*time.Millisecond {
		t.Fatalf("redial used connect timeout %v", dialed)
	}
}

// TestReaddedServerKeepsCounting: a server removed from the config while
// its connection is busy, then re-added, counts into the Destination that
// `stats servers` prints for the new config.
func TestReaddedServerKeepsCounting(t *testing.T) {
	old := NewServer("127.0.0.1", 7002, time.Second, 0)
	other := NewServer("127.0.0.1", 7003, time.Second, 0)
	l := NewLoop(nil, Options{TKO: noTKO})
	c := l.Conn(old)
	f := &fakeConn{}
	c.Attach(f)
	r := &recorder{}
	before := old.Dest.Result(mc.ResStored)
	c.Send(old, &mc.Request{Op: mc.OpSet, Key: []byte("k"), Value: []byte("v")}, []byte("k"), cb{r, "k"})
	l.Flush()
	if !l.Retain([]*Server{other}) { // removed: busy, kept for now
		t.Fatal("busy conn must be kept")
	}
	again := NewServer("127.0.0.1", 7002, time.Second, 0) // re-added by a later config
	if l.Conn(again) != c {
		t.Fatal("re-added server must find its busy Conn")
	}
	feed(t, c, f, "STORED\r\n")
	if again.Dest.Result(mc.ResStored) != before+1 {
		t.Fatal("the reply counted into stats nothing prints")
	}
	line := string(again.Dest.AppendStats(nil))
	if !strings.Contains(line, "up:1") || !strings.Contains(line, "stored:") {
		t.Fatalf("stats line: %s", line)
	}
	if l.Retain([]*Server{again, other}) {
		t.Fatal("nothing should remain to retain")
	}
}

// TestHealthAndPerLoopStats: connection failures reach the shared health
// slot; each loop counts into its own slot and reads sum them.
func TestHealthAndPerLoopStats(t *testing.T) {
	srv := NewServer("127.0.0.1", 7004, time.Second, 0)
	h := &srv.Dest.Health
	f0 := h.Failures()
	var conns []*Conn
	var fakes []*fakeConn
	for i := 0; i < 3; i++ {
		l := NewLoop(nil, Options{TKO: noTKO})
		c := l.Conn(srv)
		f := &fakeConn{}
		c.Attach(f)
		conns, fakes = append(conns, c), append(fakes, f)
	}
	if h.ConnsUp() != 3 {
		t.Fatalf("up %d", h.ConnsUp())
	}
	if _, up, _, _ := srv.Dest.States(); up != 3 {
		t.Fatalf("states up %d", up)
	}
	r := &recorder{}
	for i, c := range conns {
		incr(c, r, "n")
		c.loop.Flush()
		feed(t, c, fakes[i], "1\r\n")
	}
	if srv.Dest.Result(mc.ResFound) < 3 {
		t.Fatal("per-loop results not summed")
	}
	conns[1].OnClose(fakes[1])
	conns[1].loop.Flush()
	if h.ConnsUp() != 2 || h.Failures() != f0+1 {
		t.Fatalf("after a loss: up %d failures %d", h.ConnsUp(), h.Failures()-f0)
	}
	if at, res := h.LastFailure(); at.IsZero() || res != mc.ResRemoteError {
		t.Fatalf("last failure %v %v", at, res)
	}
	if _, up, down, _ := srv.Dest.States(); up != 2 || down != 1 {
		t.Fatalf("states up %d down %d", up, down)
	}
}
