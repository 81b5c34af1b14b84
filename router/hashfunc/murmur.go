package hashfunc

import "encoding/binary"

const (
	murmurM = 0xc6a4a7935bd1e995
	murmurR = 47
	// murmurM8 is 8*murmurM mod 2^64.
	murmurM8 = (8 * murmurM) & (1<<64 - 1)
)

// Murmur64A is Austin Appleby's MurmurHash64A as mcrouter's fbi/hash.c
// murmur_hash_64A computes it: little-endian 8-byte blocks, the tail bytes
// folded in least significant first, and the 32-bit seed zero-extended.
func Murmur64A(data []byte, seed uint32) uint64 {
	h := uint64(seed) ^ (uint64(len(data)) * murmurM)
	for len(data) >= 8 {
		k := binary.LittleEndian.Uint64(data)
		k *= murmurM
		k ^= k >> murmurR
		k *= murmurM
		h ^= k
		h *= murmurM
		data = data[8:]
	}
	if len(data) > 0 {
		for i, c := range data {
			h ^= uint64(c) << (8 * uint(i))
		}
		h *= murmurM
	}
	h ^= h >> murmurR
	h *= murmurM
	h ^= h >> murmurR
	return h
}

// murmurRehash is Murmur64A of the 8 little-endian bytes of k with the furc
// seed (fbi/hash.c murmur_rehash_64A).
func murmurRehash(k uint64) uint64 {
	h := uint64(furcSeed) ^ murmurM8 // seed ^ (len * m), len = 8
	k *= murmurM
	k ^= k >> murmurR
	k *= murmurM
	h ^= k
	h *= murmurM
	h ^= h >> murmurR
	h *= murmurM
	h ^= h >> murmurR
	return h
}

// Hash128to64 is CityHash's Hash128to64, as mcrouter's Rendezvous hashing
// uses it to mix an endpoint hash (upper) with a key hash (lower).
func Hash128to64(upper, lower uint64) uint64 {
	const kMul = 0x9ddfea08eb382d69
	a := (lower ^ upper) * kMul
	a ^= a >> 47
	b := (upper ^ a) * kMul
	b ^= b >> 47
	b *= kMul
	return b
}

// TwangMix64 is Thomas Wang's 64-bit mix, folly::hash::twang_mix64, which
// folly's hasher applies to 64-bit integers (host ids, @hash of ints).
func TwangMix64(key uint64) uint64 {
	key = ^key + (key << 21)
	key ^= key >> 24
	key = key + (key << 3) + (key << 8)
	key ^= key >> 14
	key = key + (key << 2) + (key << 4)
	key ^= key >> 28
	key += key << 31
	return key
}
