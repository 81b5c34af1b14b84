package hashfunc

const (
	// wch3Tries is how many (key, salt) candidates WeightedCh3 tries.
	wch3Tries = 32
	// wch3Seed seeds the SpookyHash32 that decides whether a server keeps
	// a key.
	wch3Seed = 0xface2014
	// maxUint32 as a float64: the scale of a weight (std::numeric_limits
	// <uint32_t>::max() in mcrouter).
	maxUint32f = 4294967295.0
)

// WeightedCh3 is mcrouter's WeightedCh3 hash function. n = len(weights)
// servers, weights[i] in [0, 1] the share of its Ch3 keys that server i
// keeps. The candidate index is Furc(cur, n); the server keeps the key if
// SpookyHash32(cur, 0xface2014) < uint64(weights[idx] * 4294967295). Otherwise
// cur becomes key followed by a retry number written in decimal, least
// significant digit first (0, 1, …, 9, 01, 11, …), and it tries again, up to
// 32 candidates in all; if none is kept, the last candidate's index wins.
//
// With all weights 1.0 it matches Ch3 (except for the 1-in-2^32 keys whose
// hash is 0xFFFFFFFF). len(weights) must be in [1, MaxCh3PoolSize]; an empty
// slice gives 0. A weight outside [0, 1] acts as the nearest bound. It does
// not allocate unless len(key) > 512 and a retry is needed.
func WeightedCh3(key []byte, weights []float64) int {
	n := len(weights)
	if n == 0 {
		return 0
	}
	idx := Furc(key, uint32(n))
	if wch3Keeps(key, weights[idx]) {
		return int(idx)
	}
	return wch3Retry(key, weights)
}

// wch3Keeps reports whether the server with weight w keeps the candidate cur.
func wch3Keeps(cur []byte, w float64) bool {
	var threshold uint64
	switch {
	case w >= 1:
		threshold = 4294967295
	case w > 0:
		threshold = uint64(w * maxUint32f) // truncation, as in C++
	}
	return uint64(SpookyHash32(cur, wch3Seed)) < threshold
}

// wch3Retry runs tries 2..32 of WeightedCh3, after the plain key was refused.
// Kept apart so that the common case does not pay for the buffer.
func wch3Retry(key []byte, weights []float64) int {
	var stack [saltBufSize + 8]byte
	var buf []byte
	if len(key)+8 <= len(stack) {
		buf = stack[:0]
	} else {
		buf = make([]byte, 0, len(key)+8)
	}
	buf = append(buf, key...)
	n := uint32(len(weights))
	var idx uint32
	for salt := 0; salt < wch3Tries-1; salt++ {
		cur := appendDecimalLSDFirst(buf, salt)
		idx = Furc(cur, n)
		if wch3Keeps(cur, weights[idx]) {
			break
		}
	}
	return int(idx)
}

// appendDecimalLSDFirst appends v (>= 0) in decimal, least significant digit
// first: 0 → "0", 7 → "7", 10 → "01", 12 → "21".
func appendDecimalLSDFirst(dst []byte, v int) []byte {
	for {
		dst = append(dst, byte('0'+v%10))
		v /= 10
		if v == 0 {
			return dst
		}
	}
}
