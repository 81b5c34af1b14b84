package bench

import "strconv"

// valuePeriod is the length of the repeating pattern values are cut from; a
// prime, so that key k's value starts at a position that depends on k.
const valuePeriod = 4093

// values makes the value stored under each key. A value is a pure function of
// the key number (and the size range), so any connection, or another run of
// the generator, writes the same bytes for the same key: --verify needs no
// shared state to know what a read must return, and concurrent writers never
// make a correct read look wrong. Values are printable ASCII.
type values struct {
	block    []byte // valuePeriod pattern bytes, repeated to cover the largest value
	min, max int
}

func newValues(min, max int) *values {
	v := &values{block: make([]byte, valuePeriod+max), min: min, max: max}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < valuePeriod; i++ {
		x = splitmix64(x)
		v.block[i] = alphabet[x%uint64(len(alphabet))]
	}
	for i := valuePeriod; i < len(v.block); i++ {
		v.block[i] = v.block[i-valuePeriod]
	}
	return v
}

func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	z := x
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// size is the length of key k's value.
func (v *values) size(k int64) int {
	if v.min == v.max {
		return v.min
	}
	return v.min + int(splitmix64(uint64(k))%uint64(v.max-v.min+1))
}

// of returns key k's value. The slice is shared and read-only.
func (v *values) of(k int64) []byte {
	off := int(uint64(k) * 7919 % valuePeriod)
	return v.block[off : off+v.size(k)]
}

// appendKey appends the key name for number k: prefix then decimal k.
func appendKey(dst, prefix []byte, k int64) []byte {
	dst = append(dst, prefix...)
	return strconv.AppendInt(dst, k, 10)
}

// appendSet appends "set <key> 0 0 <len>\r\n<value>\r\n".
func appendSet(dst, prefix []byte, k int64, val []byte) []byte {
	dst = append(dst, "set "...)
	dst = appendKey(dst, prefix, k)
	dst = append(dst, " 0 0 "...)
	dst = strconv.AppendInt(dst, int64(len(val)), 10)
	dst = append(dst, "\r\n"...)
	dst = append(dst, val...)
	return append(dst, "\r\n"...)
}
