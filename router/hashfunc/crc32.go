package hashfunc

import "hash/crc32"

// Crc32 is mcrouter's Crc32 hash function: the IEEE CRC-32 of key (zlib's
// crc32, fbi/hash.c crc32_hash), top bit cleared, modulo n. n must be >= 1;
// Crc32 returns 0 for n < 1.
func Crc32(key []byte, n int) int {
	if n < 1 {
		return 0
	}
	return int(uint64(crc32.ChecksumIEEE(key)&0x7fffffff) % uint64(n))
}
