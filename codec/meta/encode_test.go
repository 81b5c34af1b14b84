package meta

import (
	"reflect"
	"strings"
	"testing"

	"mcroute/codec/mc"
)

func TestAppendRequest(t *testing.T) {
	v := []byte("hello")
	tests := []struct {
		name string
		r    mc.Request
		want string
	}{
		{"get", mc.Request{Op: mc.OpGet}, "mg k v f O7\r\n"},
		{"gets", mc.Request{Op: mc.OpGets}, "mg k v f c O7\r\n"},
		{"gat", mc.Request{Op: mc.OpGat, Exptime: 100}, "mg k v f T100 O7\r\n"},
		{"gats negative", mc.Request{Op: mc.OpGats, Exptime: -1}, "mg k v f c T-1 O7\r\n"},
		{"get quiet", mc.Request{Op: mc.OpGet, Quiet: true}, "mg k v f q O7\r\n"},
		{"touch", mc.Request{Op: mc.OpTouch, Exptime: 0}, "mg k T0 O7\r\n"},
		{"set", mc.Request{Op: mc.OpSet, Value: v}, "ms k 5 O7\r\nhello\r\n"},
		{"set flags exptime", mc.Request{Op: mc.OpSet, Flags: 3, Exptime: -1, Value: v}, "ms k 5 F3 T-1 O7\r\nhello\r\n"},
		{"set quiet", mc.Request{Op: mc.OpSet, Value: v, Quiet: true}, "ms k 5 q O7\r\nhello\r\n"},
		{"add", mc.Request{Op: mc.OpAdd, Flags: 1, Value: v}, "ms k 5 F1 ME O7\r\nhello\r\n"},
		{"replace", mc.Request{Op: mc.OpReplace, Exptime: 9, Value: v}, "ms k 5 T9 MR O7\r\nhello\r\n"},
		{"append ignores flags", mc.Request{Op: mc.OpAppend, Flags: 1, Exptime: 9, Value: v}, "ms k 5 MA O7\r\nhello\r\n"},
		{"prepend", mc.Request{Op: mc.OpPrepend, Value: v}, "ms k 5 MP O7\r\nhello\r\n"},
		{"cas", mc.Request{Op: mc.OpCas, Cas: 42, Value: v}, "ms k 5 C42 O7\r\nhello\r\n"},
		{"set empty", mc.Request{Op: mc.OpSet}, "ms k 0 O7\r\n\r\n"},
		{"delete", mc.Request{Op: mc.OpDelete}, "md k O7\r\n"},
		{"delete quiet", mc.Request{Op: mc.OpDelete, Quiet: true}, "md k q O7\r\n"},
		{"delete exptime 0", mc.Request{Op: mc.OpDelete, HasExptime: true}, "md k O7\r\n"},
		{"delete exptime is ascii", mc.Request{Op: mc.OpDelete, HasExptime: true, Exptime: 5}, "delete k 5\r\n"},
		{"incr", mc.Request{Op: mc.OpIncr, Delta: 5}, "ma k D5 v O7\r\n"},
		{"incr never quiet", mc.Request{Op: mc.OpIncr, Delta: 5, Quiet: true}, "ma k D5 v O7\r\n"},
		{"decr", mc.Request{Op: mc.OpDecr, Delta: 18446744073709551615}, "ma k MD D18446744073709551615 v O7\r\n"},
		{"version", mc.Request{Op: mc.OpVersion}, "version\r\n"},
		{"flush_all", mc.Request{Op: mc.OpFlushAll}, "flush_all\r\n"},
		{"flush_all delay", mc.Request{Op: mc.OpFlushAll, HasExptime: true, Exptime: 10}, "flush_all 10\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendRequest([]byte("x"), &tt.r, []byte("k"), 7))
			if got != "x"+tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			ascii := strings.HasPrefix(tt.want, "delete") || strings.HasPrefix(tt.want, "version") ||
				strings.HasPrefix(tt.want, "flush_all")
			if SentAsASCII(&tt.r) != ascii {
				t.Fatalf("SentAsASCII = %v", !ascii)
			}
		})
	}
	if got := string(AppendRequest(nil, &mc.Request{Op: mc.OpGet}, []byte("k"), 1<<32-1)); got != "mg k v f O4294967295\r\n" {
		t.Fatalf("max opaque: %q", got)
	}
	if got := string(AppendNoop(nil)); got != "mn\r\n" {
		t.Fatalf("AppendNoop: %q", got)
	}
}

func TestValidKey(t *testing.T) {
	for _, k := range []string{"a", "user:1:x", strings.Repeat("k", 250), "ü~!"} {
		if !ValidKey([]byte(k)) {
			t.Errorf("ValidKey(%q) = false", k)
		}
	}
	for _, k := range []string{"", "a b", "a\r", "a\nb", "a\x00", "a\x7f", "\t", strings.Repeat("k", 251)} {
		if ValidKey([]byte(k)) {
			t.Errorf("ValidKey(%q) = true", k)
		}
	}
}

