package meta

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// rep is a reply element copied out of the parser.
type rep struct {
	Kind      Kind
	Opaque    uint32
	HasOpaque bool
	Flags     uint64
	Cas       uint64
	TTL       int64
	HasFlags  bool
	HasCas    bool
	HasTTL    bool
	Key       string
	Base64    bool
	Data      string
	Msg       string
	Err       error
}

func repOf(r *Reply) rep {
	return rep{
		Kind: r.Kind, Opaque: r.Opaque, HasOpaque: r.HasOpaque, Flags: r.Flags, Cas: r.Cas,
		TTL: r.TTL, HasFlags: r.HasFlags, HasCas: r.HasCas, HasTTL: r.HasTTL, Key: string(r.Key),
		Base64: r.Base64, Data: string(r.Data), Msg: string(r.Msg),
	}
}

// parseChunks feeds chunks to a fresh ReplyParser and returns what it
// yields, up to and including the first error. Chunks are overwritten once
// consumed, to catch slices that outlive their buffer.
func parseChunks(t testing.TB, chunks [][]byte) []rep {
	var p ReplyParser
	var out []rep
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
			buf = buf[n:]
			if err != nil {
				if ok {
					t.Fatalf("Parse returned ok and %v", err)
				}
				return append(out, rep{Err: err})
			}
			if ok {
				out = append(out, repOf(&p.Reply))
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

func trunc(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

var bad = []rep{{Err: ErrBadReply}}

var replyTests = []struct {
	name string
	in   string
	want []rep
}{
	{"hd", "HD\r\n", []rep{{Kind: KindHD}}},
	{"hd opaque", "HD O9\r\n", []rep{{Kind: KindHD, Opaque: 9, HasOpaque: true}}},
	{"hd LF", "HD O9\n", []rep{{Kind: KindHD, Opaque: 9, HasOpaque: true}}},
	{"va", "VA 3 f7 O5\r\nbar\r\n", []rep{{Kind: KindVA, Flags: 7, HasFlags: true, Opaque: 5, HasOpaque: true, Data: "bar"}}},
	{"va all flags", "VA 3 f7 c1 t-1 O4294967295 kfoo\r\nbar\r\n", []rep{{Kind: KindVA, Flags: 7, HasFlags: true,
		Cas: 1, HasCas: true, TTL: -1, HasTTL: true, Opaque: 1<<32 - 1, HasOpaque: true, Key: "foo", Data: "bar"}}},
	{"va LF", "VA 3 f0\nbar\n", []rep{{Kind: KindVA, HasFlags: true, Data: "bar"}}},
	{"va empty", "VA 0 O1\r\n\r\n", []rep{{Kind: KindVA, Opaque: 1, HasOpaque: true}}},
	{"va binary", "VA 4 O1\r\n\r\n\x00\n\r\n", []rep{{Kind: KindVA, Opaque: 1, HasOpaque: true, Data: "\r\n\x00\n"}}},
	{"va number", "VA 2 O3\r\n15\r\n", []rep{{Kind: KindVA, Opaque: 3, HasOpaque: true, Data: "15"}}},
	{"va base64 key", "VA 1 b kZm9v\r\nx\r\n", []rep{{Kind: KindVA, Base64: true, Key: "Zm9v", Data: "x"}}},
	{"va unknown flags", "VA 1 W X Z s1 O2\r\nx\r\n", []rep{{Kind: KindVA, Opaque: 2, HasOpaque: true, Data: "x"}}},
	{"va flags uint64", "VA 1 f18446744073709551615\r\nx\r\n", []rep{{Kind: KindVA, Flags: 1<<64 - 1, HasFlags: true, Data: "x"}}},
	{"en", "EN\r\n", []rep{{Kind: KindEN}}},
	{"en opaque", "EN O5\r\n", []rep{{Kind: KindEN, Opaque: 5, HasOpaque: true}}},
	{"nf", "NF O8\r\n", []rep{{Kind: KindNF, Opaque: 8, HasOpaque: true}}},
	{"ns", "NS O4\r\n", []rep{{Kind: KindNS, Opaque: 4, HasOpaque: true}}},
	{"ex", "EX O4\r\n", []rep{{Kind: KindEX, Opaque: 4, HasOpaque: true}}},
	{"mn", "MN\r\n", []rep{{Kind: KindMN}}},
	{"ok", "OK\r\n", []rep{{Kind: KindOK}}},
	{"version", "VERSION 1.6.18\r\n", []rep{{Kind: KindVersion, Msg: "1.6.18"}}},
	{"error", "ERROR\r\n", []rep{{Kind: KindError}}},
	{"client error", "CLIENT_ERROR bad command line format\r\n", []rep{{Kind: KindClientError, Msg: "bad command line format"}}},
	{"client error bare", "CLIENT_ERROR\r\n", []rep{{Kind: KindClientError}}},
	{"server error busy", "SERVER_ERROR 307 busy\r\n", []rep{{Kind: KindServerError, Msg: "307 busy"}}},
	{"trailing spaces", "HD O1  \r\n", []rep{{Kind: KindHD, Opaque: 1, HasOpaque: true}}},
	{"pipeline", "VA 1 O1\r\na\r\nEN O2\r\nHD O3\r\nMN\r\n", []rep{
		{Kind: KindVA, Opaque: 1, HasOpaque: true, Data: "a"},
		{Kind: KindEN, Opaque: 2, HasOpaque: true},
		{Kind: KindHD, Opaque: 3, HasOpaque: true},
		{Kind: KindMN},
	}},
	{"then garbage", "HD\r\nSTORED\r\n", []rep{{Kind: KindHD}, {Err: ErrBadReply}}},

	{"empty line", "\r\n", bad},
	{"ascii word", "STORED\r\n", bad},
	{"ascii value", "VALUE k 0 1\r\nx\r\n", bad},
	{"number", "42\r\n", bad},
	{"lowercase", "hd\r\n", bad},
	{"unknown code", "XX\r\n", bad},
	{"three letters", "HDX\r\n", bad},
	{"mn flags", "MN O1\r\n", bad},
	{"ok junk", "OK x\r\n", bad},
	{"opaque overflow", "HD O4294967296\r\n", bad},
	{"opaque text", "HD Oabc\r\n", bad},
	{"opaque empty", "HD O\r\n", bad},
	{"flags bad", "VA 1 fx\r\nx\r\n", bad},
	{"cas bad", "HD c\r\n", bad},
	{"ttl bad", "HD t-\r\n", bad},
	{"key empty", "HD k\r\n", bad},
	{"base64 token", "HD bx\r\n", bad},
	{"flag not a letter", "HD 1\r\n", bad},
	{"flag ctl", "HD s\x01\r\n", bad},
	{"va no size", "VA\r\n", bad},
	{"va bad size", "VA x\r\n", bad},
	{"va too big", "VA 1073741825\r\n", bad},
	{"va bad terminator", "VA 1\r\nxy\r\n", bad},
	{"va CR junk", "VA 1\r\nx\ry", bad},
	{"leading space", " HD\r\n", bad},
	{"binary", "\x81\x00", bad},
	{"line too long", "SERVER_ERROR " + strings.Repeat("x", MaxLineLen), bad},
}

func TestReplyParser(t *testing.T) {
	for _, tt := range replyTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseChunks(t, whole(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", trunc(tt.in), got, tt.want)
			}
		})
	}
}

func TestReplyParserSplit(t *testing.T) {
	for _, tt := range replyTests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				if got := parseChunks(t, splitAt(tt.in, i)); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("split at %d of %q\n got %+v\nwant %+v", i, trunc(tt.in), got, tt.want)
				}
			}
			if got := parseChunks(t, byteByByte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("byte by byte %q\n got %+v\nwant %+v", trunc(tt.in), got, tt.want)
			}
		})
	}
}

