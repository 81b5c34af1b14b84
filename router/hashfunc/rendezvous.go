package hashfunc

import "math"

const (
	// RendezvousTagSeed is the Murmur64A seed of a Rendezvous tag.
	RendezvousTagSeed = 4193360111
	// RendezvousKeySeed is the Murmur64A seed of a Rendezvous routing key.
	RendezvousKeySeed = 2718281828
)

// fiftyThreeOnes masks the 53 bits a float64 mantissa holds.
const fiftyThreeOnes = 1<<53 - 1

// RendezvousTagHash is the hash of one Rendezvous endpoint tag:
// Murmur64A(tag, RendezvousTagSeed). Compute it once per tag, at config time.
func RendezvousTagHash(tag string) uint64 {
	return Murmur64A([]byte(tag), RendezvousTagSeed)
}

// Rendezvous is mcrouter's Rendezvous hash function: each endpoint i scores
// Hash128to64(tagHashes[i], Murmur64A(key, RendezvousKeySeed)), compared as
// float64 (mcrouter converts the score to double, so scores that round to the
// same double tie); the highest score wins and a tie goes to the higher
// index. tagHashes come from RendezvousTagHash. It returns 0 when tagHashes
// is empty.
func Rendezvous(key []byte, tagHashes []uint64) int {
	if len(tagHashes) == 0 {
		return 0
	}
	keyHash := Murmur64A(key, RendezvousKeySeed)
	best, bestScore := 0, Hash128to64(tagHashes[0], keyHash)
	for i := 1; i < len(tagHashes); i++ {
		best, bestScore = rendezvousStep(best, bestScore, i, Hash128to64(tagHashes[i], keyHash))
	}
	return best
}

// rendezvousStep folds score i into (best, bestScore), where bestScore is
// the largest score so far and best the highest index whose score converts
// to the same float64 as bestScore. That is mcrouter's rule (compare
// float64(score), ties to the higher index) without converting every score:
// uint64 to float64 is a branchy, often mispredicted sequence on amd64.
// Conversion is monotonic, and two integers convert to the same float64 only
// if they differ by less than one ulp, at most 2^11 below 2^64.
func rendezvousStep(best int, bestScore uint64, i int, score uint64) (int, uint64) {
	if score >= bestScore {
		return i, score
	}
	if bestScore-score < 1<<11 && float64(score) == float64(bestScore) {
		return i, bestScore
	}
	return best, bestScore
}

// WeightedRendezvous is mcrouter's WeightedRendezvous hash function. With
// u = (Hash128to64(tagHashes[i], keyHash) & (2^53-1)) / 2^53, endpoint i
// scores weights[i] * (1 / -ln(u)); the highest score wins, the first on a
// tie, and 0 when no score is above 0. When all weights are equal and
// positive the score is monotonic in u, and, as in mcrouter, the masked hash
// itself is compared instead. len(weights) must equal len(tagHashes).
//
// The logarithm is Go's math.Log; mcrouter uses the C library's log. The two
// can differ in the last bit, which matters only when two scores are within
// one ulp of each other.
func WeightedRendezvous(key []byte, tagHashes []uint64, weights []float64) int {
	return weightedRendezvous(key, tagHashes, weights, uniformPositive(weights))
}

func weightedRendezvous(key []byte, tagHashes []uint64, weights []float64, uniform bool) int {
	keyHash := Murmur64A(key, RendezvousKeySeed)
	maxIndex := 0
	if uniform {
		var maxMasked uint64
		for i, th := range tagHashes {
			masked := Hash128to64(th, keyHash) & fiftyThreeOnes
			if masked > maxMasked {
				maxMasked = masked
				maxIndex = i
			}
		}
		return maxIndex
	}
	weights = weights[:len(tagHashes)]
	maxScore := 0.0
	for i, th := range tagHashes {
		u := float64(Hash128to64(th, keyHash)&fiftyThreeOnes) / (1 << 53)
		score := weights[i] * (1.0 / (-math.Log(u)))
		if score > maxScore {
			maxScore = score
			maxIndex = i
		}
	}
	return maxIndex
}

// uniformPositive reports whether weights is non-empty and all its weights
// are equal and positive (mcrouter's allWeightsEqualAndPositive).
func uniformPositive(weights []float64) bool {
	if len(weights) == 0 || !(weights[0] > 0) {
		return false
	}
	for _, w := range weights[1:] {
		if w != weights[0] {
			return false
		}
	}
	return true
}
