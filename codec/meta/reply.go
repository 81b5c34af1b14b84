package meta

import (
	"bytes"

	"mcroute/codec"
)

// Parser states.
const (
	stLine   = iota // at, or inside, a reply line
	stData          // inside the data block of a VA element
	stBroken        // after ErrBadReply, until Reset
)

// retainCap is the largest scratch or value buffer kept for the next
// element; bigger ones, grown for one unusual element, are dropped.
const retainCap = 64 << 10

// ReplyParser is an incremental parser of what memcached sends back on a
// connection that speaks the meta protocol. It yields one element per
// complete result: a line, or a VA line with its data block. The zero value
// is ready to use. A ReplyParser belongs to one upstream connection and one
// goroutine.
type ReplyParser struct {
	// Reply is the element last parsed. Its slices are borrowed (they point
	// into the buffer given to Parse or into the parser's scratch space)
	// and are valid until the next call to Parse or Reset.
	Reply Reply

	state   uint8
	partial bool   // scratch holds the start of an unfinished line
	scratch []byte // the unfinished line; then copies of fields kept across reads
	val     []byte // a data block that spans reads
	need    int    // data bytes still to come
	size    int    // the data block's length
	blk     uint8  // stage of the data block: blkData, blkEnd, blkLF
}

// Stages of a data block.
const (
	blkData = iota // data bytes still to come
	blkEnd         // expecting "\r" or "\n"
	blkLF          // got "\r", expecting "\n"
)

// Parse consumes a prefix of buf and reports how many bytes it consumed.
//
//   - ok == true: p.Reply holds one complete element; call Parse again with
//     buf[n:] for the rest.
//   - ok == false, err == nil: all of buf was consumed (n == len(buf)) and
//     the element is not complete yet. Whatever must survive has been
//     copied, so buf may be reused.
//   - err != nil (ErrBadReply): the input is not a meta reply; close the
//     connection. Parse keeps returning the error until Reset.
//
// Lines end with "\r\n" or a bare "\n" and may be split at any byte. The
// data of a VA element that is entirely in buf points into buf; data that
// spans calls is copied into a buffer the parser reuses, grown only as the
// data arrives. Parse does not allocate in steady state.
func (p *ReplyParser) Parse(buf []byte) (n int, ok bool, err error) {
	switch {
	case p.state == stBroken:
		return 0, false, ErrBadReply
	case len(buf) == 0:
		return 0, false, nil
	case p.state == stData:
		return p.parseData(buf)
	}
	return p.parseLine(buf)
}

// Reset drops any partial element and any error, ready for a new
// connection.
func (p *ReplyParser) Reset() {
	p.startElement()
	p.state = stLine
}

// Pending reports whether part of an element has been consumed but not yet
// returned (an unfinished line or data block).
func (p *ReplyParser) Pending() bool { return p.state == stData || p.partial }

func (p *ReplyParser) startElement() {
	if cap(p.scratch) > retainCap {
		p.scratch = nil
	}
	if cap(p.val) > retainCap {
		p.val = nil
	}
	p.scratch = p.scratch[:0]
	p.partial = false
	p.Reply = Reply{}
}

func (p *ReplyParser) fail(n int) (int, bool, error) {
	p.state = stBroken
	return n, false, ErrBadReply
}

