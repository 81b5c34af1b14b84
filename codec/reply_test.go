package codec

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// rep is a reply element copied out of the parser.
type rep struct {
	Kind   ReplyKind
	Key    string
	Flags  uint64
	Data   string
	Cas    uint64
	HasCas bool
	Number uint64
	Msg    string
	Name   string
	Err    error
}

func repOf(r *Reply) rep {
	return rep{
		Kind: r.Kind, Key: string(r.Key), Flags: r.Flags, Data: string(r.Data), Cas: r.Cas,
		HasCas: r.HasCas, Number: r.Number, Msg: string(r.Msg), Name: string(r.Name),
	}
}

// parseReplyChunks feeds chunks to a fresh ReplyParser and returns what it
// yields, up to and including the first error. Chunks are overwritten once
// consumed, to catch slices that outlive their buffer.
func parseReplyChunks(t testing.TB, chunks [][]byte) []rep {
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

var badReply = []rep{{Err: ErrBadReply}}

var replyTests = []struct {
	name string
	in   string
	want []rep
}{
	{"value", "VALUE foo 5 3\r\nbar\r\n", []rep{{Kind: ReplyValue, Key: "foo", Flags: 5, Data: "bar"}}},
	{"value LF", "VALUE foo 5 3\nbar\n", []rep{{Kind: ReplyValue, Key: "foo", Flags: 5, Data: "bar"}}},
	{"value cas", "VALUE foo 0 3 12345\r\nbar\r\n", []rep{{Kind: ReplyValue, Key: "foo", Data: "bar", Cas: 12345, HasCas: true}}},
	{"value empty", "VALUE foo 0 0\r\n\r\n", []rep{{Kind: ReplyValue, Key: "foo"}}},
	{"value binary data", "VALUE k 1 4\r\n\r\n\x00\n\r\n", []rep{{Kind: ReplyValue, Key: "k", Flags: 1, Data: "\r\n\x00\n"}}},
	{"value flags uint64", "VALUE k 18446744073709551615 1\r\nx\r\n", []rep{{Kind: ReplyValue, Key: "k", Flags: 1<<64 - 1, Data: "x"}}},
	{"end", "END\r\n", []rep{{Kind: ReplyEnd}}},
	{"stored", "STORED\r\n", []rep{{Kind: ReplyStored}}},
	{"not stored", "NOT_STORED\r\n", []rep{{Kind: ReplyNotStored}}},
	{"exists", "EXISTS\r\n", []rep{{Kind: ReplyExists}}},
	{"not found", "NOT_FOUND\r\n", []rep{{Kind: ReplyNotFound}}},
	{"deleted", "DELETED\r\n", []rep{{Kind: ReplyDeleted}}},
	{"touched", "TOUCHED\r\n", []rep{{Kind: ReplyTouched}}},
	{"ok", "OK\r\n", []rep{{Kind: ReplyOK}}},
	{"reset", "RESET\r\n", []rep{{Kind: ReplyReset}}},
	{"number", "42\r\n", []rep{{Kind: ReplyNumber, Number: 42}}},
	{"number padded", "7    \r\n", []rep{{Kind: ReplyNumber, Number: 7}}},
	{"number max", "18446744073709551615\r\n", []rep{{Kind: ReplyNumber, Number: 1<<64 - 1}}},
	{"error", "ERROR\r\n", []rep{{Kind: ReplyError}}},
	{"error msg", "ERROR unknown command\r\n", []rep{{Kind: ReplyError, Msg: "unknown command"}}},
	{"client error", "CLIENT_ERROR bad data chunk\r\n", []rep{{Kind: ReplyClientError, Msg: "bad data chunk"}}},
	{"client error bare", "CLIENT_ERROR\r\n", []rep{{Kind: ReplyClientError}}},
	{"server error", "SERVER_ERROR out of memory storing object\r\n", []rep{{Kind: ReplyServerError, Msg: "out of memory storing object"}}},
	{"server error busy", "SERVER_ERROR 307 busy\n", []rep{{Kind: ReplyServerError, Msg: "307 busy"}}},
	{"version", "VERSION 1.6.21\r\n", []rep{{Kind: ReplyVersion, Msg: "1.6.21"}}},
	{"stat", "STAT pid 1234\r\n", []rep{{Kind: ReplyStat, Name: "pid", Msg: "1234"}}},
	{"stat spaces in value", "STAT version 1.6 x y\r\n", []rep{{Kind: ReplyStat, Name: "version", Msg: "1.6 x y"}}},
	{"stat empty value", "STAT x\r\n", []rep{{Kind: ReplyStat, Name: "x"}}},
	{"trailing spaces", "STORED  \r\n", []rep{{Kind: ReplyStored}}},

	{"multiget", "VALUE a 0 1\r\n1\r\nVALUE bb 2 2 9\r\n22\r\nEND\r\n", []rep{
		{Kind: ReplyValue, Key: "a", Data: "1"},
		{Kind: ReplyValue, Key: "bb", Flags: 2, Data: "22", Cas: 9, HasCas: true},
		{Kind: ReplyEnd},
	}},
	{"stats", "STAT a 1\r\nSTAT b 2\r\nEND\r\n", []rep{
		{Kind: ReplyStat, Name: "a", Msg: "1"}, {Kind: ReplyStat, Name: "b", Msg: "2"}, {Kind: ReplyEnd},
	}},
	{"then garbage", "STORED\r\nWHAT\r\n", []rep{{Kind: ReplyStored}, {Err: ErrBadReply}}},

	{"empty line", "\r\n", badReply},
	{"unknown word", "FOO\r\n", badReply},
	{"lowercase", "stored\r\n", badReply},
	{"word with args", "STORED x\r\n", badReply},
	{"END junk", "ENDX\r\n", badReply},
	{"number overflow", "18446744073709551616\r\n", badReply},
	{"number junk", "12a\r\n", badReply},
	{"number then word", "12 a\r\n", badReply},
	{"value no key", "VALUE\r\n", badReply},
	{"value missing bytes", "VALUE k 0\r\n", badReply},
	{"value bad flags", "VALUE k x 1\r\nx\r\n", badReply},
	{"value bad cas", "VALUE k 0 1 x\r\nx\r\n", badReply},
	{"value extra", "VALUE k 0 1 2 3\r\nx\r\n", badReply},
	{"value too big", "VALUE k 0 1073741825\r\n", badReply},
	{"value bad terminator", "VALUE k 0 1\r\nxy\r\n", badReply},
	{"value CR junk", "VALUE k 0 1\r\nx\ry", badReply},
	{"value ctl key", "VALUE k\x01 0 1\r\nx\r\n", badReply},
	{"stat no name", "STAT\r\n", badReply},
	{"leading space", " END\r\n", badReply},
	{"binary", "\x81\x00", badReply},
	{"line too long", "SERVER_ERROR " + strings.Repeat("x", MaxReplyLineLen), badReply},
}

func TestReplyParser(t *testing.T) {
	for _, tt := range replyTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseReplyChunks(t, whole(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", trunc(tt.in), got, tt.want)
			}
		})
	}
}

