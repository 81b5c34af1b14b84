package bench

import (
	"fmt"
	"strings"
	"testing"
)

type checkReq struct {
	op   opKind
	keys []int64
}

type verdict struct {
	kind errKind
	hits int
}

// feedChecker runs stream through a checker the way a connection does:
// bytes arrive in two reads split at split; each element is stepped once it
// is complete. It returns one verdict per completed request and whether the
// stream was declared broken.
func feedChecker(chk *checker, reqs []checkReq, stream []byte, split int) ([]verdict, bool) {
	var out []verdict
	var buf []byte
	next, inReply := 0, false
	for _, part := range [][]byte{stream[:split], stream[split:]} {
		buf = append(buf, part...)
		for len(buf) > 0 {
			if !inReply {
				if next == len(reqs) {
					return out, true // unsolicited
				}
				chk.begin(reqs[next].op, reqs[next].keys)
				inReply = true
			}
			n, _, done := chk.step(buf)
			buf = buf[n:]
			if chk.fatal {
				return append(out, verdict{chk.kind, chk.hits}), true
			}
			if n == 0 {
				break
			}
			if done {
				out = append(out, verdict{chk.kind, chk.hits})
				next++
				inReply = false
			}
		}
	}
	return out, false
}

func valueBlock(v *values, prefix string, k int64) string {
	return fmt.Sprintf("VALUE %s%d 0 %d\r\n%s\r\n", prefix, k, len(v.of(k)), v.of(k))
}

func TestCheckerAcceptsCorrectRepliesSplitAnywhere(t *testing.T) {
	vals := newValues(10, 40)
	reqs := []checkReq{
		{opSet, []int64{1}},
		{opGet, []int64{1, 2, 3}}, // 2 hits, answered out of order (as twemproxy may)
		{opGet, []int64{9}},       // miss
		{opGet, []int64{4, 4}},    // the same key asked twice, answered twice
		{opGet, []int64{5}},       // with a cas field
		{opSet, []int64{6}},
	}
	stream := "STORED\r\n" +
		valueBlock(vals, "k:", 3) + valueBlock(vals, "k:", 1) + "END\r\n" +
		"END\r\n" +
		valueBlock(vals, "k:", 4) + valueBlock(vals, "k:", 4) + "END\r\n" +
		fmt.Sprintf("VALUE k:5 0 %d 12345\r\n%s\r\nEND\r\n", len(vals.of(5)), vals.of(5)) +
		"STORED\r\n"
	want := []verdict{{errNone, 0}, {errNone, 2}, {errNone, 0}, {errNone, 2}, {errNone, 1}, {errNone, 0}}
	for split := 0; split <= len(stream); split++ {
		chk := newChecker([]byte("k:"), true, vals, 3)
		got, broken := feedChecker(&chk, reqs, []byte(stream), split)
		if broken || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("split at %d: got %v (broken %v), want %v", split, got, broken, want)
		}
	}
}

func TestCheckerCatchesWrongReplies(t *testing.T) {
	vals := newValues(8, 8)
	good := string(vals.of(1))
	bad := strings.Repeat("x", 8)
	set := checkReq{opSet, []int64{1}}
	get := checkReq{opGet, []int64{1}}
	for _, tc := range []struct {
		name   string
		verify bool
		req    checkReq
		reply  string
		kind   errKind
		broken bool
	}{
		{"set NOT_STORED", false, set, "NOT_STORED\r\n", errUnexpected, false},
		{"set EXISTS", false, set, "EXISTS\r\n", errUnexpected, false},
		{"set SERVER_ERROR", false, set, "SERVER_ERROR out of memory storing object\r\n", errServerError, false},
		{"set ERROR", false, set, "ERROR\r\n", errServerError, false},
		{"set CLIENT_ERROR", false, set, "CLIENT_ERROR bad data chunk\r\n", errServerError, false},
		{"set answered END", false, set, "END\r\n", errUnexpected, false},
		{"get answered STORED", false, get, "STORED\r\n", errUnexpected, false},
		{"get empty line", false, get, "\r\n", errUnexpected, false},
		{"get other key", false, get, "VALUE k:2 0 8\r\n" + good + "\r\nEND\r\n", errWrongKey, false},
		{"get other prefix", false, get, "VALUE x:1 0 8\r\n" + good + "\r\nEND\r\n", errWrongKey, false},
		{"get key twice", false, get, "VALUE k:1 0 8\r\n" + good + "\r\nVALUE k:1 0 8\r\n" + good + "\r\nEND\r\n", errWrongKey, false},
		{"get SERVER_ERROR", false, get, "SERVER_ERROR proxy timeout\r\n", errServerError, false},
		{"verify wrong bytes", true, get, "VALUE k:1 0 8\r\n" + bad + "\r\nEND\r\n", errBadValue, false},
		{"verify wrong flags", true, get, "VALUE k:1 7 8\r\n" + good + "\r\nEND\r\n", errBadValue, false},
		{"verify wrong length", true, get, "VALUE k:1 0 7\r\n" + good[:7] + "\r\nEND\r\n", errBadValue, false},
		{"length lies", false, get, "VALUE k:1 0 10\r\n" + good + "\r\nEND\r\n", errMalformed, true},
		{"bad length field", false, get, "VALUE k:1 0 x8\r\n" + good + "\r\nEND\r\n", errMalformed, true},
		{"missing flags", false, get, "VALUE k:1 8\r\n" + good + "\r\nEND\r\n", errMalformed, true},
		{"bare newline", false, set, "STORED\n", errMalformed, true},
		{"endless line", false, set, strings.Repeat("S", maxLine+1), errMalformed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chk := newChecker([]byte("k:"), tc.verify, vals, 1)
			got, broken := feedChecker(&chk, []checkReq{tc.req}, []byte(tc.reply), len(tc.reply))
			if len(got) != 1 || got[0].kind != tc.kind || broken != tc.broken {
				t.Fatalf("got %v broken=%v, want kind %q broken=%v", got, broken, tc.kind, tc.broken)
			}
		})
	}
	// Without --verify a value of another size is not an error: another
	// writer may have stored it.
	chk := newChecker([]byte("k:"), false, vals, 1)
	got, _ := feedChecker(&chk, []checkReq{get}, []byte("VALUE k:1 0 3\r\nabc\r\nEND\r\n"), 0)
	if len(got) != 1 || got[0] != (verdict{errNone, 1}) {
		t.Fatalf("unverified other-size value: %v", got)
	}
}

func TestValuesArePureFunctionsOfTheKey(t *testing.T) {
	a, b := newValues(1, 5000), newValues(1, 5000)
	for k := int64(0); k < 10_000; k += 37 {
		va, vb := a.of(k), b.of(k)
		if string(va) != string(vb) || len(va) != a.size(k) || len(va) < 1 || len(va) > 5000 {
			t.Fatalf("key %d: values differ or size %d out of range", k, len(va))
		}
	}
	if string(a.of(1)[:8]) == string(a.of(2)[:8]) {
		t.Error("neighbouring keys got the same value")
	}
}
