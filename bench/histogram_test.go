package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogramBucketsTile(t *testing.T) {
	// Buckets are contiguous and every value maps into the bucket that
	// covers it.
	var next uint64
	for i := 0; i < histBuckets; i++ {
		lo, w := histBucket(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if w > 1 && float64(w)/float64(lo) > 1.0/histSub+1e-12 {
			t.Fatalf("bucket %d: width %d too wide for lower bound %d", i, w, lo)
		}
		for _, v := range []uint64{lo, lo + w/2, lo + w - 1} {
			if got := histIndex(v); got != i {
				t.Fatalf("histIndex(%d) = %d, want %d", v, got, i)
			}
		}
		next = lo + w
	}
	if next != 1<<histMaxBits {
		t.Fatalf("buckets end at %d, want 2^%d", next, histMaxBits)
	}
}

func exactPercentile(sorted []uint64, q float64) uint64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func TestHistogramErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() uint64{
		"small-exact": func() uint64 { return uint64(rng.IntN(256)) },
		"uniform-ms":  func() uint64 { return uint64(rng.Int64N(10_000_000)) },
		"log-uniform": func() uint64 { return uint64(math.Exp(rng.Float64() * math.Log(1e11))) },
		"exponential": func() uint64 { return uint64(rng.ExpFloat64() * 80_000) },
		"bimodal": func() uint64 {
			if rng.IntN(1000) == 0 {
				return 200_000_000 + uint64(rng.IntN(1000))
			}
			return 50_000 + uint64(rng.IntN(20_000))
		},
	}
	qs := []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			var h Histogram
			vals := make([]uint64, 200_000)
			var sum uint64
			for i := range vals {
				vals[i] = gen()
				sum += vals[i]
				h.Record(int64(vals[i]))
			}
			slices.Sort(vals)
			for _, q := range qs {
				want := exactPercentile(vals, q)
				got := h.Percentile(q)
				if diff := math.Abs(float64(got) - float64(want)); diff > HistogramRelErr*float64(want) {
					t.Errorf("p%g: got %d, exact %d: relative error %.5f > %.5f", q*100, got, want, diff/float64(want), HistogramRelErr)
				}
				if name == "small-exact" && got != want {
					t.Errorf("p%g: got %d, want exactly %d below 256", q*100, got, want)
				}
			}
			if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] || h.Percentile(1) != h.Max() || h.Percentile(0) != h.Min() {
				t.Errorf("min/max not exact: %d/%d vs %d/%d", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
			}
			if math.Abs(h.Mean()-float64(sum)/float64(len(vals))) > 1e-6*h.Mean() {
				t.Errorf("mean %f, want %f", h.Mean(), float64(sum)/float64(len(vals)))
			}
		})
	}
}

func TestHistogramMergeAndEdges(t *testing.T) {
	var a, b, all Histogram
	if a.Percentile(0.5) != 0 || a.Mean() != 0 {
		t.Fatal("empty histogram should report 0")
	}
	for i := int64(0); i < 1000; i++ {
		a.Record(i * 1000)
		all.Record(i * 1000)
		b.Record(i * 7777)
		all.Record(i * 7777)
	}
	a.Merge(&b)
	if a != all {
		t.Fatal("merge differs from recording everything in one histogram")
	}
	var h Histogram
	h.Record(-5)
	h.Record(1 << 50) // beyond the last bucket: counted there, max exact
	if h.Min() != 0 || h.Max() != 1<<50 || h.Percentile(0.99) != 1<<50 {
		t.Fatalf("edges: min %d max %d p99 %d", h.Min(), h.Max(), h.Percentile(0.99))
	}
}
