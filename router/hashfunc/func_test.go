package hashfunc

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestVectorsLoaded guards against a renamed JSON field silently emptying a
// table (every vector test would then pass vacuously).
func TestVectorsLoaded(t *testing.T) {
	v := mustVectors(t)
	for _, c := range []struct {
		what string
		n    int
		min  int
	}{
		{"ch3", len(v.Ch3), 10},
		{"ch3_distribution", len(v.Ch3Distribution), 2},
		{"furc_golden", len(v.FurcGolden), 16},
		{"furc_other", len(v.FurcOther), 11},
		{"furc_bulk.checksums", len(v.FurcBulk.Checksums), 19},
		{"crc32", len(v.Crc32), 7},
		{"wch3_single", len(v.WCh3Single), 4},
		{"wch3_distribution", len(v.WCh3Distribution), 2},
		{"wch3_checksums", len(v.WCh3Checksums), 17},
		{"spooky32", len(v.Spooky32), 2},
		{"spooky128", len(v.Spooky128), 1},
		{"spooky32_jenkins_results", len(v.Spooky32JenkinsResults.Expected), 512},
		{"shadow_fractions", len(v.ShadowFractions), 6},
		{"derived", len(v.Derived), 6},
		{"derived_wch3_mixed_weights", len(v.DerivedWCh3MixedWeights), 5},
		{"const_shard", len(v.ConstShard), 11},
		{"rendezvous.single", len(v.Rendezvous.Single), 8},
		{"rendezvous.distribution", len(v.Rendezvous.Distribution), 2},
		{"weighted_rendezvous.single", len(v.WeightedRendezvous.Single), 8},
		{"weighted_rendezvous.distribution", len(v.WeightedRendezvous.Distribution), 4},
	} {
		if c.n < c.min {
			t.Errorf("%s: %d vectors, want at least %d", c.what, c.n, c.min)
		}
	}
	if v.Rendezvous.Rehash.N == 0 || v.WeightedRendezvous.Rehash.N == 0 || v.FurcBulk.Count != 100000 {
		t.Errorf("rehash or bulk parameters missing")
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		opts Options
		want string
	}{
		{"ch3", 5, Options{}, "Unknown hash function: ch3"},
		{"CH3", 5, Options{}, "Unknown hash function: CH3"},
		{"Latest", 5, Options{}, "Unknown hash function: Latest"},
		{"", 5, Options{}, "Unknown hash function: "},
		{"Ch3", 0, Options{}, "pool size 0 out of range"},
		{"Ch3", MaxCh3PoolSize + 1, Options{}, "pool size 8388609 out of range"},
		{"ConstShard", 0, Options{}, "pool size 0 out of range"},
		{"ConstShard", MaxCh3PoolSize + 1, Options{}, "out of range"},
		{"WeightedCh3", 0, Options{}, "pool size 0 out of range"},
		{"WeightedCh3", MaxCh3PoolSize + 1, Options{}, "out of range"},
		{"WeightedCh3", 3, Options{Weights: []float64{1, 1.5}}, "weights[1] is 1.5"},
		{"WeightedCh3", 3, Options{Weights: []float64{-0.1}}, "weights[0] is -0.1"},
		{"WeightedCh3", 3, Options{Weights: []float64{math.NaN()}}, "weights[0] is NaN"},
		{"Crc32", 0, Options{}, "pool size 0"},
		{"Rendezvous", 2, Options{}, "0 tags for 2 servers"},
		{"Rendezvous", 2, Options{Tags: []string{"a", "b", "c"}}, "3 tags for 2 servers"},
		{"Rendezvous", 0, Options{}, "pool size 0"},
		{"WeightedRendezvous", 2, Options{Tags: []string{"a", "b"}}, "0 weights for 2 tags"},
		{"WeightedRendezvous", 2, Options{Tags: []string{"a", "b"}, Weights: []float64{1, 1, 1}}, "3 weights for 2 tags"},
	} {
		f, err := New(c.name, c.n, c.opts)
		if err == nil {
			t.Errorf("New(%q, %d, %+v) = %v, want error %q", c.name, c.n, c.opts, f, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q, %d, %+v) error %q, want it to contain %q", c.name, c.n, c.opts, err, c.want)
		}
	}
	_, err := New("Nope", 1, Options{})
	var unknown *UnknownFuncError
	if !errors.As(err, &unknown) || unknown.Name != "Nope" || err.Error() != "Unknown hash function: Nope" {
		t.Errorf("New(Nope) error = %#v", err)
	}
}

func TestNewAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		opts Options
	}{
		{"Ch3", 1, Options{}},
		{"Ch3", MaxCh3PoolSize, Options{}},
		{"ConstShard", MaxCh3PoolSize, Options{}},
		{"Crc32", 1 << 30, Options{}},
		{"WeightedCh3", 3, Options{Weights: []float64{0, 1, 0.25}}},
		{"WeightedCh3", 3, Options{}},
		{"WeightedCh3", 1, Options{Weights: []float64{1, 7, -3}}}, // extra weights ignored, unchecked
		{"Rendezvous", 1, Options{Tags: []string{"a"}}},
		{"WeightedRendezvous", 2, Options{Tags: []string{"a", "b"}, Weights: []float64{0, 2}}},
	} {
		f, err := New(c.name, c.n, c.opts)
		if err != nil {
			t.Errorf("New(%q, %d): %v", c.name, c.n, err)
			continue
		}
		if f.Name() != c.name || f.N() != c.n {
			t.Errorf("New(%q, %d) = %s n=%d", c.name, c.n, f.Name(), f.N())
		}
		for _, key := range []string{"", "a", "foo:0:bar", strings.Repeat("x", 1000)} {
			if i := f.Index([]byte(key)); i < 0 || i >= c.n {
				t.Errorf("%s n=%d Index(%.10q) = %d, out of range", c.name, c.n, key, i)
			}
		}
	}
}

func TestWeightedCh3Defaults(t *testing.T) {
	// Missing weights are 0.5: the same as giving them explicitly.
	short := mustNew(t, NameWeightedCh3, 4, Options{Weights: []float64{1, 0.2}})
	full := mustNew(t, NameWeightedCh3, 4, Options{Weights: []float64{1, 0.2, 0.5, 0.5}})
	extra := mustNew(t, NameWeightedCh3, 4, Options{Weights: []float64{1, 0.2, 0.5, 0.5, 0, 0, 0}})
	var key []byte
	for i := range 2000 {
		key = seqKey(key, "w", i)
		a, b, c := short.Index(key), full.Index(key), extra.Index(key)
		if a != b || b != c {
			t.Fatalf("key %q: missing weights → %d, explicit 0.5 → %d, extra weights → %d", key, a, b, c)
		}
	}
}

func TestFuncSalt(t *testing.T) {
	long := strings.Repeat("L", 600)
	for _, name := range []string{NameCh3, NameCrc32, NameWeightedCh3, NameConstShard, NameRendezvous, NameWeightedRendezvous} {
		const n = 7
		tags := rendezvousTags(n)
		weights := []float64{0.9, 0.1, 0.5, 1, 0.3, 0.7, 0.2}
		for _, salt := range []string{"", "s1", strings.Repeat("S", 300)} {
			salted := mustNew(t, name, n, Options{Salt: salt, Tags: tags, Weights: weights})
			plain := mustNew(t, name, n, Options{Tags: tags, Weights: weights})
			for _, key := range []string{"", "foo", "a:3:b", long[:200], long[:212], long[:213], long} {
				want := plain.Index(AppendSalted(nil, []byte(key), salt))
				if got := salted.Index([]byte(key)); got != want {
					t.Errorf("%s salt %.8q: Index(%.12q…) = %d, unsalted Index(key‖salt) = %d", name, salt, key, got, want)
				}
			}
		}
	}
}

func TestFuncString(t *testing.T) {
	f := mustNew(t, NameCh3, 3, Options{})
	if f.String() != "hash|Ch3" || f.Salt() != "" {
		t.Errorf("String() = %q", f.String())
	}
	f = mustNew(t, NameWeightedCh3, 3, Options{Salt: "x"})
	if f.String() != "hash|WeightedCh3|salt=x" || f.Salt() != "x" {
		t.Errorf("String() = %q", f.String())
	}
	var zero Func
	if zero.Index([]byte("k")) != 0 || zero.Name() != "" {
		t.Errorf("zero Func: Index %d, Name %q", zero.Index([]byte("k")), zero.Name())
	}
}

