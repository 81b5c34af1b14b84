package codec

import (
	"bytes"
	"encoding/binary"
)

// Limits on what a parser keeps for one connection.
const (
	// MaxLineLen caps a request line other than get/gets/gat/gats, not
	// counting the "\n" that ends it. The longest legal
	// non-retrieval request line (cas with a 250-byte key and 20-digit
	// numbers) is about 360 bytes; 64 KiB leaves room for an over-long key
	// (mcrouter's test_bad_key_* send 10,000 bytes) to be answered with
	// "bad key" on a connection that stays usable, as mcrouter does, while
	// bounding what a client can make the parser buffer before the end of
	// a line. (memcached itself closes at 2048 bytes.)
	MaxLineLen = 64 << 10

	// MaxReplyLineLen caps a reply line from a server. mcroute never sends
	// a key over 250 bytes, so a longer line is not a memcached reply.
	MaxReplyLineLen = 8 << 10

	// MaxGetLineLen caps a get/gets/gat/gats line. A multi-get line grows
	// with its key count (100 keys of 250 bytes are 25 KiB), and neither
	// memcached nor mcrouter limits it; 1 MiB admits a multi-get of over
	// 4000 maximal keys and keeps the per-connection scratch bounded.
	MaxGetLineLen = 1 << 20

	// retainCap is the largest scratch or value buffer a parser keeps for
	// the next request; bigger ones, grown for one unusual request, are
	// dropped so that an idle connection does not pin them.
	retainCap = 64 << 10

	// retainKeys is the largest Keys slice kept between requests.
	retainKeys = 1024
)

// lineBuf assembles a line that spans several reads.
type lineBuf struct {
	scratch []byte // the unfinished line, or copies of fields that must outlive buf
	partial bool   // scratch holds the beginning of an unfinished line
}

// take returns the next line of buf, joined to the unfinished line kept from
// earlier reads. line excludes the "\n" but keeps any "\r" before it. When
// buf holds no "\n", take keeps all of buf in the scratch space and returns
// complete == false and n == len(buf); the caller checks len(lb.scratch)
// against its limit. inBuf reports whether line points into buf (rather than
// the scratch space).
func (lb *lineBuf) take(buf []byte) (line []byte, n int, inBuf, complete bool) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		lb.scratch = append(lb.scratch, buf...)
		lb.partial = true
		return nil, len(buf), false, false
	}
	if !lb.partial {
		return buf[:i], i + 1, true, true
	}
	lb.scratch = append(lb.scratch, buf[:i]...)
	lb.partial = false
	return lb.scratch, i + 1, false, true
}

// clear starts a new line, dropping a scratch buffer grown too big to keep.
func (lb *lineBuf) clear() {
	if cap(lb.scratch) > retainCap {
		lb.scratch = nil
	}
	lb.scratch = lb.scratch[:0]
	lb.partial = false
}

// keep copies b into the scratch space (which must not hold the current
// line) and returns the copy, for a field that must outlive buf.
func (lb *lineBuf) keep(b []byte) []byte {
	start := len(lb.scratch)
	lb.scratch = append(lb.scratch, b...)
	return lb.scratch[start:len(lb.scratch):len(lb.scratch)]
}

// Stages of a data block.
const (
	blkData = iota // data bytes still to come
	blkEnd         // data complete, expecting "\r" or "\n"
	blkLF          // got "\r", expecting "\n"
)

// dataBlock reads a data block of known length and its terminator across
// reads, copying it into a reusable buffer grown only as data arrives.
type dataBlock struct {
	val     []byte
	size    int // claimed length
	need    int // data bytes still to come
	stage   uint8
	discard bool // count the bytes, keep nothing
}

func (d *dataBlock) start(size int, discard bool) {
	d.val = d.val[:0]
	d.size, d.need, d.stage, d.discard = size, size, blkData, discard
}

