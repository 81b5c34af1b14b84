package hashfunc

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// The golden vectors live in testdata/hash-vectors.json (see its "_about").

type keySpec struct {
	Key    string `json:"key"`
	KeyGen string `json:"key_gen"`
}

func (k keySpec) bytes(t testing.TB) []byte {
	t.Helper()
	switch k.KeyGen {
	case "":
		return []byte(k.Key)
	case "bytes_neg128":
		return maxKey()
	case "bytes_neg128_rev":
		b := maxKey()
		slices.Reverse(b)
		return b
	}
	t.Fatalf("unknown key_gen %q", k.KeyGen)
	return nil
}

func (k keySpec) String() string {
	if k.KeyGen != "" {
		return "<" + k.KeyGen + ">"
	}
	return strconv.Quote(k.Key)
}

// maxKey is mcrouter's test key: the 256 bytes i-128 for i = 0..255.
func maxKey() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i - 128)
	}
	return b
}

// keyPrefix returns the prefix of generated key sequences.
func keyPrefix(t testing.TB, prefix, gen string) string {
	t.Helper()
	switch gen {
	case "":
		return prefix
	case "alpha128":
		b := make([]byte, 128)
		for i := range b {
			b[i] = byte('A' + i%26)
		}
		return string(b)
	}
	t.Fatalf("unknown prefix_gen %q", gen)
	return ""
}

// seqKey appends prefix+decimal(i) to dst[:0].
func seqKey(dst []byte, prefix string, i int) []byte {
	return strconv.AppendInt(append(dst[:0], prefix...), int64(i), 10)
}

type indexVector struct {
	keySpec
	N     int `json:"n"`
	Index int `json:"index"`
}

type vectors struct {
	Ch3             []indexVector `json:"ch3"`
	Ch3Distribution []struct {
		Prefix string `json:"prefix"`
		Count  int    `json:"count"`
		N      int    `json:"n"`
		Counts []int  `json:"counts"`
	} `json:"ch3_distribution"`
	FurcGolden []struct {
		Key    string      `json:"key"`
		MIndex [][2]uint32 `json:"m_index"`
	} `json:"furc_golden"`
	FurcOther []struct {
		Key   string `json:"key"`
		M     uint32 `json:"m"`
		Index uint32 `json:"index"`
	} `json:"furc_other"`
	FurcBulk struct {
		Prefix    string `json:"prefix"`
		Count     int    `json:"count"`
		Checksums []struct {
			M   uint32 `json:"m"`
			Sum uint32 `json:"sum"`
		} `json:"checksums"`
	} `json:"furc_bulk"`
	Crc32      []indexVector `json:"crc32"`
	WCh3Single []struct {
		keySpec
		N      int     `json:"n"`
		Weight float64 `json:"weight"`
		Index  int     `json:"index"`
	} `json:"wch3_single"`
	WCh3Distribution []struct {
		Prefix  string    `json:"prefix"`
		Count   int       `json:"count"`
		Weights []float64 `json:"weights"`
		Counts  []int     `json:"counts"`
	} `json:"wch3_distribution"`
	WCh3Checksums []struct {
		Prefix    string    `json:"prefix"`
		PrefixGen string    `json:"prefix_gen"`
		Count     int       `json:"count"`
		N         int       `json:"n"`
		Weight    float64   `json:"weight"`
		Weights   []float64 `json:"weights"`
		Sum       uint32    `json:"sum"`
	} `json:"wch3_checksums"`
	Spooky32 []struct {
		Key  string `json:"key"`
		Seed uint32 `json:"seed"`
		Hash uint32 `json:"hash"`
	} `json:"spooky32"`
	Spooky128 []struct {
		Key   string `json:"key"`
		Seed1 uint64 `json:"seed1"`
		Seed2 uint64 `json:"seed2"`
		H1    uint64 `json:"h1"`
		H2    uint64 `json:"h2"`
	} `json:"spooky128"`
	Spooky32JenkinsResults struct {
		Expected []uint32 `json:"expected"`
	} `json:"spooky32_jenkins_results"`
	ShadowFractions []struct {
		Prefix   string  `json:"prefix"`
		Count    int     `json:"count"`
		Lo       float64 `json:"lo"`
		Hi       float64 `json:"hi"`
		Selected []int   `json:"selected"`
	} `json:"shadow_fractions"`
	Derived []struct {
		Key         string `json:"key"`
		Ch3N5       int    `json:"ch3_5"`
		Ch3N17      int    `json:"ch3_17"`
		Crc32       uint32 `json:"crc32"`
		Crc32N5     int    `json:"crc32_5"`
		Crc32N17    int    `json:"crc32_17"`
		WCh3Mixed   int    `json:"wch3_mixed"`
		Ch3N5SaltS1 int    `json:"ch3_5_salt_s1"`
		Spooky32    uint32 `json:"spooky32"`
	} `json:"derived"`
	DerivedWCh3MixedWeights []float64     `json:"derived_wch3_mixed_weights"`
	ConstShard              []indexVector `json:"const_shard"`
	Rendezvous              struct {
		Single       []indexVector `json:"single"`
		Distribution []struct {
			Prefix string `json:"prefix"`
			Count  int    `json:"count"`
			N      int    `json:"n"`
			Counts []int  `json:"counts"`
		} `json:"distribution"`
		Rehash rehashVector `json:"rehash"`
	} `json:"rendezvous"`
	WeightedRendezvous struct {
		Single []struct {
			keySpec
			Weights []float64 `json:"weights"`
			N       int       `json:"n"`
			Weight  float64   `json:"weight"`
			Index   int       `json:"index"`
		} `json:"single"`
		Distribution []struct {
			Prefix  string    `json:"prefix"`
			Count   int       `json:"count"`
			Weights []float64 `json:"weights"`
			Counts  []int     `json:"counts"`
		} `json:"distribution"`
		Rehash rehashVector `json:"rehash"`
	} `json:"weighted_rendezvous"`
}

