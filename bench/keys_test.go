package bench

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestParseKeyPattern(t *testing.T) {
	s, g, err := ParseKeyPattern("P:G")
	if err != nil || s != PatternParallel || g != PatternGaussian {
		t.Fatalf("P:G = %c %c %v", s, g, err)
	}
	for _, bad := range []string{"", "R", "R:", "X:R", "RR:R", "r:r"} {
		if _, _, err := ParseKeyPattern(bad); err == nil {
			t.Errorf("ParseKeyPattern(%q) accepted", bad)
		}
	}
}

func TestKeyPatternRandom(t *testing.T) {
	g := newKeyGen(PatternRandom, 10, 19, 0, 0, 0, 1, rand.New(rand.NewPCG(1, 1)))
	var seen [10]int
	for i := 0; i < 100_000; i++ {
		k := g.Next()
		if k < 10 || k > 19 {
			t.Fatalf("key %d outside [10, 19]", k)
		}
		seen[k-10]++
	}
	for i, n := range seen {
		if n < 9000 || n > 11000 {
			t.Errorf("key %d drawn %d times of 100000, want about 10000", i+10, n)
		}
	}
}

func TestKeyPatternGaussian(t *testing.T) {
	g := newKeyGen(PatternGaussian, 0, 60_000, 0, 0, 0, 1, rand.New(rand.NewPCG(1, 1)))
	const n = 100_000
	var sum float64
	within := 0
	for i := 0; i < n; i++ {
		k := g.Next()
		if k < 0 || k > 60_000 {
			t.Fatalf("key %d outside the range", k)
		}
		sum += float64(k)
		if math.Abs(float64(k)-30_000) <= 10_000 {
			within++
		}
	}
	if mean := sum / n; math.Abs(mean-30_000) > 300 {
		t.Errorf("mean %f, want about the median 30000", mean)
	}
	if frac := float64(within) / n; frac < 0.66 || frac > 0.70 {
		t.Errorf("%.3f within one standard deviation, want about 0.683", frac)
	}
}

func TestKeyPatternSequential(t *testing.T) {
	g := newKeyGen(PatternSequential, 5, 9, 0, 0, 0, 2, nil)
	var got []int64
	for i := 0; i < 7; i++ {
		got = append(got, g.Next())
	}
	want := []int64{5, 6, 7, 8, 9, 5, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("connection 0 walks %v, want %v", got, want)
		}
	}
	g1 := newKeyGen(PatternSequential, 5, 9, 0, 0, 1, 2, nil)
	if k := g1.Next(); k != 7 {
		t.Errorf("connection 1 of 2 starts at %d, want 7 (its own offset)", k)
	}
}

func TestKeyPatternParallelCoversOnce(t *testing.T) {
	for _, tc := range []struct {
		min, max int64
		conns    int
	}{{0, 99, 7}, {1, 100_000, 4}, {1, 3, 5}} {
		counts := map[int64]int{}
		for c := 0; c < tc.conns; c++ {
			g := newKeyGen(PatternParallel, tc.min, tc.max, 0, 0, c, tc.conns, nil)
			n := g.sliceLen()
			if tc.max-tc.min+1 < int64(tc.conns) {
				n = 1
			}
			for i := int64(0); i < n; i++ {
				counts[g.Next()]++
			}
		}
		for k := tc.min; k <= tc.max; k++ {
			if counts[k] < 1 {
				t.Errorf("%+v: key %d never visited", tc, k)
			}
			if tc.max-tc.min+1 >= int64(tc.conns) && counts[k] != 1 {
				t.Errorf("%+v: key %d visited %d times, want once", tc, k, counts[k])
			}
		}
	}
}
