package hashfunc

import (
	"encoding/binary"
	"math/bits"
)

// SpookyHash V2 (Bob Jenkins, public domain; folly::hash::SpookyHashV2), the
// one-shot form. Messages shorter than spookyBufSize bytes take the short
// path; longer ones the 12-word block path. All reads are little-endian.

const (
	spookyConst     = 0xdeadbeefdeadbeef
	spookyNumVars   = 12
	spookyBlockSize = spookyNumVars * 8   // 96
	spookyBufSize   = 2 * spookyBlockSize // 192
)

// SpookyHash128 is SpookyHash V2 Hash128 of msg with the seeds seed1 and
// seed2; it returns (hash1, hash2).
func SpookyHash128(msg []byte, seed1, seed2 uint64) (uint64, uint64) {
	if len(msg) < spookyBufSize {
		return spookyShort(msg, seed1, seed2)
	}
	return spookyLong(msg, seed1, seed2)
}

// SpookyHash64 is SpookyHash V2 Hash64: the first half of
// SpookyHash128(msg, seed, seed).
func SpookyHash64(msg []byte, seed uint64) uint64 {
	h1, _ := SpookyHash128(msg, seed, seed)
	return h1
}

// SpookyHash32 is SpookyHash V2 Hash32: the low 32 bits of the first half of
// SpookyHash128(msg, seed, seed). mcrouter uses it with seed 0 as the routing
// key hash of ShadowRoute and MigrateRoute, and with seed 0xface2014 in
// WeightedCh3.
func SpookyHash32(msg []byte, seed uint32) uint32 {
	h1, _ := SpookyHash128(msg, uint64(seed), uint64(seed))
	return uint32(h1)
}

func spookyShort(msg []byte, h1, h2 uint64) (uint64, uint64) {
	length := len(msg)
	remainder := length % 32
	a, b := h1, h2
	c, d := uint64(spookyConst), uint64(spookyConst)
	p := msg

	if length > 15 {
		// every complete 32-byte group
		for len(p) >= 32 {
			c += binary.LittleEndian.Uint64(p)
			d += binary.LittleEndian.Uint64(p[8:])
			a, b, c, d = spookyShortMix(a, b, c, d)
			a += binary.LittleEndian.Uint64(p[16:])
			b += binary.LittleEndian.Uint64(p[24:])
			p = p[32:]
		}
		// 16 or more bytes left
		if remainder >= 16 {
			c += binary.LittleEndian.Uint64(p)
			d += binary.LittleEndian.Uint64(p[8:])
			a, b, c, d = spookyShortMix(a, b, c, d)
			p = p[16:]
			remainder -= 16
		}
	}

	// the last 0..15 bytes and the length
	d += uint64(length) << 56
	switch remainder {
	case 15:
		d += uint64(p[14]) << 48
		fallthrough
	case 14:
		d += uint64(p[13]) << 40
		fallthrough
	case 13:
		d += uint64(p[12]) << 32
		fallthrough
	case 12:
		d += uint64(binary.LittleEndian.Uint32(p[8:]))
		c += binary.LittleEndian.Uint64(p)
	case 11:
		d += uint64(p[10]) << 16
		fallthrough
	case 10:
		d += uint64(p[9]) << 8
		fallthrough
	case 9:
		d += uint64(p[8])
		fallthrough
	case 8:
		c += binary.LittleEndian.Uint64(p)
	case 7:
		c += uint64(p[6]) << 48
		fallthrough
	case 6:
		c += uint64(p[5]) << 40
		fallthrough
	case 5:
		c += uint64(p[4]) << 32
		fallthrough
	case 4:
		c += uint64(binary.LittleEndian.Uint32(p))
	case 3:
		c += uint64(p[2]) << 16
		fallthrough
	case 2:
		c += uint64(p[1]) << 8
		fallthrough
	case 1:
		c += uint64(p[0])
	case 0:
		c += spookyConst
		d += spookyConst
	}
	a, b, _, _ = spookyShortEnd(a, b, c, d)
	return a, b
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

// spookyMixRot and spookyEndRot are the rotation counts of Mix and
// EndPartial, one per state word.
var (
	spookyMixRot = [spookyNumVars]int{11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46}
	spookyEndRot = [spookyNumVars]int{44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54}
)

// spookyMix folds one 96-byte block into the state (SpookyHash::Mix). Step
// i is: s[i] += data[i]; s[i+2] ^= s[i+10]; s[i+11] ^= s[i];
// s[i] = rot(s[i], r[i]); s[i+11] += s[i+1]   (indexes mod 12).
func spookyMix(s *[spookyNumVars]uint64, block []byte) {
	_ = block[spookyBlockSize-1]
	for i := 0; i < spookyNumVars; i++ {
		s[i] += binary.LittleEndian.Uint64(block[8*i:])
		s[(i+2)%12] ^= s[(i+10)%12]
		s[(i+11)%12] ^= s[i]
		s[i] = bits.RotateLeft64(s[i], spookyMixRot[i])
		s[(i+11)%12] += s[(i+1)%12]
	}
}

// spookyEndPartial is SpookyHash::EndPartial. Step j is, with i = j+11:
// h[i] += h[j+1]; h[j+2] ^= h[i]; h[j+1] = rot(h[j+1], r[j])   (mod 12).
func spookyEndPartial(h *[spookyNumVars]uint64) {
	for j := 0; j < spookyNumVars; j++ {
		i := (j + 11) % 12
		h[i] += h[(j+1)%12]
		h[(j+2)%12] ^= h[i]
		h[(j+1)%12] = bits.RotateLeft64(h[(j+1)%12], spookyEndRot[j])
	}
}

func spookyLong(msg []byte, seed1, seed2 uint64) (uint64, uint64) {
	var h [spookyNumVars]uint64
	h[0], h[3], h[6], h[9] = seed1, seed1, seed1, seed1
	h[1], h[4], h[7], h[10] = seed2, seed2, seed2, seed2
	h[2], h[5], h[8], h[11] = spookyConst, spookyConst, spookyConst, spookyConst

	p := msg
	for len(p) >= spookyBlockSize {
		spookyMix(&h, p[:spookyBlockSize])
		p = p[spookyBlockSize:]
	}

	// The last partial block, zero padded, its length in the last byte.
	var buf [spookyBlockSize]byte
	copy(buf[:], p)
	buf[spookyBlockSize-1] = byte(len(p))

	// V2 End: add the final block, then three rounds of EndPartial.
	for i := 0; i < spookyNumVars; i++ {
		h[i] += binary.LittleEndian.Uint64(buf[8*i:])
	}
	spookyEndPartial(&h)
	spookyEndPartial(&h)
	spookyEndPartial(&h)
	return h[0], h[1]
}
