package codec

import (
	"mcroute/codec/mc"
	"reflect"
	"testing"
)

func TestEncodeReplies(t *testing.T) {
	for _, tt := range []struct {
		got  []byte
		want string
	}{
		{AppendValue(nil, []byte("k"), 5, []byte("abc"), 9, false), "VALUE k 5 3\r\nabc\r\n"},
		{AppendValue(nil, []byte("k"), 1<<64-1, nil, 9, true), "VALUE k 18446744073709551615 0 9\r\n\r\n"},
		{AppendValue([]byte("x"), []byte("key"), 0, []byte("\r\n"), 0, true), "xVALUE key 0 2 0\r\n\r\n\r\n"},
		{AppendNumber(nil, 0), "0\r\n"},
		{AppendNumber(nil, 1<<64-1), "18446744073709551615\r\n"},
		{AppendStat(nil, []byte("pid"), []byte("1")), "STAT pid 1\r\n"},
		{AppendReplyLine(nil, ReplyClientError, nil), "CLIENT_ERROR\r\n"},
		{AppendReplyLine(nil, ReplyClientError, []byte("bad key")), "CLIENT_ERROR bad key\r\n"},
		{AppendReplyLine(nil, ReplyServerError, []byte("307 busy")), "SERVER_ERROR 307 busy\r\n"},
		{AppendReplyLine(nil, ReplyServerError, nil), "SERVER_ERROR\r\n"},
		{AppendReplyLine(nil, ReplyError, nil), "ERROR\r\n"},
		{AppendReplyLine(nil, ReplyVersion, []byte("0.1.0-dev mcrouter")), "VERSION 0.1.0-dev mcrouter\r\n"},
		{AppendReplyLine(nil, ReplyStat, []byte("a b")), "STAT a b\r\n"},
		{AppendReplyLine(nil, ReplyNumber, []byte("12")), "12\r\n"},
		{AppendReplyLine(nil, ReplyEnd, []byte("ignored")), "END\r\n"},
		{AppendReplyLine(nil, ReplyStored, nil), "STORED\r\n"},
		{AppendReplyLine(nil, ReplyNotStored, nil), "NOT_STORED\r\n"},
		{AppendReplyLine(nil, ReplyExists, nil), "EXISTS\r\n"},
		{AppendReplyLine(nil, ReplyNotFound, nil), "NOT_FOUND\r\n"},
		{AppendReplyLine(nil, ReplyDeleted, nil), "DELETED\r\n"},
		{AppendReplyLine(nil, ReplyTouched, nil), "TOUCHED\r\n"},
		{AppendReplyLine(nil, ReplyOK, nil), "OK\r\n"},
		{AppendReplyLine(nil, ReplyReset, nil), "RESET\r\n"},
		{AppendReplyLine(nil, ReplyValue, nil), "SERVER_ERROR unknown result\r\n"},
		{AppendReplyLine(nil, ReplyNone, nil), "SERVER_ERROR unknown result\r\n"},
		{AppendUint(nil, 7), "7"},
		{AppendInt(nil, -7), "-7"},
		{AppendCRLF(nil), "\r\n"},
	} {
		if string(tt.got) != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestEncodeRepliesRoundTrip checks that what the encoders write, the reply
// parser reads back.
func TestEncodeRepliesRoundTrip(t *testing.T) {
	var b []byte
	b = AppendValue(b, []byte("k"), 3, []byte("v\r\nv"), 77, true)
	b = AppendValue(b, []byte("k2"), 0, nil, 0, false)
	b = append(b, End...)
	b = AppendNumber(b, 99)
	b = AppendReplyLine(b, ReplyServerError, []byte("x y"))
	b = AppendStat(b, []byte("n"), []byte("v w"))
	want := []rep{
		{Kind: ReplyValue, Key: "k", Flags: 3, Data: "v\r\nv", Cas: 77, HasCas: true},
		{Kind: ReplyValue, Key: "k2"},
		{Kind: ReplyEnd},
		{Kind: ReplyNumber, Number: 99},
		{Kind: ReplyServerError, Msg: "x y"},
		{Kind: ReplyStat, Name: "n", Msg: "v w"},
	}
	if got := parseReplyChunks(t, [][]byte{b}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestEncodeRequests(t *testing.T) {
	k := []byte("new")
	for _, tt := range []struct {
		r    Request
		want string
	}{
		{Request{Op: mc.OpGet}, "get new\r\n"},
		{Request{Op: mc.OpGets}, "gets new\r\n"},
		{Request{Op: mc.OpGat, Exptime: -1}, "gat -1 new\r\n"},
		{Request{Op: mc.OpGats, Exptime: 10}, "gats 10 new\r\n"},
		{Request{Op: mc.OpSet, Flags: 1, Exptime: 2, Value: []byte("abc"), Noreply: true}, "set new 1 2 3\r\nabc\r\n"},
		{Request{Op: mc.OpAdd, Value: []byte("")}, "add new 0 0 0\r\n\r\n"},
		{Request{Op: mc.OpReplace, Value: []byte("x")}, "replace new 0 0 1\r\nx\r\n"},
		{Request{Op: mc.OpAppend, Value: []byte("x")}, "append new 0 0 1\r\nx\r\n"},
		{Request{Op: mc.OpPrepend, Value: []byte("x")}, "prepend new 0 0 1\r\nx\r\n"},
		{Request{Op: mc.OpCas, Flags: 4, Exptime: 5, Cas: 6, Value: []byte("xy"), Noreply: true}, "cas new 4 5 2 6\r\nxy\r\n"},
		{Request{Op: mc.OpDelete, Noreply: true}, "delete new\r\n"},
		{Request{Op: mc.OpDelete, HasExptime: true}, "delete new\r\n"},
		{Request{Op: mc.OpDelete, HasExptime: true, Exptime: 5}, "delete new 5\r\n"},
		{Request{Op: mc.OpIncr, Delta: 3, Noreply: true}, "incr new 3\r\n"},
		{Request{Op: mc.OpDecr, Delta: 4}, "decr new 4\r\n"},
		{Request{Op: mc.OpTouch, Exptime: 9, Noreply: true}, "touch new 9\r\n"},
		{Request{Op: mc.OpVersion}, "version\r\n"},
		{Request{Op: mc.OpFlushAll}, "flush_all\r\n"},
		{Request{Op: mc.OpFlushAll, HasExptime: true, Exptime: 0}, "flush_all 0\r\n"},
		{Request{Op: mc.OpFlushAll, HasExptime: true, Exptime: 30, Noreply: true}, "flush_all 30\r\n"},
		{Request{Op: mc.OpStats}, "stats\r\n"},
	} {
		tt.r.Keys = [][]byte{[]byte("old")}
		sr := tt.r.Single([]byte("old"))
		if got := AppendRequest(nil, &sr, k); string(got) != tt.want {
			t.Errorf("%v: got %q, want %q", tt.r.Op, got, tt.want)
		}
	}
	var b []byte
	b = AppendGetStart(b, mc.OpGats, 0)
	b = AppendKey(b, []byte("a"))
	b = AppendKey(b, []byte("b"))
	b = AppendCRLF(b)
	if string(b) != "gats 0 a b\r\n" {
		t.Errorf("multi-get: %q", b)
	}
	if got := AppendVersion([]byte("x")); string(got) != "xversion\r\n" {
		t.Errorf("AppendVersion: %q", got)
	}
}

// TestEncodeRequestsRoundTrip checks that a parsed request, re-encoded for
// the upstream, parses back to itself (less noreply).
func TestEncodeRequestsRoundTrip(t *testing.T) {
	for _, tt := range requestTests {
		if len(tt.want) != 1 || tt.want[0].Err != nil || len(tt.want[0].Keys) > 1 {
			continue
		}
		switch tt.want[0].Op {
		case mc.OpQuit, mc.OpShutdown, mc.OpVerbosity, mc.OpExec, mc.OpFlushRegex, mc.OpStats:
			continue
		}
		var p Parser
		if _, ok, err := p.Parse([]byte(tt.in)); !ok || err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		sr := p.Req.Single(p.Req.Key())
		enc := AppendRequest(nil, &sr, p.Req.Key())
		if p.Req.Op == mc.OpFlushAll {
			enc = AppendFlushAll(nil, &sr)
		}
		want := tt.want[0]
		want.Noreply = false
		if want.Op == mc.OpDelete && want.Exptime == 0 {
			want.HasExptime = false
		}
		if got := parseChunks(t, [][]byte{enc}); !reflect.DeepEqual(got, []req{want}) {
			t.Errorf("%s: %q parses to %+v, want %+v", tt.name, enc, got, want)
		}
	}
}