type rehashVector struct {
	N      int    `json:"n"`
	Prefix string `json:"prefix"`
	Count  int    `json:"count"`
	Front  int    `json:"front"`
	Back   int    `json:"back"`
	Mid    int    `json:"mid"`
}

var loadVectors = sync.OnceValues(func() (*vectors, error) {
	data, err := os.ReadFile("testdata/hash-vectors.json")
	if err != nil {
		return nil, err
	}
	v := new(vectors)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("testdata/hash-vectors.json: %w", err)
	}
	return v, nil
})

func mustVectors(t testing.TB) *vectors {
	t.Helper()
	v, err := loadVectors()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fill(n int, w float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = w
	}
	return s
}

func mustNew(t testing.TB, name string, n int, opts Options) *Func {
	t.Helper()
	f, err := New(name, n, opts)
	if err != nil {
		t.Fatalf("New(%q, %d): %v", name, n, err)
	}
	return f
}

func TestCh3Vectors(t *testing.T) {
	v := mustVectors(t)
	if len(v.Ch3) == 0 {
		t.Fatal("no ch3 vectors")
	}
	for _, c := range v.Ch3 {
		key := c.bytes(t)
		if got := Ch3(key, c.N); got != c.Index {
			t.Errorf("Ch3(%v, %d) = %d, want %d", c.keySpec, c.N, got, c.Index)
		}
		if got := mustNew(t, NameCh3, c.N, Options{}).Index(key); got != c.Index {
			t.Errorf("Func Ch3 n=%d Index(%v) = %d, want %d", c.N, c.keySpec, got, c.Index)
		}
		if got := WeightedCh3(key, fill(c.N, 1.0)); got != c.Index {
			t.Errorf("WeightedCh3(%v, n=%d all 1.0) = %d, want %d", c.keySpec, c.N, got, c.Index)
		}
	}
}

