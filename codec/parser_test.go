package codec

import (
	"bytes"
	"encoding/binary"
	"mcroute/codec/mc"
	"reflect"
	"strings"
	"testing"
)

// req is a request as a test sees it: copied out of the parser, with the
// error that ended it, if any.
type req struct {
	Op         mc.Op
	Keys       []string
	Flags      uint64
	Exptime    int64
	Cas        uint64
	Delta      uint64
	Value      string
	Args       string
	Noreply    bool
	HasExptime bool
	Err        error
}

func reqOf(r *Request, err error) req {
	out := req{
		Op: r.Op, Flags: r.Flags, Exptime: r.Exptime, Cas: r.Cas, Delta: r.Delta,
		Value: string(r.Value), Args: string(r.Args), Noreply: r.Noreply,
		HasExptime: r.HasExptime, Err: err,
	}
	for _, k := range r.Keys {
		out.Keys = append(out.Keys, string(k))
	}
	return out
}

// parseChunks feeds chunks to a fresh Parser the way a connection does and
// returns what it yields, up to and including the first ErrMalformed. Each
// chunk is overwritten after Parse returns ok == false, to catch slices that
// outlive the buffer they point into. It also checks the n/ok contract.
func parseChunks(t testing.TB, chunks [][]byte) []req {
	var p Parser
	var out []req
	for _, c := range chunks {
		orig := append([]byte(nil), c...)
		buf := orig
		for len(buf) > 0 {
			n, ok, err := p.Parse(buf)
			if n <= 0 || n > len(buf) {
				t.Fatalf("Parse consumed %d of %d bytes", n, len(buf))
			}
			if err == nil && !ok && n != len(buf) {
				t.Fatalf("Parse returned ok=false after %d of %d bytes", n, len(buf))
			}
			if ok && err != nil {
				t.Fatalf("Parse returned ok and %v", err)
			}
			buf = buf[n:]
			switch {
			case err == ErrMalformed:
				return append(out, req{Err: err})
			case err != nil && err != ErrBadKey:
				t.Fatalf("Parse returned unexpected error %v", err)
			case ok || err != nil:
				out = append(out, reqOf(&p.Req, err))
			}
		}
		for i := range orig {
			orig[i] = 'X'
		}
	}
	return out
}

func whole(s string) [][]byte { return [][]byte{[]byte(s)} }

func splitAt(s string, i int) [][]byte { return [][]byte{[]byte(s[:i]), []byte(s[i:])} }

func byteByByte(s string) [][]byte {
	out := make([][]byte, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = []byte(s[i : i+1])
	}
	return out
}

func keys(k ...string) []string { return k }

var k250 = strings.Repeat("k", 250)
var k251 = strings.Repeat("k", 251)

var malformed = []req{{Err: ErrMalformed}}