func TestReplyParserSplit(t *testing.T) {
	for _, tt := range replyTests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				if got := parseReplyChunks(t, splitAt(tt.in, i)); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("split at %d of %q\n got %+v\nwant %+v", i, trunc(tt.in), got, tt.want)
				}
			}
			if got := parseReplyChunks(t, byteByByte(tt.in)); !reflect.DeepEqual(got, tt.want) {
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
		if got := parseReplyChunks(t, splitAt(s, i)); !reflect.DeepEqual(got, want) {
			t.Fatalf("split at %d: got %+v", i, got)
		}
	}
	if got := parseReplyChunks(t, byteByByte(s)); !reflect.DeepEqual(got, want) {
		t.Fatalf("byte by byte: got %+v", got)
	}
}

func TestReplyParserLargeValue(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100000)
	in := append([]byte("VALUE big 0 1000000\r\n"), data...)
	in = append(in, "\r\nEND\r\n"...)
	for _, chunk := range []int{1, 7, 4096, 65536, len(in)} {
		var p ReplyParser
		var got []rep
		for b := in; len(b) > 0; {
			c := b[:min(chunk, len(b))]
			b = b[len(c):]
			for len(c) > 0 {
				n, ok, err := p.Parse(c)
				if err != nil {
					t.Fatal(err)
				}
				c = c[n:]
				if ok {
					got = append(got, repOf(&p.Reply))
				}
			}
		}
		if len(got) != 2 || got[0].Data != string(data) || got[0].Key != "big" || got[1].Kind != ReplyEnd {
			t.Fatalf("chunk %d: got %d elements", chunk, len(got))
		}
	}
}

func TestReplyParserBroken(t *testing.T) {
	var p ReplyParser
	if _, _, err := p.Parse([]byte("HUH\r\n")); err != ErrBadReply {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := p.Parse([]byte("END\r\n")); err != ErrBadReply {
		t.Fatalf("after error: %v", err)
	}
	if _, _, err := p.Parse(nil); err != ErrBadReply {
		t.Fatalf("after error, empty: %v", err)
	}
	p.Reset()
	if _, ok, err := p.Parse([]byte("END\r\n")); !ok || err != nil || p.Reply.Kind != ReplyEnd {
		t.Fatalf("after Reset: ok=%v err=%v", ok, err)
	}
	p.Parse([]byte("VALUE k 0 10\r\nab"))
	if !p.Pending() {
		t.Fatal("not pending mid-value")
	}
	p.Reset()
	if p.Pending() {
		t.Fatal("pending after Reset")
	}
	if _, ok, err := p.Parse([]byte("STORED\r\n")); !ok || err != nil || p.Reply.Kind != ReplyStored {
		t.Fatalf("after Reset mid-value: ok=%v err=%v", ok, err)
	}
}

func TestReplyParserAliasing(t *testing.T) {
	var p ReplyParser
	in := []byte("VALUE k 0 3\r\nabc\r\n")
	if _, ok, _ := p.Parse(in); !ok {
		t.Fatal("not ok")
	}
	if &p.Reply.Data[0] != &in[13] || &p.Reply.Key[0] != &in[6] {
		t.Fatal("whole element was copied")
	}
}
