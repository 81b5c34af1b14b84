package upstream

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"mcroute/codec/mc"
)

// metaSrv is a Server for a meta destination; its Conns speak meta.
var metaSrv = NewServerProtocol("127.0.0.1", 1, ProtocolMeta, time.Second, 0)

func newMetaTestConn(t *testing.T) (*Conn, *fakeConn, *recorder) {
	t.Helper()
	l := NewLoop(nil, Options{TKO: noTKO})
	c := l.Conn(metaSrv)
	if c.kind != protoMeta {
		t.Fatal("a meta Server's Conn must speak meta")
	}
	f := &fakeConn{}
	c.Attach(f)
	return c, f, &recorder{}
}

func send(c *Conn, r *recorder, name string, req mc.Request) {
	c.Send(metaSrv, &req, req.Key, cb{r, name})
}

// TestMetaDestinationsAreSeparate: meta and ASCII to one address are two
// destinations, with their own connections and stats names.
func TestMetaDestinationsAreSeparate(t *testing.T) {
	a := NewServer("127.0.0.1", 7020, time.Second, 0)
	m := NewServerProtocol("127.0.0.1", 7020, ProtocolMeta, time.Second, 0)
	if a.Dest == m.Dest {
		t.Fatal("ascii and meta share a Destination")
	}
	if m.Dest.Key.Protocol != "meta" || m.Key != "127.0.0.1:7020:meta:plain:notcompressed-1000" {
		t.Fatalf("meta key %+v %q", m.Dest.Key, m.Key)
	}
	l := NewLoop(nil, Options{TKO: noTKO})
	if ca, cm := l.Conn(a), l.Conn(m); ca == cm || ca.kind != protoASCII || cm.kind != protoMeta {
		t.Fatal("one Conn per protocol, each with its own pipeline")
	}
}

// metaCase is one request, what must be written for it, a reply and what
// the client gets.
type metaCase struct {
	name  string
	req   mc.Request
	wire  string // %d: the request's opaque
	reply string // %d: the request's opaque
	want  string
}