// feed consumes the block from buf. done: the block and its terminator are
// complete; bad: the terminator is wrong (n then counts the offending byte).
func (d *dataBlock) feed(buf []byte) (n int, done, bad bool) {
	for n < len(buf) {
		switch d.stage {
		case blkData:
			take := min(d.need, len(buf)-n)
			if !d.discard {
				d.grow(take)
				d.val = append(d.val, buf[n:n+take]...)
			}
			d.need -= take
			n += take
			if d.need == 0 {
				d.stage = blkEnd
			}
		case blkEnd:
			c := buf[n]
			n++
			if c == '\n' {
				return n, true, false
			}
			if c != '\r' {
				return n, false, true
			}
			d.stage = blkLF
		default:
			c := buf[n]
			n++
			return n, c == '\n', c != '\n'
		}
	}
	return n, false, false
}

// grow makes room for k more bytes: at least doubling, never past the
// claimed size, so a client's claim is never allocated up front.
func (d *dataBlock) grow(k int) {
	if cap(d.val)-len(d.val) >= k {
		return
	}
	c := max(2*cap(d.val), len(d.val)+k, 512)
	c = min(c, d.size)
	v := make([]byte, len(d.val), c)
	copy(v, d.val)
	d.val = v
}

// blockAt reports whether buf holds a whole data block of size bytes and its
// terminator. n is the length of both; bad: the byte after the data is
// neither "\r" nor "\n", or "\r" is followed by something else.
func blockAt(buf []byte, size int) (n int, whole, bad bool) {
	if len(buf) <= size {
		return 0, false, false
	}
	switch buf[size] {
	case '\n':
		return size + 1, true, false
	case '\r':
		if len(buf) == size+1 {
			return 0, false, false
		}
		if buf[size+1] == '\n' {
			return size + 2, true, false
		}
	}
	return 0, false, true
}

// nextField returns the bounds of the next space-separated field of line at
// or after i; s == e when none is left.
func nextField(line []byte, i int) (s, e int) {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	s = i
	for i < len(line) && line[i] != ' ' {
		i++
	}
	return s, i
}

// nextKey is nextField for a key: ctl reports a control character in it.
func nextKey(line []byte, i int) (s, e int, ctl bool) {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	s = i
	// Skip eight bytes at a time while none is a space or a control
	// character, then finish byte by byte.
	for len(line)-i >= 8 {
		x := binary.LittleEndian.Uint64(line[i:])
		if hasSpaceOrCtl(x) {
			break
		}
		i += 8
	}
	for ; i < len(line); i++ {
		c := line[i]
		if c <= ' ' || c == 0x7f {
			if c == ' ' {
				break
			}
			ctl = true
		}
	}
	return s, i, ctl
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasSpaceOrCtl reports whether any of the eight bytes in x is below 0x21
// (a space or a control character) or is 0x7f (DEL). The expressions are
// the exact "has a byte less than n" and "has a zero byte" tests of
// Bit Twiddling Hacks.
func hasSpaceOrCtl(x uint64) bool {
	less := (x - ones*0x21) &^ x & highs
	y := x ^ (ones * 0x7f)
	del := (y - ones) &^ y & highs
	return less|del != 0
}

// onlySpaces reports whether b holds nothing but spaces.
func onlySpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

// trimSpaces removes leading and trailing spaces.
func trimSpaces(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && b[i] == ' ' {
		i++
	}
	for j > i && b[j-1] == ' ' {
		j--
	}
	return b[i:j]
}

// hasCtl reports whether b holds a control character.
func hasCtl(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

const maxUint64 = 1<<64 - 1

// parseUint parses an unsigned decimal; ok is false for an empty field, a
// non-digit or a value over uint64.
func parseUint(b []byte) (n uint64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, false
		}
		if n > maxUint64/10 || (n == maxUint64/10 && d > maxUint64%10) {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseExptime parses an exptime: a decimal with an optional leading "-"
// that fits int64.
func parseExptime(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
