package codec

import (
	"mcroute/codec/mc"
	"reflect"
	"strconv"
	"testing"
)

// splits returns ways to cut in into reads: byte by byte, and in two at
// every offset (short inputs) or at a few offsets (long ones).
func splits(in []byte) [][][]byte {
	s := string(in)
	out := [][][]byte{byteByByte(s)}
	if len(s) <= 64 {
		for i := 1; i < len(s); i++ {
			out = append(out, splitAt(s, i))
		}
		return out
	}
	for _, i := range []int{1, len(s) / 3, len(s) / 2, 2 * len(s) / 3, len(s) - 1} {
		out = append(out, splitAt(s, i))
	}
	return out
}

// FuzzParser checks that the request parser never panics, obeys its n/ok
// contract (parseChunks), gives the same requests however the input is
// split, and that every request it accepts re-encodes for the upstream to
// something it parses back to the same request.
func FuzzParser(f *testing.F) {
	for _, tt := range requestTests {
		if len(tt.in) < 1024 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := parseChunks(t, [][]byte{in})
		for _, chunks := range splits(in) {
			if got := parseChunks(t, chunks); !reflect.DeepEqual(got, want) {
				t.Fatalf("split %d ways: got %+v, want %+v", len(chunks), got, want)
			}
		}
		for _, r := range want {
			if r.Err != nil {
				continue
			}
			if r.Op.IsGet() && len(r.Keys) == 0 || r.Op.IsStorage() && len(r.Keys) != 1 {
				t.Fatalf("request without keys: %+v", r)
			}
			for _, k := range r.Keys {
				if len(k) == 0 || len(k) > MaxKeyLen {
					t.Fatalf("bad key accepted: %q", k)
				}
			}
			roundTrip(t, r)
		}
	})
}

// roundTrip re-encodes r with AppendRequest and parses it back.
func roundTrip(t *testing.T, r req) {
	switch r.Op {
	case mc.OpQuit, mc.OpShutdown, mc.OpVerbosity, mc.OpExec, mc.OpFlushRegex, mc.OpStats:
		return // answered by mcroute itself, never sent to a server
	}
	if r.Op.IsGet() && len(r.Keys) > 1 {
		r.Keys = r.Keys[:1]
	}
	in := Request{
		Op: r.Op, Flags: r.Flags, Exptime: r.Exptime, Cas: r.Cas, Delta: r.Delta,
		Value: []byte(r.Value), Args: []byte(r.Args), HasExptime: r.HasExptime,
	}
	var key []byte
	if len(r.Keys) > 0 {
		key = []byte(r.Keys[0])
	}
	sr := in.Single(key)
	enc := AppendRequest(nil, &sr, key)
	r.Noreply = false
	if r.Op == mc.OpDelete && r.Exptime == 0 {
		r.HasExptime = false
	}
	if r.Op == mc.OpFlushAll && r.HasExptime {
		r.Args = strconv.FormatInt(r.Exptime, 10) // Args is the client's spelling
	}
	if got := parseChunks(t, [][]byte{enc}); !reflect.DeepEqual(got, []req{r}) {
		t.Fatalf("re-encoded as %q, which parses to %+v, want %+v", enc, got, r)
	}
}

// FuzzReplyParser checks that the reply parser never panics, gives the same
// elements however the input is split, and that re-encoding the elements
// and parsing them again gives them back.
func FuzzReplyParser(f *testing.F) {
	for _, tt := range replyTests {
		if len(tt.in) < 1024 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := parseReplyChunks(t, [][]byte{in})
		for _, chunks := range splits(in) {
			if got := parseReplyChunks(t, chunks); !reflect.DeepEqual(got, want) {
				t.Fatalf("split %d ways: got %+v, want %+v", len(chunks), got, want)
			}
		}
		var enc []byte
		var good []rep
		for _, r := range want {
			switch r.Kind {
			case ReplyNone:
				continue
			case ReplyValue:
				enc = AppendValue(enc, []byte(r.Key), r.Flags, []byte(r.Data), r.Cas, r.HasCas)
			case ReplyNumber:
				enc = AppendNumber(enc, r.Number)
			case ReplyStat:
				enc = AppendStat(enc, []byte(r.Name), []byte(r.Msg))
			default:
				enc = AppendReplyLine(enc, r.Kind, []byte(r.Msg))
			}
			good = append(good, r)
		}
		if got := parseReplyChunks(t, [][]byte{enc}); !reflect.DeepEqual(got, good) {
			t.Fatalf("re-encoded as %q, which parses to %+v, want %+v", enc, got, good)
		}
	})
}
