package upstream

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec/mc"
)

func set(c *Conn, r *recorder, key, val string) {
	c.Send(testSrv, &mc.Request{Op: mc.OpSet, Key: []byte(key), Value: []byte(val)}, []byte(key), cb{r, key})
}

func incr(c *Conn, r *recorder, key string) {
	c.Send(testSrv, &mc.Request{Op: mc.OpIncr, Key: []byte(key), Delta: 1}, []byte(key), cb{r, key})
}

// TestInvalidKeysNeverSent: a key memcached would reject is answered
// SERVER_ERROR The key provided is invalid and never written, so replies
// to the requests around it stay in step.
func TestInvalidKeysNeverSent(t *testing.T) {
	long := strings.Repeat("k", 257)
	c, f, r := newTestConn(t)
	set(c, r, long, "v")
	incr(c, r, "alice")
	incr(c, r, "bob")
	c.loop.Flush()
	if want := "incr alice 1\r\nincr bob 1\r\n"; f.Out.String() != want {
		t.Fatalf("wire: %q, want %q", f.Out.String(), want)
	}
	feed(t, c, f, "11\r\n21\r\n")
	want := long + ":mc_res_bad_key(The key provided is invalid) alice:mc_res_found bob:mc_res_found"
	if g := strings.Join(r.got, " "); g != want {
		t.Fatalf("got %s", g)
	}

	// In a coalesced get line, a bad key fails alone.
	c, f, r = newTestConn(t)
	get(c, r, mc.OpGet, "a", long, "b c", "", "d\x01", "e", strings.Repeat("x", 250))
	c.loop.Flush()
	if want := "get a e " + strings.Repeat("x", 250) + "\r\n"; f.Out.String() != want {
		t.Fatalf("wire: %q", f.Out.String())
	}
	feed(t, c, f, "VALUE e 0 1\r\nE\r\nEND\r\n")
	g := strings.Join(r.got, " ")
	if strings.Count(g, "bad_key(The key provided is invalid)") != 4 || !strings.Contains(g, "e:mc_res_found=E") ||
		!strings.Contains(g, "a:mc_res_notfound") || c.Pending() != 0 {
		t.Fatalf("got %s", g)
	}
}

// TestRepliesThatCannotMatch: a reply whose kind cannot answer the head
// request drops the connection; nothing is delivered for it and every
// pending request fails with a connection error.
func TestRepliesThatCannotMatch(t *testing.T) {
	const bad = "(Failed to parse reply from server)"
	for _, tc := range []struct {
		name  string
		send  func(c *Conn, r *recorder)
		reply string
		want  string
	}{
		{"number to a get", func(c *Conn, r *recorder) { get(c, r, mc.OpGet, "a") }, "5\r\n", "a:mc_res_remote_error" + bad},
		{"STORED to a get", func(c *Conn, r *recorder) { get(c, r, mc.OpGet, "a") }, "STORED\r\n", "a:mc_res_remote_error" + bad},
		{"STORED to a delete", func(c *Conn, r *recorder) {
			c.Send(testSrv, &mc.Request{Op: mc.OpDelete, Key: []byte("d")}, []byte("d"), cb{r, "d"})
		}, "STORED\r\n", "d:mc_res_remote_error" + bad},
		{"VALUE to an incr", func(c *Conn, r *recorder) { incr(c, r, "n") }, "VALUE n 0 1\r\n1\r\nEND\r\n", "n:mc_res_remote_error" + bad},
		{"DELETED to a set", func(c *Conn, r *recorder) { set(c, r, "s", "v") }, "DELETED\r\n", "s:mc_res_remote_error" + bad},
		{"second reply to a set", func(c *Conn, r *recorder) { set(c, r, "s", "v") }, "STORED\r\nSTORED\r\n", "s:mc_res_stored"},
		{"VALUE for another key", func(c *Conn, r *recorder) { get(c, r, mc.OpGet, "a", "b") },
			"VALUE z 0 1\r\nz\r\nEND\r\n", "a:mc_res_remote_error" + bad + " b:mc_res_remote_error" + bad},
		{"VALUE twice for one key", func(c *Conn, r *recorder) { get(c, r, mc.OpGet, "a"); incr(c, r, "n") },
			"VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n", "a:mc_res_found=1 n:mc_res_remote_error" + bad},
		{"END to an incr", func(c *Conn, r *recorder) { incr(c, r, "n") }, "END\r\n", "n:mc_res_remote_error" + bad},
		{"STAT to a touch", func(c *Conn, r *recorder) {
			c.Send(testSrv, &mc.Request{Op: mc.OpTouch, Key: []byte("t")}, []byte("t"), cb{r, "t"})
		}, "STAT pid 1\r\n", "t:mc_res_remote_error" + bad},
		{"CLIENT_ERROR to a set, then ERROR", func(c *Conn, r *recorder) { set(c, r, "s", "v"); incr(c, r, "n") },
			"CLIENT_ERROR bad command line format\r\nERROR\r\n",
			"s:mc_res_client_error(bad command line format) n:mc_res_remote_error(Connection reset: a reply left the connection out of step)"},
		{"bare ERROR to a delete", func(c *Conn, r *recorder) {
			c.Send(testSrv, &mc.Request{Op: mc.OpDelete, Key: []byte("d")}, []byte("d"), cb{r, "d"})
			incr(c, r, "n")
		}, "ERROR\r\n5\r\n", "d:mc_res_remote_error n:mc_res_remote_error(Connection reset: a reply left the connection out of step)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f, r := newTestConn(t)
			tc.send(c, r)
			c.loop.Flush()
			if a := feed(t, c, f, tc.reply); a != gnet.Close {
				t.Errorf("action %v, want Close", a)
			}
			if g := strings.Join(r.got, " "); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
			if c.Pending() != 0 || c.Up() {
				t.Errorf("pending %d, up %v", c.Pending(), c.Up())
			}
		})
	}
}