func TestReplyParserPipelineSplit(t *testing.T) {
	var in strings.Builder
	var want []rep
	for _, tt := range replyTests {
		if tt.want[len(tt.want)-1].Err == nil {
			in.WriteString(tt.in)
			want = append(want, tt.want...)
		}
	}
	s := in.String()
	for i := 0; i <= len(s); i++ {
		if got := parseChunks(t, splitAt(s, i)); !reflect.DeepEqual(got, want) {
			t.Fatalf("split at %d: got %+v", i, got)
		}
	}
	if got := parseChunks(t, byteByByte(s)); !reflect.DeepEqual(got, want) {
		t.Fatalf("byte by byte: got %+v", got)
	}
}

func TestReplyParserLargeValue(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100000)
	in := append([]byte("VA 1000000 f1 kbig O7\r\n"), data...)
	in = append(in, "\r\nMN\r\n"...)
	for _, chunk := range []int{1, 7, 4096, 65536, len(in)} {
		var p ReplyParser
		var got []rep
		for b := in; len(b) > 0; {
			c := append([]byte(nil), b[:min(chunk, len(b))]...)
			b = b[len(c):]
			for len(c) > 0 {
				n, ok, err := p.Parse(c)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = append(got, repOf(&p.Reply))
				}
				c = c[n:]
			}
		}
		if len(got) != 2 || got[0].Data != string(data) || got[0].Key != "big" || got[0].Opaque != 7 || got[1].Kind != KindMN {
			t.Fatalf("chunk %d: got %d elements", chunk, len(got))
		}
	}
}

func TestReplyParserBroken(t *testing.T) {
	var p ReplyParser
	if _, _, err := p.Parse([]byte("HUH\r\n")); err != ErrBadReply {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := p.Parse([]byte("HD\r\n")); err != ErrBadReply {
		t.Fatalf("after error: %v", err)
	}
	if _, _, err := p.Parse(nil); err != ErrBadReply {
		t.Fatalf("after error, empty: %v", err)
	}
	p.Reset()
	if _, ok, err := p.Parse([]byte("HD\r\n")); !ok || err != nil || p.Reply.Kind != KindHD {
		t.Fatalf("after Reset: ok=%v err=%v", ok, err)
	}
	p.Parse([]byte("VA 10\r\nab"))
	if !p.Pending() {
		t.Fatal("not pending mid-value")
	}
	p.Reset()
	if p.Pending() {
		t.Fatal("pending after Reset")
	}
	if _, ok, err := p.Parse([]byte("NS\r\n")); !ok || err != nil || p.Reply.Kind != KindNS {
		t.Fatalf("after Reset mid-value: ok=%v err=%v", ok, err)
	}
}

func TestReplyParserAliasing(t *testing.T) {
	var p ReplyParser
	in := []byte("VA 3 kk\r\nabc\r\n")
	if _, ok, _ := p.Parse(in); !ok {
		t.Fatal("not ok")
	}
	if &p.Reply.Data[0] != &in[9] || &p.Reply.Key[0] != &in[6] {
		t.Fatal("whole element was copied")
	}
}
