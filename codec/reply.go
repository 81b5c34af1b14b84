package codec

// ReplyParser is an incremental parser of what memcached sends back. It
// yields one reply element per complete result: a line, or a VALUE line
// with its data block. The zero value is ready to use. A ReplyParser
// belongs to one upstream connection and one goroutine.
type ReplyParser struct {
	// Reply is the element last parsed. Its slices are borrowed (they point
	// into the buffer given to Parse or into the parser's scratch space)
	// and are valid until the next call to Parse or Reset.
	Reply Reply

	state uint8
	lb    lineBuf
	blk   dataBlock
}

// Parse consumes a prefix of buf and reports how many bytes it consumed.
//
//   - ok == true: p.Reply holds one complete element; call Parse again with
//     buf[n:] for the rest.
//   - ok == false, err == nil: all of buf was consumed (n == len(buf)) and
//     the element is not complete yet. Whatever must survive has been
//     copied, so buf may be reused.
//   - err != nil (ErrBadReply): the input is not a memcached reply; close
//     the connection. Parse keeps returning the error until Reset.
//
// Lines end with "\r\n" or a bare "\n" and may be split at any byte. Data
// of a VALUE element that is entirely in buf points into buf; data that
// spans calls is copied into a buffer the parser reuses, grown only as the
// data arrives. Parse does not allocate in steady state.
func (p *ReplyParser) Parse(buf []byte) (n int, ok bool, err error) {
	if len(buf) == 0 {
		if p.state == stBroken {
			return 0, false, ErrBadReply
		}
		return 0, false, nil
	}
	switch p.state {
	case stLine:
		return p.parseLine(buf)
	case stData:
		return p.parseData(buf)
	}
	return 0, false, ErrBadReply
}

// Reset drops any partial element and any error, ready for a new
// connection. It keeps the parser's buffers unless they grew unusually big.
func (p *ReplyParser) Reset() {
	p.startElement()
	p.state = stLine
}

// Pending reports whether part of an element has been consumed but not yet
// returned (an unfinished line or data block).
func (p *ReplyParser) Pending() bool { return p.state == stData || p.lb.partial }

// startElement clears the previous element, dropping buffers grown
// unusually big for it.
func (p *ReplyParser) startElement() {
	p.lb.clear()
	if cap(p.blk.val) > retainCap {
		p.blk.val = nil
	}
	p.Reply = Reply{}
}

func (p *ReplyParser) fail(n int) (int, bool, error) {
	p.state = stBroken
	return n, false, ErrBadReply
}

func (p *ReplyParser) parseLine(buf []byte) (int, bool, error) {
	if !p.lb.partial {
		p.startElement()
		// Every reply starts with an uppercase word or a digit.
		if c := buf[0]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return p.fail(1)
		}
	}
	line, n, inBuf, complete := p.lb.take(buf)
	if !complete {
		if len(p.lb.scratch) > MaxReplyLineLen {
			return p.fail(n)
		}
		return n, false, nil
	}
	if len(line) > MaxReplyLineLen {
		return p.fail(n)
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	size, ok := p.parseReplyLine(line)
	if !ok {
		return p.fail(n)
	}
	if p.Reply.Kind != ReplyValue {
		return n, true, nil
	}

	rest := buf[n:]
	m, whole, bad := blockAt(rest, size)
	if whole {
		p.Reply.Data = rest[:size:size]
		return n + m, true, nil
	}
	if bad {
		return p.fail(n + m)
	}
	p.blk.start(size, false)
	m, done, bad := p.blk.feed(rest)
	n += m
	if bad {
		return p.fail(n)
	}
	if done {
		return p.finishData(n)
	}
	if inBuf {
		// The key points into buf, which the caller may reuse.
		p.Reply.Key = p.lb.keep(p.Reply.Key)
	}
	p.state = stData
	return n, false, nil
}

func (p *ReplyParser) parseData(buf []byte) (int, bool, error) {
	n, done, bad := p.blk.feed(buf)
	if bad {
		return p.fail(n)
	}
	if !done {
		return n, false, nil
	}
	return p.finishData(n)
}

func (p *ReplyParser) finishData(n int) (int, bool, error) {
	p.state = stLine
	v := p.blk.val
	p.Reply.Data = v[:len(v):len(v)]
	return n, true, nil
}

// parseReplyLine parses one reply line (terminator removed) into p.Reply.
// For VALUE it returns the data block's length.
func (p *ReplyParser) parseReplyLine(line []byte) (size int, ok bool) {
	i := 0
	for i < len(line) && line[i] != ' ' {
		i++
	}
	r := &p.Reply
	rest := line[i:]
	switch string(line[:i]) {
	case "VALUE":
		r.Kind = ReplyValue
		s, e, ctl := nextKey(line, i)
		if s == e || ctl {
			return 0, false
		}
		r.Key = line[s:e:e]
		s, e = nextField(line, e)
		if r.Flags, ok = parseUint(line[s:e]); !ok {
			return 0, false
		}
		s, e = nextField(line, e)
		n, ok := parseUint(line[s:e])
		if !ok || n > MaxValueLen {
			return 0, false
		}
		s, e = nextField(line, e)
		if s < e {
			if r.Cas, ok = parseUint(line[s:e]); !ok {
				return 0, false
			}
			r.HasCas = true
		}
		return int(n), onlySpaces(line[e:])
	case "END":
		r.Kind = ReplyEnd
	case "STORED":
		r.Kind = ReplyStored
	case "NOT_STORED":
		r.Kind = ReplyNotStored
	case "EXISTS":
		r.Kind = ReplyExists
	case "NOT_FOUND":
		r.Kind = ReplyNotFound
	case "DELETED":
		r.Kind = ReplyDeleted
	case "TOUCHED":
		r.Kind = ReplyTouched
	case "OK":
		r.Kind = ReplyOK
	case "RESET":
		r.Kind = ReplyReset
	case "ERROR":
		r.Kind = ReplyError
		r.Msg = msgOf(rest)
		return 0, true
	case "CLIENT_ERROR":
		r.Kind = ReplyClientError
		r.Msg = msgOf(rest)
		return 0, true
	case "SERVER_ERROR":
		r.Kind = ReplyServerError
		r.Msg = msgOf(rest)
		return 0, true
	case "VERSION":
		r.Kind = ReplyVersion
		r.Msg = msgOf(rest)
		return 0, true
	case "STAT":
		r.Kind = ReplyStat
		s, e := nextField(line, i)
		if s == e {
			return 0, false
		}
		r.Name = line[s:e:e]
		r.Msg = msgOf(line[e:])
		return 0, true
	default:
		r.Kind = ReplyNumber
		if r.Number, ok = parseUint(line[:i]); !ok {
			return 0, false
		}
	}
	return 0, onlySpaces(rest)
}

// msgOf returns the text after the space that follows a reply's first
// word, verbatim; empty when there is none.
func msgOf(rest []byte) []byte {
	if len(rest) <= 1 {
		return nil
	}
	return rest[1:len(rest):len(rest)]
}