// TestInStepErrors: errors that are complete answers keep the connection.
func TestInStepErrors(t *testing.T) {
	c, f, r := newTestConn(t)
	incr(c, r, "n")
	set(c, r, "big", "v")
	incr(c, r, "m")
	c.loop.Flush()
	if a := feed(t, c, f, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nSERVER_ERROR object too large for cache\r\n7\r\n"); a != gnet.None {
		t.Fatal("closed")
	}
	want := "n:mc_res_client_error(cannot increment or decrement non-numeric value) big:mc_res_remote_error(object too large for cache) m:mc_res_found"
	if g := strings.Join(r.got, " "); g != want {
		t.Fatal(g)
	}
}

// TestFailedWriteStrandsNothing: gnet closes a connection inside Write
// when write(2) fails. The requests pending on it must fail, and requests
// their callbacks send (here: a retry on the same server) must reach the
// wire of the next connection, not vanish with the dead one's buffer.
func TestFailedWriteStrandsNothing(t *testing.T) {
	l := NewLoop(nil, Options{TKO: noTKO})
	var dials int
	l.dialHook = func(*Conn, *Server) { dials++ }
	c := l.Conn(testSrv)
	f := &fakeConn{WriteErr: errors.New("broken pipe")}
	c.Attach(f)
	f.OnClose = func() {
		c.OnClose(f) // what the engine's OnClose does
		l.Flush()    // and then its afterEvent: must not re-enter
	}
	r := &recorder{}
	retry := &retrier{c: c, r: r}
	c.Send(testSrv, &mc.Request{Op: mc.OpIncr, Key: []byte("a"), Delta: 1}, []byte("a"), retry)
	l.Flush()
	if g := strings.Join(r.got, " "); g != "a:mc_res_remote_error(AsyncSocketException: Network error, type = End of file)" {
		t.Fatalf("got %s", g)
	}
	if dials != 1 || c.Pending() != 1 {
		t.Fatalf("retry: %d dials, %d pending", dials, c.Pending())
	}
	f2 := &fakeConn{}
	c.Attach(f2)
	l.Flush()
	if f2.Out.String() != "incr b 1\r\n" {
		t.Fatalf("retry not written to the new connection: %q", f2.Out.String())
	}
	feed(t, c, f2, "3\r\n")
	if g := strings.Join(r.got, " "); !strings.HasSuffix(g, " b:mc_res_found") {
		t.Fatalf("got %s", g)
	}
}

// retrier records the first reply and sends "incr b" on the same Conn.
type retrier struct {
	c    *Conn
	r    *recorder
	done bool
}

func (x *retrier) OnReply(rep *mc.Reply) {
	cb{x.r, "a"}.OnReply(rep)
	if !x.done {
		x.done = true
		x.c.Send(testSrv, &mc.Request{Op: mc.OpIncr, Key: []byte("b"), Delta: 1}, []byte("b"), cb{x.r, "b"})
	}
}

// TestWedgedConnectionNotReused: once sweep drops a wedged connection,
// nothing more is written to it and new requests dial afresh.
func TestWedgedConnectionNotReused(t *testing.T) {
	c, f, r := newTestConn(t)
	var dials int
	c.loop.dialHook = func(*Conn, *Server) { dials++ }
	get(c, r, mc.OpGet, "a")
	incr(c, r, "n")
	c.loop.Flush()
	c.loop.Sweep(c.loop.now + int64(10*time.Second))
	c.loop.Flush()
	if !f.Closed || c.Up() {
		t.Fatal("wedged connection not dropped")
	}
	f.Out.Reset()
	incr(c, r, "m")
	c.loop.Flush()
	if f.Out.Len() != 0 || dials != 1 {
		t.Fatalf("written to the dropped socket: %q, %d dials", f.Out.String(), dials)
	}
	// A late reply on the old socket reaches nobody.
	if a := feed(t, c, f, "END\r\n1\r\n"); a != gnet.Close {
		t.Fatal("traffic on a dropped socket must close it")
	}
	f2 := &fakeConn{}
	c.Attach(f2)
	c.loop.Flush()
	feed(t, c, f2, "8\r\n")
	want := "a:mc_res_timeout(Reply timeout) n:mc_res_timeout(Reply timeout) m:mc_res_found"
	if g := strings.Join(r.got, " "); g != want {
		t.Fatalf("got  %s\nwant %s", g, want)
	}
}