var metaCases = []metaCase{
	{"get hit", mc.Request{Op: mc.OpGet, Key: []byte("a")}, "mg a v f O#\r\n", "VA 2 f5 O#\r\nhi\r\n", "get hit:mc_res_found=hi"},
	{"get miss", mc.Request{Op: mc.OpGet, Key: []byte("a")}, "mg a v f O#\r\n", "EN O#\r\n", "get miss:mc_res_notfound"},
	{"gets", mc.Request{Op: mc.OpGets, Key: []byte("a")}, "mg a v f c O#\r\n", "VA 1 f0 c77 O#\r\nx\r\n", "gets:mc_res_found=x"},
	{"gat", mc.Request{Op: mc.OpGat, Key: []byte("a"), Exptime: 9, HasExptime: true}, "mg a v f T9 O#\r\n", "VA 1 f0 O#\r\ny\r\n", "gat:mc_res_found=y"},
	{"gats miss", mc.Request{Op: mc.OpGats, Key: []byte("a"), Exptime: 9, HasExptime: true}, "mg a v f c T9 O#\r\n", "EN O#\r\n", "gats miss:mc_res_notfound"},
	{"touch", mc.Request{Op: mc.OpTouch, Key: []byte("t"), Exptime: 5, HasExptime: true}, "mg t T5 O#\r\n", "HD O#\r\n", "touch:mc_res_touched"},
	{"touch miss", mc.Request{Op: mc.OpTouch, Key: []byte("t"), Exptime: 5, HasExptime: true}, "mg t T5 O#\r\n", "EN O#\r\n", "touch miss:mc_res_notfound"},
	{"set", mc.Request{Op: mc.OpSet, Key: []byte("s"), Flags: 3, Exptime: 60, Value: []byte("xy")}, "ms s 2 F3 T60 O#\r\nxy\r\n", "HD O#\r\n", "set:mc_res_stored"},
	{"add exists", mc.Request{Op: mc.OpAdd, Key: []byte("s"), Value: []byte("xy")}, "ms s 2 ME O#\r\nxy\r\n", "NS O#\r\n", "add exists:mc_res_notstored"},
	{"replace", mc.Request{Op: mc.OpReplace, Key: []byte("s"), Value: []byte("z")}, "ms s 1 MR O#\r\nz\r\n", "HD O#\r\n", "replace:mc_res_stored"},
	{"append", mc.Request{Op: mc.OpAppend, Key: []byte("s"), Value: []byte("z")}, "ms s 1 MA O#\r\nz\r\n", "HD O#\r\n", "append:mc_res_stored"},
	{"prepend miss", mc.Request{Op: mc.OpPrepend, Key: []byte("s"), Value: []byte("z")}, "ms s 1 MP O#\r\nz\r\n", "NS O#\r\n", "prepend miss:mc_res_notstored"},
	{"cas exists", mc.Request{Op: mc.OpCas, Key: []byte("s"), Cas: 12, Value: []byte("z")}, "ms s 1 C12 O#\r\nz\r\n", "EX O#\r\n", "cas exists:mc_res_exists"},
	{"cas not found", mc.Request{Op: mc.OpCas, Key: []byte("s"), Cas: 12, Value: []byte("z")}, "ms s 1 C12 O#\r\nz\r\n", "NF O#\r\n", "cas not found:mc_res_notfound"},
	{"delete", mc.Request{Op: mc.OpDelete, Key: []byte("d")}, "md d O#\r\n", "HD O#\r\n", "delete:mc_res_deleted"},
	{"delete miss", mc.Request{Op: mc.OpDelete, Key: []byte("d")}, "md d O#\r\n", "NF O#\r\n", "delete miss:mc_res_notfound"},
	{"incr", mc.Request{Op: mc.OpIncr, Key: []byte("n"), Delta: 2}, "ma n D2 v O#\r\n", "VA 2 O#\r\n12\r\n", "incr:mc_res_found"},
	{"decr miss", mc.Request{Op: mc.OpDecr, Key: []byte("n"), Delta: 2}, "ma n MD D2 v O#\r\n", "NF O#\r\n", "decr miss:mc_res_notfound"},
	{"incr non-numeric", mc.Request{Op: mc.OpIncr, Key: []byte("n"), Delta: 1}, "ma n D1 v O#\r\n",
		"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", "incr non-numeric:mc_res_client_error(cannot increment or decrement non-numeric value)"},
	{"set too large", mc.Request{Op: mc.OpSet, Key: []byte("s"), Value: []byte("xy")}, "ms s 2 O#\r\nxy\r\n",
		"SERVER_ERROR object too large for cache\r\n", "set too large:mc_res_remote_error(object too large for cache)"},
	// Sent as ASCII on the meta connection, matched by order, no token.
	{"version", mc.Request{Op: mc.OpVersion}, "version\r\n", "VERSION 1.6.18\r\n", "version:mc_res_ok"},
	{"flush_all", mc.Request{Op: mc.OpFlushAll}, "flush_all\r\n", "OK\r\n", "flush_all:mc_res_ok"},
	{"delete with exptime", mc.Request{Op: mc.OpDelete, Key: []byte("d"), Exptime: 10, HasExptime: true}, "delete d 10\r\n",
		"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
		"delete with exptime:mc_res_client_error(bad command line format.  Usage: delete <key> [noreply])"},
}

// fill puts opaque o in place of '#'.
func fill(s string, o int) string { return strings.ReplaceAll(s, "#", strconv.Itoa(o)) }

