package hashfunc

// saltBufSize is the largest routing key plus salt hashed from a stack
// buffer; longer inputs are copied to the heap (mcrouter's hashWithSalt uses
// the same 512-byte limit).
const saltBufSize = 512

// AppendSalted appends the bytes a salted hash function hashes, routingKey
// followed by salt, to dst and returns the extended slice. Func.Index does the
// same without allocating.
func AppendSalted(dst, routingKey []byte, salt string) []byte {
	dst = append(dst, routingKey...)
	return append(dst, salt...)
}