func TestCh3Distribution(t *testing.T) {
	v := mustVectors(t)
	var key []byte
	for _, c := range v.Ch3Distribution {
		counts := make([]int, c.N)
		for i := range c.Count {
			key = seqKey(key, c.Prefix, i)
			counts[Ch3(key, c.N)]++
		}
		if !slices.Equal(counts, c.Counts) {
			t.Errorf("Ch3 n=%d over %q0..%d: counts %v, want %v", c.N, c.Prefix, c.Count-1, counts, c.Counts)
		}
	}
}

func TestFurcGolden(t *testing.T) {
	v := mustVectors(t)
	total := 0
	for _, row := range v.FurcGolden {
		for _, mi := range row.MIndex {
			total++
			if got := Furc([]byte(row.Key), mi[0]); got != mi[1] {
				t.Errorf("Furc(%q, %d) = %d, want %d", row.Key, mi[0], got, mi[1])
			}
		}
	}
	if total != 264 {
		t.Errorf("furc golden table has %d values, want 264", total)
	}
	for _, c := range v.FurcOther {
		if got := Furc([]byte(c.Key), c.M); got != c.Index {
			t.Errorf("Furc(%q, %d) = %d, want %d", c.Key, c.M, got, c.Index)
		}
	}
}

func TestFurcEdges(t *testing.T) {
	for _, key := range []string{"", "a", "key0", "anything at all"} {
		if got := Furc([]byte(key), 0); got != 0 {
			t.Errorf("Furc(%q, 0) = %d, want 0", key, got)
		}
		if got := Furc([]byte(key), 1); got != 0 {
			t.Errorf("Furc(%q, 1) = %d, want 0", key, got)
		}
	}
	// A nil key and an empty key are the same input.
	for _, m := range []uint32{2, 100, 1 << 23, math.MaxUint32} {
		if a, b := Furc(nil, m), Furc([]byte{}, m); a != b {
			t.Errorf("Furc(nil, %d) = %d, Furc(empty) = %d", m, a, b)
		}
	}
}

// TestFurcStreamCache checks the lazy bit stream against a plain
// precomputed one (mcrouter's 1024-word cache) for positions far beyond the
// stack cache, including the jumps back that Furc makes after a zero bit.
func TestFurcStreamCache(t *testing.T) {
	key := []byte("stream-check")
	var ref [1024]uint64
	ref[0] = Murmur64A(key, furcSeed)
	for i := 1; i < len(ref); i++ {
		ref[i] = Murmur64A(le8(ref[i-1]), furcSeed)
	}
	var s furcStream
	s.cache[0] = ref[0]
	s.n = 1
	positions := []uint32{5, 900, 3000, 7, 64 * 40, 64*31 + 63, 64 * 32, 64*1023 + 1, 12, 64 * 33, 64 * 500, 64 * 499}
	for _, a := range positions {
		want := uint32(ref[a/64]>>(a%64)) & 1
		if got := s.bit(a); got != want {
			t.Errorf("bit(%d) = %d, want %d", a, got, want)
		}
	}
}

// bit returns bit a of the stream, the way Furc reads it.
func (s *furcStream) bit(a uint32) uint32 {
	var w uint64
	if ord := a >> 6; ord < s.n {
		w = s.cache[ord%furcCacheWords]
	} else {
		w = s.word(ord)
	}
	return uint32(w>>(a&63)) & 1
}

func le8(w uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(w >> (8 * i))
	}
	return b
}