func (p *ReplyParser) parseLine(buf []byte) (int, bool, error) {
	if !p.partial {
		p.startElement()
		// Every reply starts with an uppercase letter.
		if c := buf[0]; c < 'A' || c > 'Z' {
			return p.fail(1)
		}
	}
	var line []byte
	inBuf := false
	i := bytes.IndexByte(buf, '\n')
	switch {
	case i < 0:
		p.scratch = append(p.scratch, buf...)
		p.partial = true
		if len(p.scratch) > MaxLineLen {
			return p.fail(len(buf))
		}
		return len(buf), false, nil
	case p.partial:
		p.scratch = append(p.scratch, buf[:i]...)
		p.partial = false
		line = p.scratch
	default:
		line, inBuf = buf[:i], true
	}
	n := i + 1
	if len(line) > MaxLineLen {
		return p.fail(n)
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	size, ok := p.parseReplyLine(line)
	if !ok {
		return p.fail(n)
	}
	if p.Reply.Kind != KindVA {
		return n, true, nil
	}

	// The data block: in buf as a whole, or copied as it arrives.
	rest := buf[n:]
	if len(rest) > size {
		switch {
		case rest[size] == '\n':
			p.Reply.Data = rest[:size:size]
			return n + size + 1, true, nil
		case rest[size] != '\r':
			return p.fail(n + size + 1)
		case len(rest) > size+1:
			if rest[size+1] != '\n' {
				return p.fail(n + size + 2)
			}
			p.Reply.Data = rest[:size:size]
			return n + size + 2, true, nil
		}
	}
	if inBuf && p.Reply.Key != nil {
		// The key points into buf, which the caller may reuse.
		start := len(p.scratch)
		p.scratch = append(p.scratch, p.Reply.Key...)
		p.Reply.Key = p.scratch[start:len(p.scratch):len(p.scratch)]
	}
	p.val = p.val[:0]
	p.size, p.need, p.blk = size, size, blkData
	p.state = stData
	m, ok, err := p.parseData(rest)
	return n + m, ok, err
}

// parseData consumes the data block of a VA element and its terminator.
func (p *ReplyParser) parseData(buf []byte) (int, bool, error) {
	n := 0
	for n < len(buf) {
		switch p.blk {
		case blkData:
			take := min(p.need, len(buf)-n)
			p.grow(take)
			p.val = append(p.val, buf[n:n+take]...)
			p.need -= take
			n += take
			if p.need == 0 {
				p.blk = blkEnd
			}
		case blkEnd:
			c := buf[n]
			n++
			if c == '\n' {
				return p.finishData(n)
			}
			if c != '\r' {
				return p.fail(n)
			}
			p.blk = blkLF
		default:
			c := buf[n]
			n++
			if c != '\n' {
				return p.fail(n)
			}
			return p.finishData(n)
		}
	}
	return n, false, nil
}

func (p *ReplyParser) finishData(n int) (int, bool, error) {
	p.state = stLine
	p.Reply.Data = p.val[:len(p.val):len(p.val)]
	return n, true, nil
}

// grow makes room for k more bytes of the data block: at least doubling,
// never past the announced size, so a claim alone allocates nothing.
func (p *ReplyParser) grow(k int) {
	if cap(p.val)-len(p.val) >= k {
		return
	}
	c := min(max(2*cap(p.val), len(p.val)+k, 512), p.size)
	v := make([]byte, len(p.val), c)
	copy(v, p.val)
	p.val = v
}

// parseReplyLine parses one reply line (terminator removed) into p.Reply.
// For VA it returns the data block's length.
func (p *ReplyParser) parseReplyLine(line []byte) (size int, ok bool) {
	i := 0
	for i < len(line) && line[i] != ' ' {
		i++
	}
	r := &p.Reply
	word, rest := line[:i], line[i:]
	if len(word) == 2 {
		switch string(word) {
		case "HD":
			r.Kind = KindHD
		case "VA":
			r.Kind = KindVA
			s, e := field(line, i)
			n, ok := codec.ParseUint(line[s:e])
			if !ok || n > MaxValueLen {
				return 0, false
			}
			return int(n), p.parseFlags(line, e)
		case "EN":
			r.Kind = KindEN
		case "NF":
			r.Kind = KindNF
		case "NS":
			r.Kind = KindNS
		case "EX":
			r.Kind = KindEX
		case "MN":
			r.Kind = KindMN
			return 0, onlySpaces(rest)
		case "OK":
			r.Kind = KindOK
			return 0, onlySpaces(rest)
		default:
			return 0, false
		}
		return 0, p.parseFlags(line, i)
	}
	switch string(word) {
	case "ERROR":
		r.Kind = KindError
	case "CLIENT_ERROR":
		r.Kind = KindClientError
	case "SERVER_ERROR":
		r.Kind = KindServerError
	case "VERSION":
		r.Kind = KindVersion
	default:
		return 0, false
	}
	if len(rest) > 1 {
		r.Msg = rest[1:len(rest):len(rest)]
	}
	return 0, true
}

// parseFlags parses the returned flags of line from i on: single letters,
// each with an optional token. Known ones fill p.Reply; other letters
// (memcached's W, X, Z, s, h, l…, which mcroute does not ask for) are
// skipped. A token that does not parse is a bad reply.
func (p *ReplyParser) parseFlags(line []byte, i int) bool {
	r := &p.Reply
	for {
		s, e := field(line, i)
		if s == e {
			return true
		}
		i = e
		c, tok := line[s], line[s+1:e:e]
		var ok bool
		switch c {
		case 'O':
			var n uint64
			n, ok = codec.ParseUint(tok)
			ok = ok && n <= 1<<32-1
			r.Opaque, r.HasOpaque = uint32(n), true
		case 'f':
			r.Flags, ok = codec.ParseUint(tok)
			r.HasFlags = true
		case 'c':
			r.Cas, ok = codec.ParseUint(tok)
			r.HasCas = true
		case 't':
			r.TTL, ok = codec.ParseExptime(tok)
			r.HasTTL = true
		case 'k':
			r.Key, ok = tok, len(tok) > 0 && !hasCtl(tok)
		case 'b':
			r.Base64, ok = true, len(tok) == 0
		default:
			ok = (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && !hasCtl(tok)
		}
		if !ok {
			return false
		}
	}
}

// field returns the bounds of the next space-separated field of line at or
// after i; s == e when none is left.
func field(line []byte, i int) (s, e int) {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	s = i
	for i < len(line) && line[i] != ' ' {
		i++
	}
	return s, i
}

func onlySpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

func hasCtl(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}
