package meta

import (
	"reflect"
	"strconv"
	"testing"

	"mcroute/codec/mc"
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

// FuzzMetaReplyParser checks that the meta reply parser never panics, obeys
// its n/ok contract (parseChunks), gives the same elements however the
// input is split, that re-encoding the elements parses back to them, and
// that ToReply never panics on what it yields.
func FuzzMetaReplyParser(f *testing.F) {
	for _, tt := range replyTests {
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
		var enc []byte
		var good []rep
		for _, r := range want {
			if r.Err != nil {
				break
			}
			enc = appendRep(enc, &r)
			good = append(good, r)
			el := Reply{Kind: r.Kind, Data: []byte(r.Data), Msg: []byte(r.Msg)}
			for op := mc.Op(0); int(op) < mc.NumOps; op++ {
				ToReply(op, &el)
			}
		}
		if got := parseChunks(t, [][]byte{enc}); !reflect.DeepEqual(got, good) {
			t.Fatalf("re-encoded as %q, which parses to %+v, want %+v", enc, got, good)
		}
	})
}

// appendRep writes r back in memcached's form, flags in a fixed order.
func appendRep(dst []byte, r *rep) []byte {
	dst = append(dst, r.Kind.String()...)
	switch r.Kind {
	case KindMN, KindOK:
		return append(dst, '\r', '\n')
	case KindError, KindClientError, KindServerError, KindVersion:
		if r.Msg != "" {
			dst = append(dst, ' ')
			dst = append(dst, r.Msg...)
		}
		return append(dst, '\r', '\n')
	case KindVA:
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(len(r.Data)), 10)
	}
	if r.HasFlags {
		dst = strconv.AppendUint(append(dst, " f"...), r.Flags, 10)
	}
	if r.HasCas {
		dst = strconv.AppendUint(append(dst, " c"...), r.Cas, 10)
	}
	if r.HasTTL {
		dst = strconv.AppendInt(append(dst, " t"...), r.TTL, 10)
	}
	if r.Base64 {
		dst = append(dst, " b"...)
	}
	if r.Key != "" {
		dst = append(append(dst, " k"...), r.Key...)
	}
	if r.HasOpaque {
		dst = strconv.AppendUint(append(dst, " O"...), uint64(r.Opaque), 10)
	}
	dst = append(dst, '\r', '\n')
	if r.Kind == KindVA {
		dst = append(dst, r.Data...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