// TestMetaRoundTrip: every op mcroute routes, written in meta (or ASCII
// where meta has no form) and answered, all pipelined on one connection,
// with the replies split at every byte.
func TestMetaRoundTrip(t *testing.T) {
	var wire, replies, want []string
	o := 0
	for _, tc := range metaCases {
		opaque := 0
		if strings.Contains(tc.wire, "#") {
			o++
			opaque = o
		}
		wire = append(wire, fill(tc.wire, opaque))
		replies = append(replies, fill(tc.reply, opaque))
		want = append(want, tc.want)
	}
	all := strings.Join(replies, "")
	for split := 0; split < len(all); split++ {
		c, f, r := newMetaTestConn(t)
		for _, tc := range metaCases {
			send(c, r, tc.name, tc.req)
		}
		c.loop.Flush()
		if g, w := f.Out.String(), strings.Join(wire, ""); g != w {
			t.Fatalf("wire:\n%q\nwant\n%q", g, w)
		}
		if split > 0 {
			if a := feed(t, c, f, all[:split]); a != gnet.None {
				t.Fatalf("split %d: closed", split)
			}
		}
		if a := feed(t, c, f, all[split:]); a != gnet.None {
			t.Fatalf("split %d: closed after %s", split, strings.Join(r.got, " "))
		}
		if g, w := strings.Join(r.got, " "), strings.Join(want, " "); g != w {
			t.Fatalf("split %d:\n%s\nwant\n%s", split, g, w)
		}
		if c.Pending() != 0 || !c.Up() {
			t.Fatalf("split %d: %d pending, up %v", split, c.Pending(), c.Up())
		}
	}
}

// TestMetaRepliesKeepValues: what the callback sees of a hit and of a
// version and incr reply.
func TestMetaRepliesKeepValues(t *testing.T) {
	c, f, _ := newMetaTestConn(t)
	var got []mc.Reply
	keep := callbackFunc(func(rep *mc.Reply) {
		r := *rep
		r.Value = append([]byte(nil), rep.Value...)
		got = append(got, r)
	})
	c.Send(metaSrv, &mc.Request{Op: mc.OpGets, Key: []byte("k")}, []byte("k"), keep)
	c.Send(metaSrv, &mc.Request{Op: mc.OpVersion}, nil, keep)
	c.Send(metaSrv, &mc.Request{Op: mc.OpIncr, Key: []byte("n"), Delta: 1}, []byte("n"), keep)
	c.loop.Flush()
	feed(t, c, f, "VA 3 f42 c99 O1\r\nabc\r\nVERSION 1.6.18\r\nVA 2 O2\r\n10\r\n")
	if len(got) != 3 {
		t.Fatalf("%d replies", len(got))
	}
	if g := got[0]; g.Result != mc.ResFound || g.Flags != 42 || !g.HasCas || g.Cas != 99 || string(g.Value) != "abc" {
		t.Fatalf("gets: %+v", g)
	}
	if g := got[1]; g.Result != mc.ResOK || string(g.Value) != "1.6.18" {
		t.Fatalf("version: %+v", g)
	}
	if g := got[2]; g.Result != mc.ResFound || g.Number != 10 {
		t.Fatalf("incr: %+v", g)
	}
}

type callbackFunc func(*mc.Reply)

func (f callbackFunc) OnReply(r *mc.Reply) { f(r) }

