package bench

import (
	"math"
	"math/bits"
)

// Histogram geometry: values below 2*histSub are counted exactly; above, each
// power of two is split into histSub equal buckets, so a bucket is never wider
// than 1/histSub of its lower bound. Values of 2^histMaxBits ns (about 18
// minutes) and more share the last bucket, reported as Max (exact).
const (
	histSubBits = 7
	histSub     = 1 << histSubBits
	histMaxBits = 40
	histBuckets = (histMaxBits - histSubBits + 1) * histSub

	// HistogramRelErr bounds the relative error of every value a Histogram
	// reports (Percentile, and the bucket values in Ladder): the reported
	// value r and the true sample v at that rank satisfy
	// |r-v| <= HistogramRelErr*v. Mean, Min and Max are exact.
	HistogramRelErr = 1.0 / (2 * histSub)
)

// Histogram counts latencies in nanoseconds in log-linear buckets. It is a
// fixed-size value (about 35 KiB): Record never allocates. A Histogram is not
// safe for concurrent use; each connection keeps its own and they are merged
// at the end of a run.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64
	min    uint64
	max    uint64
}

func histIndex(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	if v >= 1<<histMaxBits {
		v = 1<<histMaxBits - 1
	}
	shift := bits.Len64(v) - 1 - histSubBits
	return shift*histSub + int(v>>uint(shift))
}

// histBucket returns the lowest value counted in bucket i and the bucket's
// width.
func histBucket(i int) (lo, width uint64) {
	if i < 2*histSub {
		return uint64(i), 1
	}
	shift := i/histSub - 1
	m := uint64(i - shift*histSub)
	return m << uint(shift), 1 << uint(shift)
}

// Record counts one value in nanoseconds; negative values count as 0.
func (h *Histogram) Record(ns int64) {
	v := uint64(0)
	if ns > 0 {
		v = uint64(ns)
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
	h.counts[histIndex(v)]++
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min is the smallest value recorded (exact), 0 when empty.
func (h *Histogram) Min() uint64 { return h.min }

// Max is the largest value recorded (exact), 0 when empty.
func (h *Histogram) Max() uint64 { return h.max }

// Mean is the exact mean in nanoseconds, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.n)
}

// Percentile returns the value at quantile q (0 <= q <= 1) in nanoseconds:
// the value of the sample of rank ceil(q*Count), within HistogramRelErr.
// q <= 0 gives Min and q >= 1 gives Max, both exact.
func (h *Histogram) Percentile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			return h.represent(i)
		}
	}
	return h.max
}

// represent is the value reported for bucket i: its midpoint, clamped to the
// exact extremes.
func (h *Histogram) represent(i int) uint64 {
	if i == histBuckets-1 { // holds everything from 2^histMaxBits ns up
		return h.max
	}
	lo, w := histBucket(i)
	v := lo + w/2
	if v < h.min {
		v = h.min
	}
	if v > h.max {
		v = h.max
	}
	return v
}

// LadderStep is one line of a latency distribution: the share of values at
// or below Value.
type LadderStep struct {
	Percent float64 `json:"percent"`
	ValueMs float64 `json:"ms"`
}

// LadderPercents are the quantiles printed in a distribution.
var LadderPercents = []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100}

// Ladder returns the value at each of LadderPercents, in milliseconds.
func (h *Histogram) Ladder() []LadderStep {
	out := make([]LadderStep, 0, len(LadderPercents))
	for _, p := range LadderPercents {
		out = append(out, LadderStep{Percent: p, ValueMs: nsToMs(h.Percentile(p / 100))})
	}
	return out
}

func nsToMs(ns uint64) float64 { return float64(ns) / 1e6 }