func TestFurcBulkChecksums(t *testing.T) {
	v := mustVectors(t)
	b := v.FurcBulk
	if len(b.Checksums) == 0 {
		t.Fatal("no bulk checksums")
	}
	sums := make([]uint32, len(b.Checksums))
	var key []byte
	for i := range b.Count {
		key = seqKey(key, b.Prefix, i)
		for j, c := range b.Checksums {
			sums[j] = sums[j]*31 + Furc(key, c.M)
		}
	}
	for j, c := range b.Checksums {
		if sums[j] != c.Sum {
			t.Errorf("furc checksum over %q0..%d, m=%d: %d, want %d", b.Prefix, b.Count-1, c.M, sums[j], c.Sum)
		}
	}
}

// TestFurcConsistency checks furc's defining property: growing the pool from
// b to b+1 moves a key only to the new bucket b.
func TestFurcConsistency(t *testing.T) {
	var key []byte
	keys := 2000
	if testing.Short() || raceEnabled {
		keys = 200
	}
	for i := range keys {
		key = seqKey(key, "consistency", i)
		prev := Furc(key, 1)
		for b := uint32(1); b < 300; b++ {
			next := Furc(key, b+1)
			if next != prev && next != b {
				t.Fatalf("Furc(%q, %d) = %d but Furc(%q, %d) = %d", key, b, prev, key, b+1, next)
			}
			prev = next
		}
	}
	// And around large pool sizes.
	for _, base := range []uint32{1<<23 - 3, 1<<31 - 2, math.MaxUint32 - 3} {
		for i := range 200 {
			key = seqKey(key, "big", i)
			prev := Furc(key, base)
			for b := base; b < base+3; b++ {
				next := Furc(key, b+1)
				if next != prev && next != b {
					t.Fatalf("Furc(%q, %d) = %d but Furc(%q, %d) = %d", key, b, prev, key, b+1, next)
				}
				prev = next
			}
		}
	}
}

func TestCrc32Vectors(t *testing.T) {
	v := mustVectors(t)
	for _, c := range v.Crc32 {
		key := c.bytes(t)
		if got := Crc32(key, c.N); got != c.Index {
			t.Errorf("Crc32(%v, %d) = %d, want %d", c.keySpec, c.N, got, c.Index)
		}
		if got := mustNew(t, NameCrc32, c.N, Options{}).Index(key); got != c.Index {
			t.Errorf("Func Crc32 n=%d Index(%v) = %d, want %d", c.N, c.keySpec, got, c.Index)
		}
	}
}

func TestWeightedCh3Vectors(t *testing.T) {
	v := mustVectors(t)
	for _, c := range v.WCh3Single {
		key := c.bytes(t)
		w := fill(c.N, c.Weight)
		if got := WeightedCh3(key, w); got != c.Index {
			t.Errorf("WeightedCh3(%v, n=%d all %v) = %d, want %d", c.keySpec, c.N, c.Weight, got, c.Index)
		}
		f := mustNew(t, NameWeightedCh3, c.N, Options{Weights: w})
		if got := f.Index(key); got != c.Index {
			t.Errorf("Func WeightedCh3 n=%d all %v Index(%v) = %d, want %d", c.N, c.Weight, c.keySpec, got, c.Index)
		}
	}
}

func TestWeightedCh3Distribution(t *testing.T) {
	v := mustVectors(t)
	var key []byte
	for _, c := range v.WCh3Distribution {
		counts := make([]int, len(c.Weights))
		for i := range c.Count {
			key = seqKey(key, c.Prefix, i)
			counts[WeightedCh3(key, c.Weights)]++
		}
		if !slices.Equal(counts, c.Counts) {
			t.Errorf("WeightedCh3 %v over %q0..%d: counts %v, want %v", c.Weights, c.Prefix, c.Count-1, counts, c.Counts)
		}
	}
	// Keys that Ch3 maps to a server of weight 1.0 stay there.
	w := []float64{1.0, 1.0, 0.7}
	for i := range 1000 {
		key = seqKey(key, "", i)
		if ch3 := Ch3(key, 3); ch3 != 2 {
			if got := WeightedCh3(key, w); got != ch3 {
				t.Fatalf("WeightedCh3(%q, %v) = %d, want its Ch3 index %d", key, w, got, ch3)
			}
		}
	}
}

