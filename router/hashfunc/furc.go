package hashfunc

import "math/bits"

const (
	// furcSeed is the MurmurHash64A seed of furc_hash (0xF9F198EF).
	furcSeed = 4193360111
	// furcMaxTries is how many in-range attempts furc_hash makes before
	// giving up and returning 0.
	furcMaxTries = 32
	// furcShift is the gap between bit positions of consecutive decision
	// bits; it limits Ch3 to 2^furcShift servers.
	furcShift = 23
	// furcCacheWords is how many words of the bit stream Furc keeps on the
	// stack. Most keys need far fewer; words past the cache are regenerated
	// from the last cached word (the stream is a hash chain), so results do
	// not depend on this size. mcrouter caches 1024 words; zeroing 8 KiB per
	// call would cost more than the hashing.
	furcCacheWords = 32
)

// MaxCh3PoolSize is the largest pool Ch3, ConstShard and WeightedCh3 accept
// (furc_maximum_pool_size, 2^23).
const MaxCh3PoolSize = 1 << furcShift

// furcStream is the lazily computed bit stream of furc_hash: word 0 is
// Murmur64A(key, furcSeed), word j+1 is the rehash of word j, and bit i is
// bit i%64 of word i/64.
type furcStream struct {
	n     uint32 // words of cache that are valid, 1..furcCacheWords
	cache [furcCacheWords]uint64
	// far/farWord remember the last word computed past the cache, so a run
	// of increasing bit positions costs one rehash per word. far == 0 means
	// unset (word 0 is always in the cache).
	far     uint32
	farWord uint64
}

// word returns word ord of the stream when it is not cached yet (ord >= n).
// Furc reads cached words itself, so that the common case is not a call.
func (s *furcStream) word(ord uint32) uint64 {
	if ord < furcCacheWords {
		for s.n <= ord {
			s.cache[s.n] = murmurRehash(s.cache[s.n-1])
			s.n++
		}
		return s.cache[ord]
	}
	for s.n < furcCacheWords {
		s.cache[s.n] = murmurRehash(s.cache[s.n-1])
		s.n++
	}
	if s.far == 0 || s.far > ord {
		s.far, s.farWord = furcCacheWords-1, s.cache[furcCacheWords-1]
	}
	for s.far < ord {
		s.farWord = murmurRehash(s.farWord)
		s.far++
	}
	return s.farWord
}

// Furc is mcrouter's furc_hash: a consistent hash of key onto [0, m) built
// from a binary decision tree over a pseudo-random bit stream. Growing m by
// one moves a key only to the new bucket m: Furc(key, m+1) is Furc(key, m)
// or m. Any m is accepted (m <= 1 gives 0); Ch3 limits m to MaxCh3PoolSize.
// It does not allocate.
func Furc(key []byte, m uint32) uint32 {
	if m <= 1 {
		return 0
	}
	var s furcStream
	s.cache[0] = Murmur64A(key, furcSeed)
	s.n = 1

	d := uint32(bits.Len32(m - 1)) // smallest d with m <= 1<<d
	a := d
	// Bit a of the stream is bit a%64 of word a/64. Both reads below look
	// the word up by hand: as a method the lookup is too big to inline, and
	// a call per bit would cost more than the lookup.
	var w uint64
	for try := 0; try < furcMaxTries; try++ {
		for {
			if ord := a >> 6; ord < s.n {
				w = s.cache[ord%furcCacheWords]
			} else {
				w = s.word(ord)
			}
			if w>>(a&63)&1 != 0 {
				break
			}
			d--
			if d == 0 {
				return 0
			}
			a = d
		}
		a += furcShift
		num := uint32(1)
		for i := uint32(1); i < d; i++ {
			if ord := a >> 6; ord < s.n {
				w = s.cache[ord%furcCacheWords]
			} else {
				w = s.word(ord)
			}
			num = num<<1 | uint32(w>>(a&63))&1
			a += furcShift
		}
		if num < m {
			return num
		}
	}
	return 0
}

// Ch3 is mcrouter's Ch3 hash function: Furc(key, n). n must be in
// [1, MaxCh3PoolSize]; New rejects other sizes at config time, and Ch3
// returns 0 for n <= 1.
func Ch3(key []byte, n int) int {
	if n <= 1 {
		return 0
	}
	return int(Furc(key, uint32(n)))
}
