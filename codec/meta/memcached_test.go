package meta

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"mcroute/codec"
	"mcroute/codec/mc"
)

const memcachedBin = "/usr/bin/memcached"

// startMemcached starts a memcached on a free loopback port and returns its
// address and process; it is killed when tb ends. tb is skipped when the
// binary is missing.
func startMemcached(tb testing.TB) (string, *os.Process) {
	tb.Helper()
	if _, err := os.Stat(memcachedBin); err != nil {
		tb.Skip("no memcached at " + memcachedBin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	args := []string{"-U", "0", "-l", "127.0.0.1", "-p", port, "-m", "64", "-t", "1"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	cmd := exec.Command(memcachedBin, args...)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, cmd.Process
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("memcached on %s did not start", addr)
	return "", nil
}

// client is a blocking test client: it writes requests and reads reply
// elements through a parser, keeping bytes read past an element.
type client struct {
	tb   testing.TB
	c    net.Conn
	buf  []byte // read space
	have []byte // unparsed bytes in buf
}

func dial(tb testing.TB, addr string) *client {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return &client{tb: tb, c: c, buf: make([]byte, 256<<10)}
}

func (c *client) write(b []byte) {
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write(b); err != nil {
		c.tb.Fatal(err)
	}
}

// next feeds parse until it yields an element and returns the raw bytes of
// that element (valid until the next call).
func (c *client) next(parse func([]byte) (int, bool, error), raw *[]byte) {
	for {
		for len(c.have) > 0 {
			n, ok, err := parse(c.have)
			if raw != nil {
				*raw = append(*raw, c.have[:n]...)
			}
			c.have = c.have[n:]
			if err != nil {
				c.tb.Fatalf("parse: %v", err)
			}
			if ok {
				return
			}
		}
		c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.c.Read(c.buf)
		if err != nil {
			c.tb.Fatal(err)
		}
		c.have = c.buf[:n]
	}
}

// asciiReply reads the whole ASCII reply to a single-key request of op and
// returns its raw bytes and, for a gets hit, the cas unique.
func (c *client) asciiReply(p *codec.ReplyParser, op mc.Op) (raw []byte, cas uint64) {
	for {
		c.next(p.Parse, &raw)
		k := p.Reply.Kind
		if k == codec.ReplyValue {
			cas = p.Reply.Cas
		}
		if !op.IsGet() || k != codec.ReplyValue {
			return raw, cas
		}
	}
}

// encodeASCII is the ASCII reply mcroute writes to a client for rep.
func encodeASCII(op mc.Op, key []byte, rep *mc.Reply) []byte {
	switch {
	case rep.Result.IsError():
		return codec.AppendError(nil, rep)
	case op.IsGet():
		var b []byte
		if rep.Result == mc.ResFound {
			b = codec.AppendValue(b, key, rep.Flags, rep.Value, rep.Cas, rep.HasCas)
		}
		return append(b, codec.End...)
	case op == mc.OpVersion:
		return append(append([]byte("VERSION "), rep.Value...), codec.CRLF...)
	}
	return codec.AppendReply(nil, op, rep)
}

// TestAgainstMemcached runs one script of requests against two fresh
// memcached servers, one spoken to in ASCII (codec.AppendRequest) and one
// in meta (AppendRequest), and checks that every meta reply, mapped with
// ToReply and encoded as mcroute encodes replies for clients, equals the
// ASCII reply byte for byte: meta is a drop-in for mcroute's backends.
func TestAgainstMemcached(t *testing.T) {
	aaddr, _ := startMemcached(t)
	maddr, _ := startMemcached(t)
	ac, mcl := dial(t, aaddr), dial(t, maddr)
	var ap codec.ReplyParser
	var mp ReplyParser

	big := bytes.Repeat([]byte("0123456789"), 20000) // spans reads
	const useCas = 1<<64 - 1                         // take the cas of the last gets hit
	script := []struct {
		name string
		r    mc.Request
		key  string
	}{
		{"get miss", mc.Request{Op: mc.OpGet}, "k"},
		{"gets miss", mc.Request{Op: mc.OpGets}, "k"},
		{"set", mc.Request{Op: mc.OpSet, Flags: 7, Value: []byte("bar")}, "k"},
		{"get hit", mc.Request{Op: mc.OpGet}, "k"},
		{"gets hit", mc.Request{Op: mc.OpGets}, "k"},
		{"gat hit", mc.Request{Op: mc.OpGat, Exptime: 100}, "k"},
		{"gats hit", mc.Request{Op: mc.OpGats, Exptime: 0}, "k"},
		{"gat miss", mc.Request{Op: mc.OpGat, Exptime: 100}, "nope"},
		{"touch hit", mc.Request{Op: mc.OpTouch, Exptime: 100}, "k"},
		{"touch miss", mc.Request{Op: mc.OpTouch, Exptime: 100}, "nope"},
		{"add exists", mc.Request{Op: mc.OpAdd, Value: []byte("x")}, "k"},
		{"add new", mc.Request{Op: mc.OpAdd, Flags: 3, Exptime: 1000, Value: []byte("x")}, "k2"},
		{"replace miss", mc.Request{Op: mc.OpReplace, Value: []byte("x")}, "nope"},
		{"replace hit", mc.Request{Op: mc.OpReplace, Flags: 9, Value: []byte("baz")}, "k"},
		{"append hit", mc.Request{Op: mc.OpAppend, Flags: 1, Exptime: 5, Value: []byte("++")}, "k"},
		{"prepend hit", mc.Request{Op: mc.OpPrepend, Value: []byte("--")}, "k"},
		{"append miss", mc.Request{Op: mc.OpAppend, Value: []byte("x")}, "nope"},
		{"prepend miss", mc.Request{Op: mc.OpPrepend, Value: []byte("x")}, "nope"},
		{"get after append", mc.Request{Op: mc.OpGets}, "k"},
		{"cas mismatch", mc.Request{Op: mc.OpCas, Cas: 1, Value: []byte("c")}, "k"},
		{"gets for cas", mc.Request{Op: mc.OpGets}, "k"},
		{"cas match", mc.Request{Op: mc.OpCas, Cas: useCas, Flags: 2, Value: []byte("c")}, "k"},
		{"cas miss", mc.Request{Op: mc.OpCas, Cas: 1, Value: []byte("c")}, "nope"},
		{"get after cas", mc.Request{Op: mc.OpGets}, "k"},
		{"set big", mc.Request{Op: mc.OpSet, Value: big}, "big"},
		{"get big", mc.Request{Op: mc.OpGet}, "big"},
		{"set empty", mc.Request{Op: mc.OpSet, Value: nil}, "empty"},
		{"get empty", mc.Request{Op: mc.OpGet}, "empty"},
		{"set flags 2^32", mc.Request{Op: mc.OpSet, Flags: 1 << 32, Value: []byte("f")}, "f"},
		{"get flags 2^32", mc.Request{Op: mc.OpGet}, "f"},
		{"set flags max32", mc.Request{Op: mc.OpSet, Flags: 1<<32 - 1, Value: []byte("f")}, "f"},
		{"get flags max32", mc.Request{Op: mc.OpGet}, "f"},
		{"set expired", mc.Request{Op: mc.OpSet, Exptime: -1, Value: []byte("e")}, "e"},
		{"get expired", mc.Request{Op: mc.OpGet}, "e"},
		{"set for gat -1", mc.Request{Op: mc.OpSet, Value: []byte("g")}, "g"},
		{"gat -1", mc.Request{Op: mc.OpGat, Exptime: -1}, "g"},
		{"get after gat -1", mc.Request{Op: mc.OpGet}, "g"},
		{"set number", mc.Request{Op: mc.OpSet, Value: []byte("10")}, "n"},
		{"incr", mc.Request{Op: mc.OpIncr, Delta: 5}, "n"},
		{"decr", mc.Request{Op: mc.OpDecr, Delta: 3}, "n"},
		{"decr to zero", mc.Request{Op: mc.OpDecr, Delta: 100}, "n"},
		{"incr wraps", mc.Request{Op: mc.OpIncr, Delta: 1<<64 - 1}, "n"},
		{"incr again", mc.Request{Op: mc.OpIncr, Delta: 2}, "n"},
		{"incr miss", mc.Request{Op: mc.OpIncr, Delta: 1}, "nope"},
		{"decr miss", mc.Request{Op: mc.OpDecr, Delta: 1}, "nope"},
		{"incr non-numeric", mc.Request{Op: mc.OpIncr, Delta: 1}, "k"},
		{"delete hit", mc.Request{Op: mc.OpDelete}, "k"},
		{"delete miss", mc.Request{Op: mc.OpDelete}, "k"},
		{"delete exptime 0", mc.Request{Op: mc.OpDelete, HasExptime: true}, "k2"},
		{"delete exptime", mc.Request{Op: mc.OpDelete, HasExptime: true, Exptime: 5}, "n"},
		{"get after delete exptime", mc.Request{Op: mc.OpGet}, "n"},
		{"version", mc.Request{Op: mc.OpVersion}, ""},
		{"flush_all", mc.Request{Op: mc.OpFlushAll}, ""},
		{"get after flush", mc.Request{Op: mc.OpGet}, "n"},
	}
	var lastCas uint64
	for i, s := range script {
		r := s.r
		if r.Cas == useCas {
			r.Cas = lastCas
		}
		key := []byte(s.key)
		ac.write(codec.AppendRequest(nil, &r, key))
		want, cas := ac.asciiReply(&ap, r.Op)
		if cas != 0 {
			lastCas = cas
		}

		opaque := uint32(1000 + i)
		mcl.write(AppendRequest(nil, &r, key, opaque))
		mcl.next(mp.Parse, nil)
		if !SentAsASCII(&r) && mp.Reply.Kind < KindError && mp.Reply.Opaque != opaque {
			t.Errorf("%s: opaque %d (has %v), want %d", s.name, mp.Reply.Opaque, mp.Reply.HasOpaque, opaque)
		}
		rep, ok := ToReply(r.Op, &mp.Reply)
		if !ok {
			t.Errorf("%s: %v cannot answer %v", s.name, mp.Reply.Kind, r.Op)
			continue
		}
		if got := encodeASCII(r.Op, key, &rep); !bytes.Equal(got, want) {
			t.Errorf("%s: meta gives %q, ascii %q", s.name, trunc(string(got)), trunc(string(want)))
		}
	}
}

// TestQuietAndNoop checks memcached's quiet mode as Silent describes it and
// that mn answers MN once everything before it has been answered.
func TestQuietAndNoop(t *testing.T) {
	addr, _ := startMemcached(t)
	c := dial(t, addr)
	var p ReplyParser
	q := func(op mc.Op, key string, opaque uint32, v string) []byte {
		return AppendRequest(nil, &mc.Request{Op: op, Value: []byte(v), Quiet: true, Exptime: 100}, []byte(key), opaque)
	}
	var b []byte
	b = append(b, q(mc.OpGet, "a", 1, "")...)      // miss: EN suppressed
	b = append(b, q(mc.OpSet, "a", 2, "xy")...)    // stored: HD suppressed
	b = append(b, q(mc.OpAdd, "a", 3, "z")...)     // NS: sent
	b = append(b, q(mc.OpGet, "a", 4, "")...)      // hit: VA sent
	b = append(b, q(mc.OpTouch, "a", 5, "")...)    // touched: HD sent
	b = append(b, q(mc.OpTouch, "nope", 6, "")...) // miss: EN suppressed
	b = append(b, q(mc.OpDelete, "a", 7, "")...)   // deleted: HD suppressed
	b = append(b, q(mc.OpDelete, "a", 8, "")...)   // NF: sent
	b = append(b, q(mc.OpIncr, "a", 9, "")...)     // incr is never quiet: NF
	b = AppendNoop(b)
	c.write(b)
	want := []struct {
		kind   Kind
		opaque uint32
	}{{KindNS, 3}, {KindVA, 4}, {KindHD, 5}, {KindNF, 8}, {KindNF, 9}, {KindMN, 0}}
	for _, w := range want {
		c.next(p.Parse, nil)
		if p.Reply.Kind != w.kind || p.Reply.Opaque != w.opaque {
			t.Fatalf("got %v O%d, want %v O%d", p.Reply.Kind, p.Reply.Opaque, w.kind, w.opaque)
		}
	}
	// The silent ones are what Silent says: check by asking again.
	for _, s := range []struct {
		op  mc.Op
		key string
	}{{mc.OpGet, "a"}, {mc.OpTouch, "nope"}} {
		if res, _ := Silent(s.op); res != mc.ResNotFound {
			t.Fatalf("Silent(%v) = %v", s.op, res)
		}
	}
	c.write(AppendRequest(nil, &mc.Request{Op: mc.OpSet, Value: []byte("1"), Quiet: true}, []byte("s"), 1))
	c.write(AppendRequest(nil, &mc.Request{Op: mc.OpGet}, []byte("s"), 2))
	c.next(p.Parse, nil)
	if rep, ok := ToReply(mc.OpGet, &p.Reply); !ok || rep.Result != mc.ResFound || string(rep.Value) != "1" || p.Reply.Opaque != 2 {
		t.Fatalf("quiet set then get: %+v %v O%d", rep, ok, p.Reply.Opaque)
	}
}