func TestWeightedCh3Checksums(t *testing.T) {
	v := mustVectors(t)
	// All checksum rows with weight 1.0 share one slice of ones.
	maxN := 0
	for _, c := range v.WCh3Checksums {
		maxN = max(maxN, c.N)
	}
	ones, halves, zeros := fill(maxN, 1.0), fill(maxN, 0.5), fill(maxN, 0.0)
	var key []byte
	for _, c := range v.WCh3Checksums {
		if c.Count >= 100000 && (raceEnabled || testing.Short()) {
			// These rows (all weights 1.0) repeat the furc bulk checksums.
			t.Logf("skipping WeightedCh3 n=%d over %d keys under -race or -short", c.N, c.Count)
			continue
		}
		weights := c.Weights
		if weights == nil {
			switch c.Weight {
			case 1.0:
				weights = ones[:c.N]
			case 0.5:
				weights = halves[:c.N]
			case 0.0:
				weights = zeros[:c.N]
			default:
				weights = fill(c.N, c.Weight)
			}
		}
		prefix := keyPrefix(t, c.Prefix, c.PrefixGen)
		var sum uint32
		seen := make([]bool, len(weights))
		for i := range c.Count {
			key = seqKey(key, prefix, i)
			idx := WeightedCh3(key, weights)
			seen[idx] = true
			sum = sum*31 + uint32(idx)
		}
		name := c.Prefix
		if c.PrefixGen != "" {
			name = "<" + c.PrefixGen + ">"
		}
		if sum != c.Sum {
			t.Errorf("WeightedCh3 checksum over %s0..%d, n=%d weight %v %v: %d, want %d",
				name, c.Count-1, len(weights), c.Weight, c.Weights, sum, c.Sum)
		}
		for i, w := range c.Weights {
			if w == 0 && seen[i] && len(weights) > 1 {
				t.Errorf("WeightedCh3 %v chose index %d of weight 0", c.Weights, i)
			}
		}
	}
}

func TestWeightedCh3SaltDigits(t *testing.T) {
	for _, c := range []struct {
		v    int
		want string
	}{{0, "0"}, {7, "7"}, {10, "01"}, {12, "21"}, {30, "03"}, {31, "13"}, {100, "001"}} {
		if got := string(appendDecimalLSDFirst([]byte("k"), c.v)); got != "k"+c.want {
			t.Errorf("appendDecimalLSDFirst(k, %d) = %q, want %q", c.v, got, "k"+c.want)
		}
	}
}

// TestWeightedCh3Reference compares WeightedCh3 with a direct transcription
// of mcrouter's loop (string concatenation and all), including keys longer
// than the stack buffer.
func TestWeightedCh3Reference(t *testing.T) {
	ref := func(key []byte, w []float64) int {
		cur := key
		idx := 0
		salt := 0
		for range 32 {
			idx = int(Furc(cur, uint32(len(w))))
			p := uint64(SpookyHash32(cur, 0xface2014))
			if p < uint64(w[idx]*float64(math.MaxUint32)) {
				return idx
			}
			s := salt
			salt++
			next := append([]byte(nil), key...)
			for {
				next = append(next, byte('0'+s%10))
				s /= 10
				if s == 0 {
					break
				}
			}
			cur = next
		}
		return idx
	}
	weights := [][]float64{{0.1, 0.2, 0.05}, {0, 0, 0.01, 0}, fill(7, 0.3), {0, 0}}
	long := string(make([]byte, 600))
	var key []byte
	for _, w := range weights {
		for i := range 300 {
			key = seqKey(key, "ref", i)
			if got, want := WeightedCh3(key, w), ref(key, w); got != want {
				t.Fatalf("WeightedCh3(%q, %v) = %d, reference %d", key, w, got, want)
			}
			if i%10 == 0 {
				key = seqKey(key, long, i)
				if got, want := WeightedCh3(key, w), ref(key, w); got != want {
					t.Fatalf("WeightedCh3(<long %d>, %v) = %d, reference %d", i, w, got, want)
				}
			}
		}
	}
}