func TestSilent(t *testing.T) {
	want := map[mc.Op]mc.Result{
		mc.OpGet: mc.ResNotFound, mc.OpGets: mc.ResNotFound, mc.OpGat: mc.ResNotFound,
		mc.OpGats: mc.ResNotFound, mc.OpTouch: mc.ResNotFound, mc.OpSet: mc.ResStored,
		mc.OpAdd: mc.ResStored, mc.OpCas: mc.ResStored, mc.OpDelete: mc.ResDeleted,
	}
	for op := mc.Op(0); int(op) < mc.NumOps; op++ {
		res, ok := Silent(op)
		w, wok := want[op]
		if op.IsStorage() {
			w, wok = mc.ResStored, true
		}
		if res != w || ok != wok {
			t.Errorf("Silent(%v) = %v, %v", op, res, ok)
		}
	}
}

func TestToReply(t *testing.T) {
	tests := []struct {
		op   mc.Op
		in   string
		want mc.Reply
		ok   bool
	}{
		{mc.OpGet, "VA 3 f7 O1\r\nbar\r\n", mc.Reply{Result: mc.ResFound, Flags: 7, Value: []byte("bar")}, true},
		{mc.OpGets, "VA 3 f7 c9 O1\r\nbar\r\n", mc.Reply{Result: mc.ResFound, Flags: 7, Cas: 9, HasCas: true, Value: []byte("bar")}, true},
		{mc.OpGet, "EN O1\r\n", mc.Reply{Result: mc.ResNotFound}, true},
		{mc.OpGet, "HD O1\r\n", mc.Reply{}, false},
		{mc.OpGet, "MN\r\n", mc.Reply{}, false},
		{mc.OpTouch, "HD O1\r\n", mc.Reply{Result: mc.ResTouched}, true},
		{mc.OpTouch, "EN O1\r\n", mc.Reply{Result: mc.ResNotFound}, true},
		{mc.OpTouch, "VA 1\r\nx\r\n", mc.Reply{}, false},
		{mc.OpSet, "HD O1\r\n", mc.Reply{Result: mc.ResStored}, true},
		{mc.OpAdd, "NS O1\r\n", mc.Reply{Result: mc.ResNotStored}, true},
		{mc.OpCas, "EX O1\r\n", mc.Reply{Result: mc.ResExists}, true},
		{mc.OpCas, "NF O1\r\n", mc.Reply{Result: mc.ResNotFound}, true},
		{mc.OpSet, "EN O1\r\n", mc.Reply{}, false},
		{mc.OpDelete, "HD O1\r\n", mc.Reply{Result: mc.ResDeleted}, true},
		{mc.OpDelete, "NF O1\r\n", mc.Reply{Result: mc.ResNotFound}, true},
		{mc.OpDelete, "VA 1\r\nx\r\n", mc.Reply{}, false},
		{mc.OpIncr, "VA 2 O1\r\n15\r\n", mc.Reply{Result: mc.ResFound, Number: 15}, true},
		{mc.OpDecr, "NF O1\r\n", mc.Reply{Result: mc.ResNotFound}, true},
		{mc.OpIncr, "VA 2 O1\r\nxx\r\n", mc.Reply{}, false},
		{mc.OpIncr, "HD O1\r\n", mc.Reply{}, false},
		{mc.OpFlushAll, "OK\r\n", mc.Reply{Result: mc.ResOK}, true},
		{mc.OpVersion, "VERSION 1.6.18\r\n", mc.Reply{Result: mc.ResOK, Value: []byte("1.6.18")}, true},
		{mc.OpVersion, "OK\r\n", mc.Reply{}, false},
		{mc.OpGet, "SERVER_ERROR out of memory\r\n", mc.Reply{Result: mc.ResRemoteError, Msg: []byte("out of memory")}, true},
		{mc.OpSet, "SERVER_ERROR 307 busy\r\n", mc.Reply{Result: mc.ResBusy, Msg: []byte("307 busy")}, true},
		{mc.OpDelete, "CLIENT_ERROR bad command line format\r\n", mc.Reply{Result: mc.ResClientError, Msg: []byte("bad command line format")}, true},
		{mc.OpIncr, "ERROR\r\n", mc.Reply{Result: mc.ResRemoteError}, true},
	}
	for _, tt := range tests {
		var p ReplyParser
		if _, ok, err := p.Parse([]byte(tt.in)); !ok || err != nil {
			t.Fatalf("%q: ok=%v err=%v", tt.in, ok, err)
		}
		got, ok := ToReply(tt.op, &p.Reply)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ToReply(%v, %q) = %+v, %v; want %+v, %v", tt.op, tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
