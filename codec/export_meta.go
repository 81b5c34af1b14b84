package codec

// Number scanners shared with codec/meta, so that both protocols accept
// exactly the same numbers.

// ParseUint parses an unsigned decimal; ok is false for an empty field, a
// non-digit or a value over uint64.
func ParseUint(b []byte) (n uint64, ok bool) { return parseUint(b) }

// ParseExptime parses a decimal with an optional leading "-" that fits
// int64 (an exptime, or a TTL such as the meta protocol's "t-1").
func ParseExptime(b []byte) (int64, bool) { return parseExptime(b) }