func TestSpookyVectors(t *testing.T) {
	v := mustVectors(t)
	for _, c := range v.Spooky32 {
		if got := SpookyHash32([]byte(c.Key), c.Seed); got != c.Hash {
			t.Errorf("SpookyHash32(%q, %#x) = %d, want %d", c.Key, c.Seed, got, c.Hash)
		}
	}
	for _, c := range v.Spooky128 {
		h1, h2 := SpookyHash128([]byte(c.Key), c.Seed1, c.Seed2)
		if h1 != c.H1 || h2 != c.H2 {
			t.Errorf("SpookyHash128(%q, %d, %d) = (%d, %d), want (%d, %d)", c.Key, c.Seed1, c.Seed2, h1, h2, c.H1, c.H2)
		}
		if got := SpookyHash64([]byte(c.Key), c.Seed1); c.Seed1 == c.Seed2 && got != c.H1 {
			t.Errorf("SpookyHash64(%q, %d) = %d, want %d", c.Key, c.Seed1, got, c.H1)
		}
	}
}

// TestSpookyJenkinsResults is Bob Jenkins' own SpookyV2 self-test: it covers
// every short-path remainder and the long path (192 bytes and up).
func TestSpookyJenkinsResults(t *testing.T) {
	v := mustVectors(t)
	want := v.Spooky32JenkinsResults.Expected
	if len(want) != 512 {
		t.Fatalf("%d expected values, want 512", len(want))
	}
	buf := make([]byte, len(want))
	for i := range buf {
		buf[i] = byte(i + 128)
	}
	for i, w := range want {
		if got := SpookyHash32(buf[:i], 0); got != w {
			t.Errorf("SpookyHash32(buf[:%d], 0) = %#08x, want %#08x", i, got, w)
		}
	}
}