var requestTests = []struct {
	name string
	in   string
	want []req
}{
	{"get", "get foo\r\n", []req{{Op: mc.OpGet, Keys: keys("foo")}}},
	{"get LF", "get foo\n", []req{{Op: mc.OpGet, Keys: keys("foo")}}},
	{"get multi", "get a bb ccc\r\n", []req{{Op: mc.OpGet, Keys: keys("a", "bb", "ccc")}}},
	{"get spaces", "get   a    b   \r\n", []req{{Op: mc.OpGet, Keys: keys("a", "b")}}},
	{"get max key", "get " + k250 + "\r\n", []req{{Op: mc.OpGet, Keys: keys(k250)}}},
	{"get high bytes", "get \xc3\xa9t\xe9\r\n", []req{{Op: mc.OpGet, Keys: keys("\xc3\xa9t\xe9")}}},
	{"get prefix key", "get /a/b/c:k|#|x\r\n", []req{{Op: mc.OpGet, Keys: keys("/a/b/c:k|#|x")}}},
	{"gets", "gets a b\r\n", []req{{Op: mc.OpGets, Keys: keys("a", "b")}}},
	{"gat", "gat 100 a b\r\n", []req{{Op: mc.OpGat, Exptime: 100, Keys: keys("a", "b")}}},
	{"gat negative", "gat -1 a\r\n", []req{{Op: mc.OpGat, Exptime: -1, Keys: keys("a")}}},
	{"gats", "gats 0 a\n", []req{{Op: mc.OpGats, Keys: keys("a")}}},
	{"set", "set k 5 10 3\r\nabc\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Flags: 5, Exptime: 10, Value: "abc"}}},
	{"set LF", "set k 0 0 3\nabc\n", []req{{Op: mc.OpSet, Keys: keys("k"), Value: "abc"}}},
	{"set mixed terminators", "set k 0 0 3\nabc\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Value: "abc"}}},
	{"set empty", "set k 0 0 0\r\n\r\n", []req{{Op: mc.OpSet, Keys: keys("k")}}},
	{"set data with CRLF", "set k 0 0 4\r\n\r\n\r\n\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Value: "\r\n\r\n"}}},
	{"set noreply", "set k 1 2 1 noreply\r\nx\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Flags: 1, Exptime: 2, Value: "x", Noreply: true}}},
	{"set trailing spaces", "set k 1 2 1   \r\nx\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Flags: 1, Exptime: 2, Value: "x"}}},
	{"set flags uint64", "set k 18446744073709551615 -5 1\r\nx\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Flags: 1<<64 - 1, Exptime: -5, Value: "x"}}},
	{"add", "add k 0 0 1\r\nx\r\n", []req{{Op: mc.OpAdd, Keys: keys("k"), Value: "x"}}},
	{"add noreply", "add k 0 0 1 noreply\r\nx\r\n", []req{{Op: mc.OpAdd, Keys: keys("k"), Value: "x", Noreply: true}}},
	{"replace", "replace k 0 0 1\r\nx\r\n", []req{{Op: mc.OpReplace, Keys: keys("k"), Value: "x"}}},
	{"replace noreply", "replace k 0 0 1 noreply\r\nx\r\n", []req{{Op: mc.OpReplace, Keys: keys("k"), Value: "x", Noreply: true}}},
	{"append", "append k 0 0 1\r\nx\r\n", []req{{Op: mc.OpAppend, Keys: keys("k"), Value: "x"}}},
	{"append noreply", "append k 0 0 1 noreply\r\nx\r\n", []req{{Op: mc.OpAppend, Keys: keys("k"), Value: "x", Noreply: true}}},
	{"prepend", "prepend k 0 0 1\r\nx\r\n", []req{{Op: mc.OpPrepend, Keys: keys("k"), Value: "x"}}},
	{"prepend noreply", "prepend k 0 0 1 noreply\r\nx\r\n", []req{{Op: mc.OpPrepend, Keys: keys("k"), Value: "x", Noreply: true}}},
	{"cas", "cas k 3 4 2 99\r\nab\r\n", []req{{Op: mc.OpCas, Keys: keys("k"), Flags: 3, Exptime: 4, Cas: 99, Value: "ab"}}},
	{"cas noreply", "cas k 3 4 2 99 noreply\r\nab\r\n", []req{{Op: mc.OpCas, Keys: keys("k"), Flags: 3, Exptime: 4, Cas: 99, Value: "ab", Noreply: true}}},
	{"delete", "delete k\r\n", []req{{Op: mc.OpDelete, Keys: keys("k")}}},
	{"delete exptime", "delete k 5\r\n", []req{{Op: mc.OpDelete, Keys: keys("k"), Exptime: 5, HasExptime: true}}},
	{"delete zero", "delete k 0\r\n", []req{{Op: mc.OpDelete, Keys: keys("k"), HasExptime: true}}},
	{"delete noreply", "delete k noreply\r\n", []req{{Op: mc.OpDelete, Keys: keys("k"), Noreply: true}}},
	{"delete exptime noreply", "delete k 0 noreply\r\n", []req{{Op: mc.OpDelete, Keys: keys("k"), HasExptime: true, Noreply: true}}},
	{"incr", "incr k 7\r\n", []req{{Op: mc.OpIncr, Keys: keys("k"), Delta: 7}}},
	{"incr noreply", "incr k 7 noreply\r\n", []req{{Op: mc.OpIncr, Keys: keys("k"), Delta: 7, Noreply: true}}},
	{"decr", "decr k 18446744073709551615\r\n", []req{{Op: mc.OpDecr, Keys: keys("k"), Delta: 1<<64 - 1}}},
	{"decr noreply", "decr k 1 noreply\r\n", []req{{Op: mc.OpDecr, Keys: keys("k"), Delta: 1, Noreply: true}}},
	{"touch", "touch k 10\r\n", []req{{Op: mc.OpTouch, Keys: keys("k"), Exptime: 10}}},
	{"touch noreply", "touch k -1 noreply\r\n", []req{{Op: mc.OpTouch, Keys: keys("k"), Exptime: -1, Noreply: true}}},
	{"version", "version\r\n", []req{{Op: mc.OpVersion}}},
	{"version trailing", "version  \r\n", []req{{Op: mc.OpVersion}}},
	{"verbosity", "verbosity\r\n", []req{{Op: mc.OpVerbosity}}},
	{"verbosity n", "verbosity 1\r\n", []req{{Op: mc.OpVerbosity, Args: "1"}}},
	{"verbosity noreply", "verbosity 1 noreply\r\n", []req{{Op: mc.OpVerbosity, Args: "1", Noreply: true}}},
	{"verbosity bare noreply", "verbosity noreply\r\n", []req{{Op: mc.OpVerbosity, Noreply: true}}},
	{"stats", "stats\r\n", []req{{Op: mc.OpStats}}},
	{"stats args", "stats  detailed  \r\n", []req{{Op: mc.OpStats, Args: "detailed"}}},
	{"stats two args", "stats a b\r\n", []req{{Op: mc.OpStats, Args: "a b"}}},
	{"flush_all", "flush_all\r\n", []req{{Op: mc.OpFlushAll}}},
	{"flush_all delay", "flush_all 10\r\n", []req{{Op: mc.OpFlushAll, Exptime: 10, HasExptime: true, Args: "10"}}},
	{"flush_all noreply", "flush_all noreply\r\n", []req{{Op: mc.OpFlushAll, Noreply: true}}},
	{"flush_all delay noreply", "flush_all 0 noreply\r\n", []req{{Op: mc.OpFlushAll, HasExptime: true, Args: "0", Noreply: true}}},
	{"flush_regex", "flush_regex ^a.*\r\n", []req{{Op: mc.OpFlushRegex, Args: "^a.*"}}},
	{"quit", "quit\r\n", []req{{Op: mc.OpQuit}}},
	{"shutdown", "shutdown\r\n", []req{{Op: mc.OpShutdown}}},
	{"shutdown n", "shutdown 5\r\n", []req{{Op: mc.OpShutdown, Args: "5"}}},
	{"exec", "exec some admin text\r\n", []req{{Op: mc.OpExec, Args: "some admin text"}}},

	// Pipelines.
	{"pipeline", "get a\r\nset b 0 0 1\r\nx\r\ndelete c\nget d e\r\n", []req{
		{Op: mc.OpGet, Keys: keys("a")},
		{Op: mc.OpSet, Keys: keys("b"), Value: "x"},
		{Op: mc.OpDelete, Keys: keys("c")},
		{Op: mc.OpGet, Keys: keys("d", "e")},
	}},
	{"pipeline then malformed", "get a\r\nGET b\r\nget c\r\n", []req{{Op: mc.OpGet, Keys: keys("a")}, {Err: ErrMalformed}}},

	// Bad keys: the request is consumed and the connection goes on.
	{"get bad key", "get " + k251 + "\r\nget a\r\n", []req{
		{Op: mc.OpGet, Keys: keys(k251), Err: ErrBadKey},
		{Op: mc.OpGet, Keys: keys("a")},
	}},
	{"multiget one bad key", "get a " + k251 + " b\r\n", []req{{Op: mc.OpGet, Keys: keys("a", k251, "b"), Err: ErrBadKey}}},
	{"set bad key", "set " + k251 + " 0 0 5\r\nhello\r\nget a\r\n", []req{
		{Op: mc.OpSet, Keys: keys(k251), Err: ErrBadKey},
		{Op: mc.OpGet, Keys: keys("a")},
	}},
	{"set bad key noreply", "set " + k251 + " 0 0 5 noreply\r\nhello\r\n", []req{{Op: mc.OpSet, Keys: keys(k251), Noreply: true, Err: ErrBadKey}}},
	{"set bad key bad terminator", "set " + k251 + " 0 0 5\r\nhelloXX", malformed},
	{"delete bad key", "delete " + k251 + "\r\n", []req{{Op: mc.OpDelete, Keys: keys(k251), Err: ErrBadKey}}},
	{"incr bad key", "incr " + k251 + " 1\r\n", []req{{Op: mc.OpIncr, Keys: keys(k251), Delta: 1, Err: ErrBadKey}}},
	{"touch bad key", "touch " + k251 + " 1\r\n", []req{{Op: mc.OpTouch, Keys: keys(k251), Exptime: 1, Err: ErrBadKey}}},
	{"bad key and bad syntax", "set " + k251 + " x 0 5\r\nhello\r\n", malformed},

	// Malformed.
	{"empty line", "\r\n", malformed},
	{"unknown", "foo bar\r\n", malformed},
	{"uppercase", "GET a\r\n", malformed},
	{"mixed case", "gEt a\r\n", malformed},
	{"leading space", " get a\r\n", malformed},
	{"get no key", "get\r\n", malformed},
	{"get only spaces", "get   \r\n", malformed},
	{"gets no key", "gets\r\n", malformed},
	{"gat no key", "gat 10\r\n", malformed},
	{"gat bad exptime", "gat x a\r\n", malformed},
	{"get tab", "get\ta\r\n", malformed},
	{"get key with tab", "get a\tb\r\n", malformed},
	{"get key with DEL", "get a\x7fb\r\n", malformed},
	{"get key with NUL", "get a\x00\r\n", malformed},
	{"get double CR", "get a\r\r\n", malformed},
	{"bare CR inside", "get a\rb\r\n", malformed},
	{"statsdetailed", "statsdetailed\r\n", malformed},
	{"stats ctl", "stats a\x01\r\n", malformed},
	{"version arg", "version 1\r\n", malformed},
	{"quit arg", "quit now\r\n", malformed},
	{"set missing fields", "set k 0 0\r\n", malformed},
	{"set no key", "set\r\n", malformed},
	{"set non-numeric flags", "set k x 0 1\r\nx\r\n", malformed},
	{"set negative flags", "set k -1 0 1\r\nx\r\n", malformed},
	{"set negative bytes", "set k 0 0 -1\r\n", malformed},
	{"set flags overflow", "set k 18446744073709551616 0 1\r\nx\r\n", malformed},
	{"set exptime overflow", "set k 0 99999999999999999999 1\r\nx\r\n", malformed},
	{"set bare minus", "set k 0 - 1\r\nx\r\n", malformed},
	{"set bytes too big", "set k 0 0 1073741825\r\n", malformed},
	{"set extra field", "set k 0 0 1 noreply x\r\nx\r\n", malformed},
	{"set bad noreply", "set k 0 0 1 norepl\r\nx\r\n", malformed},
	{"set short data", "set k 0 0 5\r\nab\r\nget a\r\n", malformed},
	{"set data ends in CR", "set k 0 0 3\r\nab\r\n", []req{{Op: mc.OpSet, Keys: keys("k"), Value: "ab\r"}}},
	{"set long data", "set k 0 0 1\r\nab\r\n", malformed},
	{"set CR then junk", "set k 0 0 1\r\na\rb", malformed},
	{"cas missing cas", "cas k 0 0 1\r\nx\r\n", malformed},
	{"delete extra", "delete k 0 noreply x\r\n", malformed},
	{"delete bad exptime", "delete k x\r\n", malformed},
	{"delete no key", "delete\r\n", malformed},
	{"incr missing delta", "incr k\r\n", malformed},
	{"incr negative", "incr k -1\r\n", malformed},
	{"touch missing exptime", "touch k\r\n", malformed},
	{"verbosity non-numeric", "verbosity x\r\n", malformed},
	{"flush_all bad delay", "flush_all x\r\n", malformed},
	{"flush_regex no arg", "flush_regex\r\n", malformed},
	{"exec no arg", "exec  \r\n", malformed},
	{"shutdown bad", "shutdown now\r\n", malformed},
	{"meta get", "mg foo v\r\n", malformed},
	{"meta noop", "mn\r\n", malformed},
	{"binary", "\x80\x00\x00\x03", malformed},
	{"lease-get", "lease-get a\r\n", malformed},
	{"line too long", "set " + strings.Repeat("k", MaxLineLen) + " 0 0 1\r\n", malformed},
	{"unterminated line too long", "stats " + strings.Repeat("a", MaxLineLen), malformed},
	{"get line too long", "get " + strings.Repeat("a ", MaxGetLineLen/2), malformed},
}

func TestParser(t *testing.T) {
	for _, tt := range requestTests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseChunks(t, whole(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", trunc(tt.in), got, tt.want)
			}
		})
	}
}

// TestParserSplit feeds every test input split at every byte offset, and
// byte by byte, and expects the same result.
func TestParserSplit(t *testing.T) {
	for _, tt := range requestTests {
		if len(tt.in) > 4096 {
			continue // the long-line cases are covered by TestParserLongLines
		}
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				got := parseChunks(t, splitAt(tt.in, i))
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("split at %d of %q\n got %+v\nwant %+v", i, tt.in, got, tt.want)
				}
			}
			got := parseChunks(t, byteByByte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("byte by byte %q\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParserLongLines(t *testing.T) {
	for _, tt := range requestTests {
		if len(tt.in) <= 4096 {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{1000, 4096, 65536} {
				var chunks [][]byte
				for s := tt.in; len(s) > 0; {
					n := min(chunk, len(s))
					chunks = append(chunks, []byte(s[:n]))
					s = s[n:]
				}
				if got := parseChunks(t, chunks); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("chunks of %d: got %+v, want %+v", chunk, got, tt.want)
				}
			}
		})
	}
}

// TestParserPipelineSplit runs every valid single-request input back to
// back, split at every offset.
func TestParserPipelineSplit(t *testing.T) {
	var in strings.Builder
	var want []req
	for _, tt := range requestTests {
		if len(tt.want) == 1 && tt.want[0].Err == nil && len(tt.in) < 400 {
			in.WriteString(tt.in)
			want = append(want, tt.want[0])
		}
	}
	s := in.String()
	if got := parseChunks(t, whole(s)); !reflect.DeepEqual(got, want) {
		t.Fatalf("whole pipeline:\n got %+v\nwant %+v", got, want)
	}
	for i := 0; i <= len(s); i++ {
		if got := parseChunks(t, splitAt(s, i)); !reflect.DeepEqual(got, want) {
			t.Fatalf("pipeline split at %d: got %+v", i, got)
		}
	}
	if got := parseChunks(t, byteByByte(s)); !reflect.DeepEqual(got, want) {
		t.Fatalf("pipeline byte by byte: got %+v", got)
	}
}

func trunc(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// TestParserBadKeyDataLater checks that a set with an over-long key is
// answered only once its data block, arriving in later reads, is consumed,
// that n then covers it, and that nothing of the data is kept.
func TestParserBadKeyDataLater(t *testing.T) {
	var p Parser
	line := []byte("set " + k251 + " 0 0 100000\r\n")
	n, ok, err := p.Parse(line)
	if n != len(line) || ok || err != nil {
		t.Fatalf("line: n=%d ok=%v err=%v", n, ok, err)
	}
	chunk := bytes.Repeat([]byte("v"), 1000)
	for range 99 {
		if n, ok, err = p.Parse(chunk); n != len(chunk) || ok || err != nil {
			t.Fatalf("data: n=%d ok=%v err=%v", n, ok, err)
		}
	}
	last := append(bytes.Repeat([]byte("v"), 1000), "\r\nget a\r\n"...)
	n, ok, err = p.Parse(last)
	if err != ErrBadKey || ok || n != 1002 {
		t.Fatalf("end: n=%d ok=%v err=%v, want n=1002 ErrBadKey", n, ok, err)
	}
	if string(p.Req.Key()) != k251 || p.Req.Op != mc.OpSet || p.Req.Value != nil {
		t.Fatalf("Req = %+v", p.Req)
	}
	if cap(p.blk.val) != 0 {
		t.Fatalf("bad-key data was kept: cap %d", cap(p.blk.val))
	}
	n, ok, err = p.Parse(last[n:])
	if !ok || err != nil || string(p.Req.Key()) != "a" {
		t.Fatalf("after bad key: n=%d ok=%v err=%v req=%+v", n, ok, err, p.Req)
	}
}

// TestParserHugeClaim checks that a large <bytes> allocates only what
// arrives.
func TestParserHugeClaim(t *testing.T) {
	var p Parser
	in := []byte("set k 0 0 1073741824\r\nabc")
	allocs := testing.AllocsPerRun(1, func() {
		p.Reset()
		if _, ok, err := p.Parse(in); ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	})
	if c := cap(p.blk.val); c > 4096 {
		t.Fatalf("value buffer cap %d after 3 bytes of a 1 GiB claim", c)
	}
	if allocs > 2 {
		t.Fatalf("%v allocations for a 1 GiB claim", allocs)
	}
	// Data trickling in grows the buffer geometrically, by what arrived.
	chunk := bytes.Repeat([]byte("x"), 10000)
	for range 10 {
		p.Parse(chunk)
	}
	if c := cap(p.blk.val); c > 4*100003 {
		t.Fatalf("value buffer cap %d after 100003 bytes", c)
	}
}

// TestParserValueAliasing checks that a value entirely in buf points into
// it and a split one does not.
func TestParserValueAliasing(t *testing.T) {
	var p Parser
	in := []byte("set k 0 0 3\r\nabc\r\n")
	if _, ok, _ := p.Parse(in); !ok {
		t.Fatal("not ok")
	}
	if &p.Req.Value[0] != &in[13] {
		t.Fatal("whole value was copied")
	}
	if &p.Req.Keys[0][0] != &in[4] {
		t.Fatal("key was copied")
	}
	if _, ok, _ := p.Parse(in[:15]); ok {
		t.Fatal("ok on partial")
	}
	if _, ok, _ := p.Parse(in[15:]); !ok {
		t.Fatal("not ok")
	}
	if &p.Req.Value[0] == &in[13] || string(p.Req.Value) != "abc" {
		t.Fatal("split value points into an old buffer")
	}
}

func TestParserBroken(t *testing.T) {
	var p Parser
	if _, _, err := p.Parse([]byte("bogus\r\n")); err != ErrMalformed {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := p.Parse([]byte("get a\r\n")); err != ErrMalformed {
		t.Fatalf("after error: err = %v, want ErrMalformed until Reset", err)
	}
	p.Reset()
	if _, ok, err := p.Parse([]byte("get a\r\n")); !ok || err != nil {
		t.Fatalf("after Reset: ok=%v err=%v", ok, err)
	}
	// Reset in the middle of a data block.
	p.Parse([]byte("set k 0 0 10\r\nabc"))
	p.Reset()
	if _, ok, err := p.Parse([]byte("get b\r\n")); !ok || err != nil || string(p.Req.Key()) != "b" {
		t.Fatalf("after Reset mid-block: ok=%v err=%v", ok, err)
	}
	var pe *ParseError = ErrMalformed
	if !pe.Close || ErrBadKey.Close || pe.Error() != "CLIENT_ERROR malformed request\r\n" {
		t.Fatal("ParseError values")
	}
}

func TestOp(t *testing.T) {
	for op := range mc.Op(mc.NumOps) {
		if op.String() == "unknown" || op.String() == "" {
			t.Errorf("op %d has no name", op)
		}
	}
	if mc.Op(200).String() != "unknown" {
		t.Error("unknown op name")
	}
	if !mc.OpGats.IsGet() || mc.OpSet.IsGet() || !mc.OpCas.IsStorage() || mc.OpDelete.IsStorage() ||
		!mc.OpAppend.IsUpdate() || !mc.OpGets.HasCas() || mc.OpGet.HasCas() {
		t.Error("op predicates")
	}
	var r Request
	if r.Key() != nil {
		t.Error("Key of empty request")
	}
}

func TestParseNumbers(t *testing.T) {
	for _, tt := range []struct {
		in string
		n  uint64
		ok bool
	}{
		{"0", 0, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"000000000000000000000001", 1, true}, {"", 0, false}, {"1a", 0, false}, {"-1", 0, false},
	} {
		if n, ok := parseUint([]byte(tt.in)); n != tt.n || ok != tt.ok {
			t.Errorf("parseUint(%q) = %d, %v", tt.in, n, ok)
		}
	}
	for _, tt := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"-0", 0, true}, {"-9223372036854775808", -1 << 63, true}, {"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false}, {"-", 0, false}, {"--1", 0, false},
	} {
		if n, ok := parseExptime([]byte(tt.in)); n != tt.n || ok != tt.ok {
			t.Errorf("parseExptime(%q) = %d, %v", tt.in, n, ok)
		}
	}
}

func TestHasSpaceOrCtl(t *testing.T) {
	naive := func(b []byte) bool {
		for _, c := range b {
			if c <= ' ' || c == 0x7f {
				return true
			}
		}
		return false
	}
	word := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			w := append([]byte(nil), word...)
			w[pos] = byte(c)
			for _, fill := range []byte{'a', 0x80, 0xff, 0x7e, '!'} {
				for j := range w {
					if j != pos {
						w[j] = fill
					}
				}
				if got := hasSpaceOrCtl(binary.LittleEndian.Uint64(w)); got != naive(w) {
					t.Fatalf("hasSpaceOrCtl(%q) = %v", w, got)
				}
			}
		}
	}
}

func TestParserPendingAndRetention(t *testing.T) {
	var p Parser
	if p.Pending() {
		t.Fatal("pending at start")
	}
	p.Parse([]byte("get a"))
	if !p.Pending() {
		t.Fatal("not pending mid-line")
	}
	if n, ok, _ := p.Parse([]byte("\r\nset")); n != 2 || !ok || p.Pending() {
		t.Fatal("get not complete")
	}
	p.Parse([]byte("set k 0 0 200000\r\n"))
	if !p.Pending() {
		t.Fatal("not pending mid-block")
	}
	big := bytes.Repeat([]byte("v"), 200000)
	p.Parse(big[:100000])
	_, ok, err := p.Parse(append(big[100000:], "\r\n"...))
	if !ok || err != nil || len(p.Req.Value) != 200000 || p.Pending() {
		t.Fatalf("ok=%v err=%v len=%d", ok, err, len(p.Req.Value))
	}
	// The big value buffer lives until the next request starts.
	if _, ok, _ := p.Parse([]byte("get b\r\n")); !ok || cap(p.blk.val) != 0 {
		t.Fatalf("value buffer of cap %d kept", cap(p.blk.val))
	}
	long := "get " + strings.Repeat("k ", 40000) + "\r\n"
	p.Parse([]byte(long[:10]))
	if _, ok, _ := p.Parse([]byte(long[10:])); !ok || len(p.Req.Keys) != 40000 {
		t.Fatal("long get")
	}
	p.Parse([]byte("get b\r\n"))
	if cap(p.lb.scratch) > retainCap || cap(p.Req.Keys) > retainKeys {
		t.Fatalf("kept scratch %d, keys %d", cap(p.lb.scratch), cap(p.Req.Keys))
	}
}

// TestTenThousandByteKeys: mcrouter's test_bad_key_* send 10,000-byte keys
// with set, get, delete, append and prepend; each gets CLIENT_ERROR bad key
// and the connection goes on.
func TestTenThousandByteKeys(t *testing.T) {
	k := strings.Repeat("x", 10000)
	for _, in := range []string{
		"set " + k + " 0 0 5\r\nhello\r\n",
		"get " + k + "\r\n",
		"delete " + k + "\r\n",
		"append " + k + " 0 0 5\r\nhello\r\n",
		"prepend " + k + " 0 0 5\r\nhello\r\n",
	} {
		var p Parser
		buf := []byte(in + "get after\r\n")
		n, ok, err := p.Parse(buf)
		if err != ErrBadKey || ok {
			t.Fatalf("%.12s…: ok=%v err=%v, want ErrBadKey", in, ok, err)
		}
		n2, ok, err := p.Parse(buf[n:])
		if !ok || err != nil || p.Req.Op != mc.OpGet || string(p.Req.Key()) != "after" || n+n2 != len(buf) {
			t.Fatalf("%.12s…: the request after it: ok=%v err=%v req=%+v", in, ok, err, p.Req)
		}
	}
}
