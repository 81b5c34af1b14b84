package jsonm

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestSpookyHashV2 checks the short and long paths against Bob Jenkins'
// published Hash32 results (low 32 bits of Hash128 with seeds 0, 0) and
// the "hello world" values the behaviour spec (§3.4) lists.
func TestSpookyHashV2(t *testing.T) {
	f, err := os.Open("testdata/spooky_v2_hash32.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 512)
	for i := range buf {
		buf[i] = byte(i + 128)
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		lenStr, hexStr, _ := strings.Cut(line, " ")
		l, _ := strconv.Atoi(lenStr)
		want, err := strconv.ParseUint(strings.TrimPrefix(hexStr, "0x"), 16, 32)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		h1, _ := spookyHash128(buf[:l], 0, 0)
		if got := uint32(h1); uint64(got) != want {
			t.Errorf("Hash32(len %d) = %#08x, want %#08x", l, got, want)
		}
		n++
	}
	if n != 512 {
		t.Fatalf("read %d vectors, want 512", n)
	}

	h1, h2 := spookyHash128([]byte("hello world"), 0, 0)
	if h1 != 14865987102431973981 || h2 != 10079487997037711397 {
		t.Errorf("Hash128(hello world) = %d, %d", h1, h2)
	}
	if got := uint32(spookyHash64([]byte("hello world"), 0x12345678)); got != 3380090220 {
		t.Errorf("Hash32(hello world, 0x12345678) = %d", got)
	}
	for key, want := range map[string]uint32{"foo": 827313959, "bar": 599711537, "": 1811220761, "user:12345:profile": 904198546} {
		if got := uint32(spookyHash64([]byte(key), 0)); got != want {
			t.Errorf("Hash32(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestTwangMix64(t *testing.T) {
	// twang_mix64 is a bijection; spot-check it against its definition's
	// multiplicative form for the first steps and known fixed behaviour.
	seen := map[uint64]bool{}
	for i := uint64(0); i < 1000; i++ {
		h := twangMix64(i)
		if seen[h] {
			t.Fatalf("collision at %d", i)
		}
		seen[h] = true
	}
	if twangMix64(0) == 0 {
		t.Error("twang_mix64(0) must not be 0")
	}
}

func TestFNV64Signed(t *testing.T) {
	// FNV-1 64 of ASCII matches the textbook function; bytes >= 0x80 are
	// sign-extended as folly's (signed char) implementation does.
	if got := fnv64Signed(""); got != 14695981039346656037 {
		t.Errorf("fnv64(\"\") = %d", got)
	}
	if got := fnv64Signed("a"); got != 0xaf63bd4c8601b7be {
		t.Errorf("fnv64(a) = %#x", got)
	}
	h := uint64(14695981039346656037)
	h *= 1099511628211
	h ^= 0xffffffffffffffe9 // int8(0xe9) sign-extended
	if got := fnv64Signed("\xe9"); got != h {
		t.Errorf("fnv64(0xe9) = %#x, want %#x", got, h)
	}
}

// TestStdShuffle checks seeded shuffles against libstdc++ (g++ 12):
// std::shuffle(v.begin(), v.end(), std::minstd_rand(seed)) of 0..n-1.
func TestStdShuffle(t *testing.T) {
	golden := []struct {
		seed uint32
		n    int
		want []int
	}{
		{0, 1, []int{0}},
		{0, 2, []int{1, 0}},
		{0, 3, []int{2, 0, 1}},
		{0, 5, []int{3, 4, 1, 2, 0}},
		{0, 8, []int{5, 7, 1, 4, 0, 2, 6, 3}},
		{1, 10, []int{5, 7, 1, 4, 0, 2, 6, 9, 8, 3}},
		{1, 17, []int{3, 8, 11, 14, 6, 2, 16, 13, 4, 9, 7, 1, 5, 10, 12, 0, 15}},
		{7, 5, []int{2, 4, 3, 1, 0}},
		{7, 8, []int{5, 6, 0, 3, 2, 7, 4, 1}},
		{7, 10, []int{5, 6, 0, 3, 2, 7, 8, 1, 4, 9}},
		{7, 17, []int{2, 7, 3, 11, 0, 4, 5, 14, 13, 16, 8, 1, 15, 10, 9, 12, 6}},
		{42, 8, []int{1, 7, 3, 6, 2, 4, 0, 5}},
		{42, 10, []int{1, 7, 3, 6, 2, 8, 0, 5, 9, 4}},
		{42, 17, []int{2, 5, 3, 7, 0, 10, 9, 16, 13, 1, 8, 15, 14, 4, 6, 11, 12}},
		{12345, 3, []int{1, 2, 0}},
		{12345, 5, []int{1, 2, 3, 0, 4}},
		{12345, 8, []int{3, 0, 5, 4, 7, 2, 6, 1}},
		{12345, 10, []int{3, 0, 5, 8, 7, 2, 6, 9, 4, 1}},
		{12345, 17, []int{1, 10, 3, 0, 14, 13, 15, 7, 12, 8, 16, 5, 11, 4, 9, 2, 6}},
		{2147483647, 10, []int{5, 7, 1, 4, 0, 2, 6, 9, 8, 3}},
		{4294967295, 17, []int{3, 8, 11, 14, 6, 2, 16, 13, 4, 9, 7, 1, 5, 10, 12, 0, 15}},
	}
	for _, g := range golden {
		vals := make([]*Value, g.n)
		for i := range vals {
			vals[i] = NewInt(int64(i))
		}
		if err := stdShuffle(vals, newMinstd(g.seed)); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if got, _ := v.Int(); got != int64(g.want[i]) {
				t.Errorf("seed %d n %d: got %s, want %v", g.seed, g.n, NewArray(vals...).Marshal(false, false), g.want)
				break
			}
		}
	}

	// n > 46340 takes libstdc++'s one-swap-per-draw path.
	const n = 50000
	vals := make([]*Value, n)
	for i := range vals {
		vals[i] = NewInt(int64(i))
	}
	if err := stdShuffle(vals, newMinstd(3)); err != nil {
		t.Fatal(err)
	}
	var acc uint64
	for _, v := range vals {
		i, _ := v.Int()
		acc = acc*31 + uint64(i)
	}
	first := [3]int64{vals[0].i, vals[1].i, vals[2].i}
	if acc != 10095296965778054748 || first != [3]int64{42877, 11918, 892} {
		t.Errorf("large shuffle: checksum %d, first %v", acc, first)
	}
}

func TestRendezvousPick(t *testing.T) {
	// The example from mcrouter's weightedHash doc comment.
	id, err := rendezvousPick([]string{"a", "b"}, []float64{0, 1}, 5)
	if err != nil || id != 1 {
		t.Errorf("pick = %d, %v; want 1", id, err)
	}
	if _, err := rendezvousPick([]string{"a"}, []float64{0}, 5); err == nil {
		t.Error("all-zero weights must fail")
	}
	// Roughly proportional to weight.
	counts := [3]int{}
	for k := uint64(0); k < 30000; k++ {
		id, _ := rendezvousPick([]string{"x", "y", "z"}, []float64{1, 2, 3}, k)
		counts[id]++
	}
	for i, c := range counts {
		want := 5000 * (i + 1)
		if c < want*8/10 || c > want*12/10 {
			t.Errorf("node %d chosen %d times of 30000, want about %d", i, c, want)
		}
	}
}