func TestShadowKeyFractions(t *testing.T) {
	v := mustVectors(t)
	var key []byte
	for _, c := range v.ShadowFractions {
		lo, hi := uint32(c.Lo*maxUint32f), uint32(c.Hi*maxUint32f)
		var got []int
		for i := range c.Count {
			key = seqKey(key, c.Prefix, i)
			if h := SpookyHash32(key, 0); lo <= h && h <= hi {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, c.Selected) {
			t.Errorf("%s<i> with SpookyHash32 in [%v, %v]·0xFFFFFFFF: %v, want %v", c.Prefix, c.Lo, c.Hi, got, c.Selected)
		}
	}
}

func TestDerivedVectors(t *testing.T) {
	v := mustVectors(t)
	ch3n5 := mustNew(t, NameCh3, 5, Options{})
	ch3n17 := mustNew(t, NameCh3, 17, Options{})
	salted := mustNew(t, NameCh3, 5, Options{Salt: "s1"})
	wch3 := mustNew(t, NameWeightedCh3, len(v.DerivedWCh3MixedWeights), Options{Weights: v.DerivedWCh3MixedWeights})
	crcN5 := mustNew(t, NameCrc32, 5, Options{})
	crcN17 := mustNew(t, NameCrc32, 17, Options{})
	for _, c := range v.Derived {
		key := []byte(c.Key)
		check := func(what string, got, want int) {
			if got != want {
				t.Errorf("%s(%q) = %d, want %d", what, c.Key, got, want)
			}
		}
		check("Ch3 n=5", Ch3(key, 5), c.Ch3N5)
		check("Func Ch3 n=5", ch3n5.Index(key), c.Ch3N5)
		check("Ch3 n=17", Ch3(key, 17), c.Ch3N17)
		check("Func Ch3 n=17", ch3n17.Index(key), c.Ch3N17)
		check("Crc32 n=5", Crc32(key, 5), c.Crc32N5)
		check("Func Crc32 n=5", crcN5.Index(key), c.Crc32N5)
		check("Crc32 n=17", Crc32(key, 17), c.Crc32N17)
		check("Func Crc32 n=17", crcN17.Index(key), c.Crc32N17)
		check("WeightedCh3 mixed", WeightedCh3(key, v.DerivedWCh3MixedWeights), c.WCh3Mixed)
		check("Func WeightedCh3 mixed", wch3.Index(key), c.WCh3Mixed)
		check("Func Ch3 n=5 salt s1", salted.Index(key), c.Ch3N5SaltS1)
		check("Ch3 n=5 of key‖s1", Ch3(AppendSalted(nil, key, "s1"), 5), c.Ch3N5SaltS1)
		if got := crc32Raw(key); got != c.Crc32 {
			t.Errorf("crc32(%q) = %08x, want %08x", c.Key, got, c.Crc32)
		}
		if got := SpookyHash32(key, 0); got != c.Spooky32 {
			t.Errorf("SpookyHash32(%q, 0) = %d, want %d", c.Key, got, c.Spooky32)
		}
	}
}

func TestConstShardVectors(t *testing.T) {
	v := mustVectors(t)
	for _, c := range v.ConstShard {
		key := c.bytes(t)
		if got := ConstShard(key, c.N); got != c.Index {
			t.Errorf("ConstShard(%v, %d) = %d, want %d", c.keySpec, c.N, got, c.Index)
		}
		if got := mustNew(t, NameConstShard, c.N, Options{}).Index(key); got != c.Index {
			t.Errorf("Func ConstShard n=%d Index(%v) = %d, want %d", c.N, c.keySpec, got, c.Index)
		}
	}
}

func TestConstShardParsing(t *testing.T) {
	for _, c := range []struct {
		key   string
		n     int
		shard int
		ok    bool
	}{
		{"a:0:b", 1, 0, true},
		{"a:007:b", 8, 7, true},
		{"a:7:", 8, 7, true},
		{"::", 8, 0, false},
		{":3:", 8, 3, true},
		{"a:3", 8, 0, false},
		{"a:8:b", 8, 0, false},
		{"a: 3:b", 8, 0, false},
		{"a:3 :b", 8, 0, false},
		{"a:+3:b", 8, 0, false},
		{"a:-3:b", 8, 0, false},
		{"a:99999999999999999999999999:b", MaxCh3PoolSize, 0, false},
		{"a:8388607:b", MaxCh3PoolSize, 8388607, true},
		{"a:b:3:c", 8, 0, false},
		{"3:4:5", 8, 4, true},
	} {
		shard, ok := constShardID([]byte(c.key), c.n)
		if ok != c.ok || (ok && shard != c.shard) {
			t.Errorf("constShardID(%q, %d) = %d, %v; want %d, %v", c.key, c.n, shard, ok, c.shard, c.ok)
		}
	}
}

func rendezvousTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = "xxx." + strconv.Itoa(i) + ".yy"
	}
	return tags
}

func tagHashes(tags []string) []uint64 {
	h := make([]uint64, len(tags))
	for i, tag := range tags {
		h[i] = RendezvousTagHash(tag)
	}
	return h
}

