package jsonm

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// Hash functions behind @hash and @weightedHash, bit-compatible with
// folly's: folly::Hash of a string is SpookyHashV2 Hash64 with seed 0, of
// an int64 twang_mix64; mcrouter's RendezvousHash hashes node names with
// folly's (signed-char) FNV-64.

// twangMix64 is Thomas Wang's 64-bit mix (folly::hash::twang_mix64).
func twangMix64(key uint64) uint64 {
	key = ^key + (key << 21)
	key ^= key >> 24
	key = key + (key << 3) + (key << 8)
	key ^= key >> 14
	key = key + (key << 2) + (key << 4)
	key ^= key >> 28
	key += key << 31
	return key
}

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

// spookyHash64 is Bob Jenkins' SpookyHash V2 Hash64(message, seed):
// Hash128 with both seeds set to seed, first half returned.
func spookyHash64(msg []byte, seed uint64) uint64 {
	h1, _ := spookyHash128(msg, seed, seed)
	return h1
}

const (
	spookyConst     = 0xdeadbeefdeadbeef
	spookyNumVars   = 12
	spookyBlockSize = spookyNumVars * 8 // 96
	spookyBufSize   = 2 * spookyBlockSize
)

func spookyHash128(msg []byte, seed1, seed2 uint64) (uint64, uint64) {
	if len(msg) < spookyBufSize {
		return spookyShort(msg, seed1, seed2)
	}
	var h [12]uint64
	h[0], h[3], h[6], h[9] = seed1, seed1, seed1, seed1
	h[1], h[4], h[7], h[10] = seed2, seed2, seed2, seed2
	h[2], h[5], h[8], h[11] = spookyConst, spookyConst, spookyConst, spookyConst
	var data [12]uint64
	n := len(msg) / spookyBlockSize * spookyBlockSize
	for off := 0; off < n; off += spookyBlockSize {
		for i := range data {
			data[i] = binary.LittleEndian.Uint64(msg[off+8*i:])
		}
		spookyMix(&data, &h)
	}
	var buf [spookyBlockSize]byte
	rem := copy(buf[:], msg[n:])
	buf[spookyBlockSize-1] = byte(rem)
	for i := range data {
		data[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
	spookyEnd(&data, &h)
	return h[0], h[1]
}

func spookyMix(d, s *[12]uint64) {
	s[0] += d[0]
	s[2] ^= s[10]
	s[11] ^= s[0]
	s[0] = bits.RotateLeft64(s[0], 11)
	s[11] += s[1]
	s[1] += d[1]
	s[3] ^= s[11]
	s[0] ^= s[1]
	s[1] = bits.RotateLeft64(s[1], 32)
	s[0] += s[2]
	s[2] += d[2]
	s[4] ^= s[0]
	s[1] ^= s[2]
	s[2] = bits.RotateLeft64(s[2], 43)
	s[1] += s[3]
	s[3] += d[3]
	s[5] ^= s[1]
	s[2] ^= s[3]
	s[3] = bits.RotateLeft64(s[3], 31)
	s[2] += s[4]
	s[4] += d[4]
	s[6] ^= s[2]
	s[3] ^= s[4]
	s[4] = bits.RotateLeft64(s[4], 17)
	s[3] += s[5]
	s[5] += d[5]
	s[7] ^= s[3]
	s[4] ^= s[5]
	s[5] = bits.RotateLeft64(s[5], 28)
	s[4] += s[6]
	s[6] += d[6]
	s[8] ^= s[4]
	s[5] ^= s[6]
	s[6] = bits.RotateLeft64(s[6], 39)
	s[5] += s[7]
	s[7] += d[7]
	s[9] ^= s[5]
	s[6] ^= s[7]
	s[7] = bits.RotateLeft64(s[7], 57)
	s[6] += s[8]
	s[8] += d[8]
	s[10] ^= s[6]
	s[7] ^= s[8]
	s[8] = bits.RotateLeft64(s[8], 55)
	s[7] += s[9]
	s[9] += d[9]
	s[11] ^= s[7]
	s[8] ^= s[9]
	s[9] = bits.RotateLeft64(s[9], 54)
	s[8] += s[10]
	s[10] += d[10]
	s[0] ^= s[8]
	s[9] ^= s[10]
	s[10] = bits.RotateLeft64(s[10], 22)
	s[9] += s[11]
	s[11] += d[11]
	s[1] ^= s[9]
	s[10] ^= s[11]
	s[11] = bits.RotateLeft64(s[11], 46)
	s[10] += s[0]
}

func spookyEndPartial(h *[12]uint64) {
	h[11] += h[1]
	h[2] ^= h[11]
	h[1] = bits.RotateLeft64(h[1], 44)
	h[0] += h[2]
	h[3] ^= h[0]
	h[2] = bits.RotateLeft64(h[2], 15)
	h[1] += h[3]
	h[4] ^= h[1]
	h[3] = bits.RotateLeft64(h[3], 34)
	h[2] += h[4]
	h[5] ^= h[2]
	h[4] = bits.RotateLeft64(h[4], 21)
	h[3] += h[5]
	h[6] ^= h[3]
	h[5] = bits.RotateLeft64(h[5], 38)
	h[4] += h[6]
	h[7] ^= h[4]
	h[6] = bits.RotateLeft64(h[6], 33)
	h[5] += h[7]
	h[8] ^= h[5]
	h[7] = bits.RotateLeft64(h[7], 10)
	h[6] += h[8]
	h[9] ^= h[6]
	h[8] = bits.RotateLeft64(h[8], 13)
	h[7] += h[9]
	h[10] ^= h[7]
	h[9] = bits.RotateLeft64(h[9], 38)
	h[8] += h[10]
	h[11] ^= h[8]
	h[10] = bits.RotateLeft64(h[10], 53)
	h[9] += h[11]
	h[0] ^= h[9]
	h[11] = bits.RotateLeft64(h[11], 42)
	h[10] += h[0]
	h[1] ^= h[10]
	h[0] = bits.RotateLeft64(h[0], 54)
}

func spookyEnd(d, h *[12]uint64) {
	for i := range h {
		h[i] += d[i]
	}
	spookyEndPartial(h)
	spookyEndPartial(h)
	spookyEndPartial(h)
}

func spookyShortMix(h0, h1, h2, h3 uint64) (uint64, uint64, uint64, uint64) {
	h2 = bits.RotateLeft64(h2, 50)
	h2 += h3
	h0 ^= h2
	h3 = bits.RotateLeft64(h3, 52)
	h3 += h0
	h1 ^= h3
	h0 = bits.RotateLeft64(h0, 30)
	h0 += h1
	h2 ^= h0
	h1 = bits.RotateLeft64(h1, 41)
	h1 += h2
	h3 ^= h1
	h2 = bits.RotateLeft64(h2, 54)
	h2 += h3
	h0 ^= h2
	h3 = bits.RotateLeft64(h3, 48)
	h3 += h0
	h1 ^= h3
	h0 = bits.RotateLeft64(h0, 38)
	h0 += h1
	h2 ^= h0
	h1 = bits.RotateLeft64(h1, 37)
	h1 += h2
	h3 ^= h1
	h2 = bits.RotateLeft64(h2, 62)
	h2 += h3
	h0 ^= h2
	h3 = bits.RotateLeft64(h3, 34)
	h3 += h0
	h1 ^= h3
	h0 = bits.RotateLeft64(h0, 5)
	h0 += h1
	h2 ^= h0
	h1 = bits.RotateLeft64(h1, 36)
	h1 += h2
	h3 ^= h1
	return h0, h1, h2, h3
}

func spookyShortEnd(h0, h1, h2, h3 uint64) (uint64, uint64, uint64, uint64) {
	h3 ^= h2
	h2 = bits.RotateLeft64(h2, 15)
	h3 += h2
	h0 ^= h3
	h3 = bits.RotateLeft64(h3, 52)
	h0 += h3
	h1 ^= h0
	h0 = bits.RotateLeft64(h0, 26)
	h1 += h0
	h2 ^= h1
	h1 = bits.RotateLeft64(h1, 51)
	h2 += h1
	h3 ^= h2
	h2 = bits.RotateLeft64(h2, 28)
	h3 += h2
	h0 ^= h3
	h3 = bits.RotateLeft64(h3, 9)
	h0 += h3
	h1 ^= h0
	h0 = bits.RotateLeft64(h0, 47)
	h1 += h0
	h2 ^= h1
	h1 = bits.RotateLeft64(h1, 54)
	h2 += h1
	h3 ^= h2
	h2 = bits.RotateLeft64(h2, 32)
	h3 += h2
	h0 ^= h3
	h3 = bits.RotateLeft64(h3, 25)
	h0 += h3
	h1 ^= h0
	h0 = bits.RotateLeft64(h0, 63)
	h1 += h0
	return h0, h1, h2, h3
}

func spookyShort(msg []byte, seed1, seed2 uint64) (uint64, uint64) {
	length := len(msg)
	rem := length % 32
	a, b, c, d := seed1, seed2, uint64(spookyConst), uint64(spookyConst)
	p := msg
	if length > 15 {
		for len(p) >= 32 {
			c += binary.LittleEndian.Uint64(p)
			d += binary.LittleEndian.Uint64(p[8:])
			a, b, c, d = spookyShortMix(a, b, c, d)
			a += binary.LittleEndian.Uint64(p[16:])
			b += binary.LittleEndian.Uint64(p[24:])
			p = p[32:]
		}
		if rem >= 16 {
			c += binary.LittleEndian.Uint64(p)
			d += binary.LittleEndian.Uint64(p[8:])
			a, b, c, d = spookyShortMix(a, b, c, d)
			p = p[16:]
			rem -= 16
		}
	}
	d += uint64(length) << 56
	switch rem {
	case 15, 14, 13, 12:
		for i := rem - 1; i >= 12; i-- {
			d += uint64(p[i]) << (8 * (i - 8))
		}
		d += uint64(binary.LittleEndian.Uint32(p[8:]))
		c += binary.LittleEndian.Uint64(p)
	case 11, 10, 9, 8:
		for i := rem - 1; i >= 8; i-- {
			d += uint64(p[i]) << (8 * (i - 8))
		}
		c += binary.LittleEndian.Uint64(p)
	case 7, 6, 5, 4:
		for i := rem - 1; i >= 4; i-- {
			c += uint64(p[i]) << (8 * i)
		}
		c += uint64(binary.LittleEndian.Uint32(p))
	case 3, 2, 1:
		for i := rem - 1; i >= 0; i-- {
			c += uint64(p[i]) << (8 * i)
		}
	case 0:
		c += spookyConst
		d += spookyConst
	}
	a, b, _, _ = spookyShortEnd(a, b, c, d)
	return a, b
}