func TestRawFunctionEdges(t *testing.T) {
	key := []byte("edge")
	if Ch3(key, 0) != 0 || Ch3(key, -5) != 0 || Crc32(key, 0) != 0 || Crc32(key, -1) != 0 {
		t.Error("n <= 0 must give 0")
	}
	if WeightedCh3(key, nil) != 0 || Rendezvous(key, nil) != 0 || WeightedRendezvous(key, nil, nil) != 0 {
		t.Error("empty pools must give 0")
	}
	// Out-of-range weights act as the nearest bound.
	if a, b := WeightedCh3(key, []float64{2, 2}), WeightedCh3(key, []float64{1, 1}); a != b {
		t.Errorf("weights 2 → %d, weights 1 → %d", a, b)
	}
	if a, b := WeightedCh3(key, []float64{-1, -1}), WeightedCh3(key, []float64{0, 0}); a != b {
		t.Errorf("weights -1 → %d, weights 0 → %d", a, b)
	}
	// A weight-0 endpoint never wins WeightedRendezvous unless all are 0.
	h := tagHashes(rendezvousTags(3))
	var k []byte
	for i := range 500 {
		k = seqKey(k, "wr", i)
		if WeightedRendezvous(k, h, []float64{0, 1, 1}) == 0 {
			t.Fatalf("weight 0 endpoint chosen for %q", k)
		}
		if got := WeightedRendezvous(k, h, []float64{0, 0, 0}); got != 0 {
			t.Fatalf("all weights 0: got %d, want 0", got)
		}
	}
}

// rendezvousFloat is Rendezvous as mcrouter writes it: every score
// converted to float64, the largest wins, ties go to the higher index.
func rendezvousFloat(scores []uint64) int {
	maxScore := -1.0
	maxIndex := 0
	for i, s := range scores {
		score := float64(s)
		if score > maxScore || (score == maxScore && i > maxIndex) {
			maxScore = score
			maxIndex = i
		}
	}
	return maxIndex
}

func rendezvousFold(scores []uint64) int {
	best, bestScore := 0, scores[0]
	for i := 1; i < len(scores); i++ {
		best, bestScore = rendezvousStep(best, bestScore, i, scores[i])
	}
	return best
}

// TestRendezvousFloatTies checks the integer shortcut of Rendezvous against
// the float64 comparison on scores built to collide after rounding.
func TestRendezvousFloatTies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := 1 + r.IntN(6)
		scores := make([]uint64, n)
		base := r.Uint64()
		switch r.IntN(4) {
		case 0:
			base |= 1 << 63 // ulp 2^11
		case 1:
			base >>= 1 + r.IntN(20) // smaller ulps
		case 2:
			base = 1<<64 - 1 - r.Uint64N(4096) // next to the top, rounds to 2^64
		}
		for i := range scores {
			switch r.IntN(3) {
			case 0:
				scores[i] = base
			case 1:
				scores[i] = base + r.Uint64N(4096)
			default:
				scores[i] = base - r.Uint64N(4096)
			}
		}
		if got, want := rendezvousFold(scores), rendezvousFloat(scores); got != want {
			t.Fatalf("scores %v: shortcut picks %d, float64 comparison %d", scores, got, want)
		}
	}
	// And the real function on real hashes.
	h := tagHashes(rendezvousTags(50))
	var key []byte
	for i := range 3000 {
		key = seqKey(key, "rv", i)
		kh := Murmur64A(key, RendezvousKeySeed)
		scores := make([]uint64, len(h))
		for j, th := range h {
			scores[j] = Hash128to64(th, kh)
		}
		if got, want := Rendezvous(key, h), rendezvousFloat(scores); got != want {
			t.Fatalf("Rendezvous(%q) = %d, float64 comparison %d", key, got, want)
		}
	}
	// Equal tags tie exactly: the higher index wins.
	dup := tagHashes([]string{"a", "b", "a", "b"})
	for i := range 100 {
		key = seqKey(key, "dup", i)
		if got := Rendezvous(key, dup); got != 2 && got != 3 {
			t.Fatalf("Rendezvous(%q) with duplicated tags = %d, want 2 or 3", key, got)
		}
	}
}