func TestRendezvousVectors(t *testing.T) {
	v := mustVectors(t).Rendezvous
	for _, c := range v.Single {
		key := c.bytes(t)
		tags := rendezvousTags(c.N)
		if got := Rendezvous(key, tagHashes(tags)); got != c.Index {
			t.Errorf("Rendezvous(%v, n=%d) = %d, want %d", c.keySpec, c.N, got, c.Index)
		}
		if got := mustNew(t, NameRendezvous, c.N, Options{Tags: tags}).Index(key); got != c.Index {
			t.Errorf("Func Rendezvous n=%d Index(%v) = %d, want %d", c.N, c.keySpec, got, c.Index)
		}
	}
	var key []byte
	for _, c := range v.Distribution {
		f := mustNew(t, NameRendezvous, c.N, Options{Tags: rendezvousTags(c.N)})
		counts := make([]int, c.N)
		for i := range c.Count {
			key = seqKey(key, c.Prefix, i)
			counts[f.Index(key)]++
		}
		if !slices.Equal(counts, c.Counts) {
			t.Errorf("Rendezvous n=%d over %q0..%d: counts %v, want %v", c.N, c.Prefix, c.Count-1, counts, c.Counts)
		}
	}
	checkRehash(t, NameRendezvous, v.Rehash, nil)
}

// checkRehash counts the keys that change endpoint when one endpoint is
// removed from the front, the back and the middle (mcrouter's
// rendezvous_rehash tests).
func checkRehash(t *testing.T, name string, r rehashVector, weight func(n int) []float64) {
	t.Helper()
	tags := rendezvousTags(r.N)
	build := func(tags []string) *Func {
		opts := Options{Tags: tags}
		if weight != nil {
			opts.Weights = weight(len(tags))
		}
		return mustNew(t, name, len(tags), opts)
	}
	all := build(tags)
	var key []byte
	diff := func(remove int) int {
		left := slices.Delete(slices.Clone(tags), remove, remove+1)
		f := build(left)
		moved := 0
		for i := range r.Count {
			key = seqKey(key, r.Prefix, i)
			if tags[all.Index(key)] != left[f.Index(key)] {
				moved++
			}
		}
		return moved
	}
	for _, c := range []struct {
		what   string
		remove int
		want   int
	}{{"front", 0, r.Front}, {"back", r.N - 1, r.Back}, {"mid", r.N / 2, r.Mid}} {
		if got := diff(c.remove); got != c.want {
			t.Errorf("%s n=%d, %s endpoint removed: %d keys moved, want %d", name, r.N, c.what, got, c.want)
		}
	}
}

func TestWeightedRendezvousVectors(t *testing.T) {
	v := mustVectors(t).WeightedRendezvous
	for _, c := range v.Single {
		key := c.bytes(t)
		weights := c.Weights
		if weights == nil {
			weights = fill(c.N, c.Weight)
		}
		tags := rendezvousTags(len(weights))
		if got := WeightedRendezvous(key, tagHashes(tags), weights); got != c.Index {
			t.Errorf("WeightedRendezvous(%v, %v) = %d, want %d", c.keySpec, weights, got, c.Index)
		}
		// The general formula must agree with the uniform-weight shortcut.
		if got := weightedRendezvous(key, tagHashes(tags), weights, false); got != c.Index {
			t.Errorf("WeightedRendezvous general path (%v, n=%d) = %d, want %d", c.keySpec, len(weights), got, c.Index)
		}
		f := mustNew(t, NameWeightedRendezvous, len(tags), Options{Tags: tags, Weights: weights})
		if got := f.Index(key); got != c.Index {
			t.Errorf("Func WeightedRendezvous n=%d Index(%v) = %d, want %d", len(tags), c.keySpec, got, c.Index)
		}
	}
	var key []byte
	for _, c := range v.Distribution {
		n := len(c.Weights)
		f := mustNew(t, NameWeightedRendezvous, n, Options{Tags: rendezvousTags(n), Weights: c.Weights})
		counts := make([]int, n)
		for i := range c.Count {
			key = seqKey(key, c.Prefix, i)
			counts[f.Index(key)]++
		}
		if !slices.Equal(counts, c.Counts) {
			t.Errorf("WeightedRendezvous %v over %q0..%d: counts %v, want %v", c.Weights, c.Prefix, c.Count-1, counts, c.Counts)
		}
	}
	checkRehash(t, NameWeightedRendezvous, v.Rehash, func(n int) []float64 { return fill(n, 1) })
}

func crc32Raw(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