// TestMetaOpaqueMismatch: a reply that does not carry the head request's
// token (another request's, none, or one where none is due), or of a
// kind the head's op cannot get, is a desync: nothing is delivered for
// it, the connection is dropped and everything pending fails.
func TestMetaOpaqueMismatch(t *testing.T) {
	const bad = ":mc_res_remote_error(Failed to parse reply from server)"
	two := func(c *Conn, r *recorder) {
		send(c, r, "a", mc.Request{Op: mc.OpGet, Key: []byte("a")})
		send(c, r, "b", mc.Request{Op: mc.OpGet, Key: []byte("b")})
	}
	for _, tc := range []struct {
		name  string
		send  func(c *Conn, r *recorder)
		reply string
		want  string
	}{
		{"later request's token first", two, "VA 1 f0 O2\r\nb\r\nEN O1\r\n", "a" + bad + " b" + bad},
		{"token from an earlier connection", two, "EN O7\r\n", "a" + bad + " b" + bad},
		{"no token", two, "EN\r\n", "a" + bad + " b" + bad},
		{"second reply repeats a token", two, "EN O1\r\nEN O1\r\n", "a:mc_res_notfound b" + bad},
		{"HD to a get", two, "HD O1\r\n", "a" + bad + " b" + bad},
		{"VA to a delete", func(c *Conn, r *recorder) {
			send(c, r, "d", mc.Request{Op: mc.OpDelete, Key: []byte("d")})
		}, "VA 1 O1\r\nx\r\n", "d" + bad},
		{"EX to an incr", func(c *Conn, r *recorder) {
			send(c, r, "n", mc.Request{Op: mc.OpIncr, Key: []byte("n"), Delta: 1})
		}, "EX O1\r\n", "n" + bad},
		{"MN to a get", two, "MN\r\n", "a" + bad + " b" + bad},
		{"token on a reply to version", func(c *Conn, r *recorder) {
			send(c, r, "v", mc.Request{Op: mc.OpVersion})
		}, "HD O1\r\n", "v" + bad},
		{"OK to a get", two, "OK\r\n", "a" + bad + " b" + bad},
		{"reply with nothing pending", func(c *Conn, r *recorder) {}, "HD O1\r\n", ""},
		{"ASCII reply", two, "END\r\n", "a" + bad + " b" + bad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f, r := newMetaTestConn(t)
			tc.send(c, r)
			c.loop.Flush()
			if a := feed(t, c, f, tc.reply); a != gnet.Close {
				t.Fatal("a reply that cannot match must drop the connection")
			}
			if g := strings.Join(r.got, " "); g != tc.want {
				t.Fatalf("got  %s\nwant %s", g, tc.want)
			}
			if c.Pending() != 0 || c.Up() {
				t.Fatalf("%d pending, up %v", c.Pending(), c.Up())
			}
			// The next request goes to a fresh connection whose tokens
			// go on from the old counter.
			f2 := &fakeConn{}
			c.Attach(f2)
			send(c, r, "n", mc.Request{Op: mc.OpGet, Key: []byte("n")})
			c.loop.Flush()
			if !strings.HasPrefix(f2.Out.String(), "mg n v f O") {
				t.Fatalf("after reconnect: %q", f2.Out.String())
			}
		})
	}
}

