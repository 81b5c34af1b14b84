package jsonm

import (
	"errors"
	"math"

	"mcroute/router/hashfunc"
)

// Hash functions behind @hash and @weightedHash, bit-compatible with
// folly's: folly::Hash of a string is SpookyHashV2 Hash64 with seed 0, of
// an int64 twang_mix64; mcrouter's RendezvousHash hashes node names with
// folly's (signed-char) FNV-64.

// twangMix64 is hashfunc.TwangMix64 (folly::hash::twang_mix64).
var twangMix64 = hashfunc.TwangMix64

// fnv64Signed is folly::hash::fnv64_buf (now fnv64_buf_BROKEN): FNV-1
// 64-bit where each byte is sign-extended before the xor.
func fnv64Signed(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h += (h << 1) + (h << 4) + (h << 5) + (h << 7) + (h << 8) + (h << 40)
		h ^= uint64(int64(int8(s[i])))
	}
	return h
}

// rendezvousPick is mcrouter's RendezvousHash(names, weights).get(key):
// weights are normalised, and the node with the largest
// (twang_mix64(fnv64(name)+key)/2^64)^(1/weight) wins (first on ties).
func rendezvousPick(names []string, weights []float64, key uint64) (int, error) {
	sum := 0.0
	for _, w := range weights {
		if w < 0 {
			return 0, errors.New("weight should be greater than 0")
		}
		sum += w
	}
	if sum < 2.220446049250313e-16 {
		return 0, errors.New("sum of weights is 0")
	}
	best, bestScore := 0, -1.0
	for i, name := range names {
		w := weights[i] / sum
		scaled := float64(twangMix64(fnv64Signed(name)+key)) / float64(math.MaxUint64)
		score := 0.0
		if w > 2.220446049250313e-16 {
			score = math.Pow(scaled, 1/w)
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best, nil
}

// SpookyHash V2 (used by @hash and @weightedHash) is the router's own:
// one implementation, checked against mcrouter's vectors in both packages.
var (
	spookyHash64  = hashfunc.SpookyHash64
	spookyHash128 = hashfunc.SpookyHash128
)