// TestMetaErrorLines: error lines carry no token and answer the head; as
// in ASCII, the connection is dropped after those that may leave memcached
// out of step (ERROR, CLIENT_ERROR to a storage command).
func TestMetaErrorLines(t *testing.T) {
	const lost = ":mc_res_remote_error(Connection reset: a reply left the connection out of step)"
	for _, tc := range []struct {
		name  string
		first mc.Request
		reply string
		want  string
		drop  bool
	}{
		{"SERVER_ERROR to ms", mc.Request{Op: mc.OpSet, Key: []byte("x"), Value: []byte("v")},
			"SERVER_ERROR out of memory storing object\r\n", "x:mc_res_remote_error(out of memory storing object) g:mc_res_notfound", false},
		{"SERVER_ERROR 307 to mg", mc.Request{Op: mc.OpGet, Key: []byte("x")},
			"SERVER_ERROR 307 busy\r\n", "x:mc_res_busy(307 busy) g:mc_res_notfound", false},
		{"CLIENT_ERROR to mg", mc.Request{Op: mc.OpGet, Key: []byte("x")},
			"CLIENT_ERROR bad command line format\r\n", "x:mc_res_client_error(bad command line format) g:mc_res_notfound", false},
		{"CLIENT_ERROR to ms", mc.Request{Op: mc.OpSet, Key: []byte("x"), Value: []byte("v")},
			"CLIENT_ERROR bad data chunk\r\n", "x:mc_res_client_error(bad data chunk) g" + lost, true},
		{"ERROR to md", mc.Request{Op: mc.OpDelete, Key: []byte("x")},
			"ERROR\r\n", "x:mc_res_remote_error g" + lost, true},
		{"ERROR to version", mc.Request{Op: mc.OpVersion},
			"ERROR\r\n", "x:mc_res_remote_error g" + lost, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f, r := newMetaTestConn(t)
			send(c, r, "x", tc.first)
			send(c, r, "g", mc.Request{Op: mc.OpGet, Key: []byte("g")})
			c.loop.Flush()
			next := "EN O2\r\n"
			if tc.first.Op == mc.OpVersion {
				next = "EN O1\r\n"
			}
			a := feed(t, c, f, tc.reply+next)
			if (a == gnet.Close) != tc.drop {
				t.Fatalf("drop %v, want %v", a == gnet.Close, tc.drop)
			}
			if g := strings.Join(r.got, " "); g != tc.want {
				t.Fatalf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

// TestMetaMixedASCII: version and flush_all have no meta form and go as
// ASCII lines between meta commands on the same connection; their replies
// are matched by order, the meta ones around them by token.
func TestMetaMixedASCII(t *testing.T) {
	c, f, r := newMetaTestConn(t)
	send(c, r, "a", mc.Request{Op: mc.OpGet, Key: []byte("a")})
	send(c, r, "v", mc.Request{Op: mc.OpVersion})
	send(c, r, "s", mc.Request{Op: mc.OpSet, Key: []byte("s"), Value: []byte("xy")})
	send(c, r, "f", mc.Request{Op: mc.OpFlushAll})
	send(c, r, "b", mc.Request{Op: mc.OpGet, Key: []byte("b")})
	c.loop.Flush()
	if w := "mg a v f O1\r\nversion\r\nms s 2 O2\r\nxy\r\nflush_all\r\nmg b v f O3\r\n"; f.Out.String() != w {
		t.Fatalf("wire %q, want %q", f.Out.String(), w)
	}
	if a := feed(t, c, f, "EN O1\r\nVERSION 1.6.18\r\nHD O2\r\nOK\r\nVA 1 f0 O3\r\nB\r\n"); a != gnet.None {
		t.Fatal("closed")
	}
	if g := strings.Join(r.got, " "); g != "a:mc_res_notfound v:mc_res_ok s:mc_res_stored f:mc_res_ok b:mc_res_found=B" {
		t.Fatal(g)
	}
	// An ASCII reply where a meta one is due, and the other way round.
	c, f, r = newMetaTestConn(t)
	send(c, r, "f", mc.Request{Op: mc.OpFlushAll})
	send(c, r, "a", mc.Request{Op: mc.OpGet, Key: []byte("a")})
	c.loop.Flush()
	if a := feed(t, c, f, "EN O1\r\nOK\r\n"); a != gnet.Close {
		t.Fatal("a meta reply to flush_all must drop the connection")
	}
}

// TestMetaNoCoalescing: gets are one mg each, all in one write per flush;
// invalid keys are never written.
func TestMetaNoCoalescing(t *testing.T) {
	c, f, r := newMetaTestConn(t)
	for _, k := range []string{"a", "b c", "b", strings.Repeat("k", 251), "c"} {
		send(c, r, k, mc.Request{Op: mc.OpGet, Key: []byte(k)})
	}
	c.loop.Flush()
	if w := "mg a v f O1\r\nmg b v f O2\r\nmg c v f O3\r\n"; f.Out.String() != w {
		t.Fatalf("wire %q", f.Out.String())
	}
	if n := strings.Count(strings.Join(r.got, " "), "bad_key"); n != 2 {
		t.Fatalf("got %v", r.got)
	}
}
