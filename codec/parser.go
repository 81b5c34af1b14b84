package codec

import "mcroute/codec/mc"

// Parser states.
const (
	stLine   = iota // at or inside a command line
	stData          // inside a storage command's data block
	stBroken        // after ErrMalformed: nothing more until Reset
)

// Parser is an incremental parser of client requests (the memcached text
// protocol as mcrouter accepts it, mcrouter-behaviour.md §5.1-5.2). The zero
// value is ready to use. A Parser belongs to one connection and one
// goroutine.
type Parser struct {
	// Req is the request last parsed. Its slices are borrowed (see Request)
	// and valid until the next call to Parse or Reset.
	Req Request

	state  uint8
	badKey bool // a key of Req is longer than MaxKeyLen
	lb     lineBuf
	blk    dataBlock
}

// Parse consumes a prefix of buf and reports how many bytes it consumed.
//
//   - ok == true: p.Req holds one complete request; call Parse again with
//     buf[n:] for the rest.
//   - ok == false, err == nil: all of buf was consumed (n == len(buf)) and
//     the request is not complete yet; call again with the next input. What
//     must survive (an unfinished line, a key, a partial data block) has
//     been copied, so buf may be reused.
//   - err == ErrBadKey: a key was longer than MaxKeyLen. The whole request,
//     data block included, has been consumed (n covers its end, possibly
//     after earlier calls returned ok == false); p.Req holds its mc.Op, Keys
//     and Noreply but no Value. Answer err's Reply and go on with buf[n:].
//   - err == ErrMalformed: the input is not a request. Answer err's Reply
//     and close the connection; Parse keeps returning ErrMalformed until
//     Reset.
//
// Parse accepts "\r\n" or a bare "\n" after every line and data block, and
// input split at any byte. A value whose line, data and terminator are all
// in buf points into buf; one that spans calls is copied into a buffer the
// Parser reuses, grown only as data arrives. Parse does not allocate in
// steady state.
func (p *Parser) Parse(buf []byte) (n int, ok bool, err error) {
	if len(buf) == 0 {
		if p.state == stBroken {
			return 0, false, ErrMalformed
		}
		return 0, false, nil
	}
	switch p.state {
	case stLine:
		return p.parseLine(buf)
	case stData:
		return p.parseData(buf)
	}
	return 0, false, ErrMalformed
}

// Reset drops any partial request and any error, ready for a new
// connection. It keeps the parser's buffers unless they grew unusually big.
func (p *Parser) Reset() {
	p.startRequest()
	p.state = stLine
}

// Pending reports whether part of a request has been consumed but not yet
// returned (an unfinished line or data block).
func (p *Parser) Pending() bool { return p.state == stData || p.lb.partial }

// startRequest clears the previous request. Buffers grown unusually big
// for it are dropped rather than kept for the connection's lifetime.
func (p *Parser) startRequest() {
	p.lb.clear()
	if cap(p.blk.val) > retainCap {
		p.blk.val = nil
	}
	keys := p.Req.Keys[:0]
	if cap(keys) > retainKeys {
		keys = nil
	}
	p.Req = Request{Keys: keys}
	p.badKey = false
}

func (p *Parser) fail(n int) (int, bool, error) {
	p.state = stBroken
	return n, false, ErrMalformed
}

// lineTooLong reports whether a request line (or the unfinished start of
// one) of this length is over its limit.
func lineTooLong(line []byte) bool {
	return len(line) > MaxLineLen && (len(line) > MaxGetLineLen || !isRetrieval(line))
}

// isRetrieval reports whether line starts with a get/gets/gat/gats command.
func isRetrieval(line []byte) bool {
	if len(line) < 4 || line[0] != 'g' || line[1] != 'e' && line[1] != 'a' || line[2] != 't' {
		return false
	}
	return line[3] == ' ' || line[3] == 's' && len(line) > 4 && line[4] == ' '
}

func (p *Parser) parseLine(buf []byte) (int, bool, error) {
	if !p.lb.partial {
		p.startRequest()
		// Every command starts with a lowercase letter: reject binary
		// protocol (0x80), meta-less garbage and uppercase at once.
		if c := buf[0]; c < 'a' || c > 'z' {
			return p.fail(1)
		}
	}
	line, n, inBuf, complete := p.lb.take(buf)
	if !complete {
		if lineTooLong(p.lb.scratch) {
			return p.fail(n)
		}
		return n, false, nil
	}
	if lineTooLong(line) {
		return p.fail(n)
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	size, ok := p.parseCommand(line)
	if !ok {
		return p.fail(n)
	}
	if !p.Req.Op.IsStorage() {
		if p.badKey {
			return n, false, ErrBadKey
		}
		return n, true, nil
	}

	rest := buf[n:]
	if !p.badKey {
		m, whole, bad := blockAt(rest, size)
		if whole {
			p.Req.Value = rest[:size:size]
			return n + m, true, nil
		}
		if bad {
			return p.fail(n + m)
		}
	}
	p.blk.start(size, p.badKey)
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
		p.Req.Keys[0] = p.lb.keep(p.Req.Keys[0])
	}
	p.state = stData
	return n, false, nil
}

func (p *Parser) parseData(buf []byte) (int, bool, error) {
	n, done, bad := p.blk.feed(buf)
	if bad {
		return p.fail(n)
	}
	if !done {
		return n, false, nil
	}
	return p.finishData(n)
}

func (p *Parser) finishData(n int) (int, bool, error) {
	p.state = stLine
	if p.badKey {
		return n, false, ErrBadKey
	}
	v := p.blk.val
	p.Req.Value = v[:len(v):len(v)]
	return n, true, nil
}

// parseCommand parses a command line (terminator removed) into p.Req. For a
// storage command it returns the data block's length.
func (p *Parser) parseCommand(line []byte) (size int, ok bool) {
	i := 0
	for i < len(line) && line[i] != ' ' {
		i++
	}
	r := &p.Req
	switch string(line[:i]) {
	case "get":
		return 0, p.parseGet(mc.OpGet, line, i)
	case "gets":
		return 0, p.parseGet(mc.OpGets, line, i)
	case "gat":
		return 0, p.parseGet(mc.OpGat, line, i)
	case "gats":
		return 0, p.parseGet(mc.OpGats, line, i)
	case "set":
		return p.parseStorage(mc.OpSet, line, i)
	case "add":
		return p.parseStorage(mc.OpAdd, line, i)
	case "replace":
		return p.parseStorage(mc.OpReplace, line, i)
	case "append":
		return p.parseStorage(mc.OpAppend, line, i)
	case "prepend":
		return p.parseStorage(mc.OpPrepend, line, i)
	case "cas":
		return p.parseStorage(mc.OpCas, line, i)
	case "delete":
		r.Op = mc.OpDelete
		if i, ok = p.key(line, i); !ok {
			return 0, false
		}
		s, e := nextField(line, i)
		if f := line[s:e]; len(f) > 0 && string(f) != "noreply" {
			if r.Exptime, ok = parseExptime(f); !ok {
				return 0, false
			}
			r.HasExptime = true
			i = e
		}
		r.Noreply, ok = noreplyTail(line, i)
		return 0, ok
	case "incr", "decr":
		r.Op = mc.OpIncr
		if line[0] == 'd' {
			r.Op = mc.OpDecr
		}
		if i, ok = p.key(line, i); !ok {
			return 0, false
		}
		s, e := nextField(line, i)
		if r.Delta, ok = parseUint(line[s:e]); !ok {
			return 0, false
		}
		r.Noreply, ok = noreplyTail(line, e)
		return 0, ok
	case "touch":
		r.Op = mc.OpTouch
		if i, ok = p.key(line, i); !ok {
			return 0, false
		}
		s, e := nextField(line, i)
		if r.Exptime, ok = parseExptime(line[s:e]); !ok {
			return 0, false
		}
		r.Noreply, ok = noreplyTail(line, e)
		return 0, ok
	case "version":
		r.Op = mc.OpVersion
		return 0, onlySpaces(line[i:])
	case "quit":
		r.Op = mc.OpQuit
		return 0, onlySpaces(line[i:])
	case "verbosity":
		r.Op = mc.OpVerbosity
		s, e := nextField(line, i)
		if f := line[s:e]; len(f) > 0 && string(f) != "noreply" {
			if _, ok = parseUint(f); !ok {
				return 0, false
			}
			r.Args = f[:len(f):len(f)]
			i = e
		}
		r.Noreply, ok = noreplyTail(line, i)
		return 0, ok
	case "flush_all":
		r.Op = mc.OpFlushAll
		s, e := nextField(line, i)
		if f := line[s:e]; len(f) > 0 && string(f) != "noreply" {
			if r.Exptime, ok = parseExptime(f); !ok {
				return 0, false
			}
			r.HasExptime = true
			r.Args = f[:len(f):len(f)]
			i = e
		}
		r.Noreply, ok = noreplyTail(line, i)
		return 0, ok
	case "stats":
		r.Op = mc.OpStats
		return 0, p.args(line[i:], false)
	case "flush_regex":
		r.Op = mc.OpFlushRegex
		return 0, p.args(line[i:], true)
	case "exec":
		r.Op = mc.OpExec
		return 0, p.args(line[i:], true)
	case "shutdown":
		r.Op = mc.OpShutdown
		s, e := nextField(line, i)
		if f := line[s:e]; len(f) > 0 {
			if _, ok = parseUint(f); !ok {
				return 0, false
			}
			r.Args = f[:len(f):len(f)]
		}
		return 0, onlySpaces(line[e:])
	}
	return 0, false
}

// key parses the next field as a key and appends it to p.Req.Keys. A key
// longer than MaxKeyLen sets p.badKey; an empty one or one with a control
// character is malformed.
func (p *Parser) key(line []byte, i int) (int, bool) {
	s, e, ctl := nextKey(line, i)
	if s == e || ctl {
		return e, false
	}
	if e-s > MaxKeyLen {
		p.badKey = true
	}
	p.Req.Keys = append(p.Req.Keys, line[s:e:e])
	return e, true
}

// parseGet parses "<cmd> [<exptime>] <key>+".
func (p *Parser) parseGet(op mc.Op, line []byte, i int) bool {
	p.Req.Op = op
	if op == mc.OpGat || op == mc.OpGats {
		s, e := nextField(line, i)
		var ok bool
		if p.Req.Exptime, ok = parseExptime(line[s:e]); !ok {
			return false
		}
		i = e
	}
	for {
		s, e, ctl := nextKey(line, i)
		if s == e {
			break
		}
		if ctl {
			return false
		}
		if e-s > MaxKeyLen {
			p.badKey = true
		}
		p.Req.Keys = append(p.Req.Keys, line[s:e:e])
		i = e
	}
	return len(p.Req.Keys) > 0
}

// parseStorage parses "<cmd> <key> <flags> <exptime> <bytes> [<cas>] [noreply]".
func (p *Parser) parseStorage(op mc.Op, line []byte, i int) (int, bool) {
	r := &p.Req
	r.Op = op
	var ok bool
	if i, ok = p.key(line, i); !ok {
		return 0, false
	}
	s, e := nextField(line, i)
	if r.Flags, ok = parseUint(line[s:e]); !ok {
		return 0, false
	}
	s, e = nextField(line, e)
	if r.Exptime, ok = parseExptime(line[s:e]); !ok {
		return 0, false
	}
	s, e = nextField(line, e)
	size, ok := parseUint(line[s:e])
	if !ok || size > MaxValueLen {
		return 0, false
	}
	if op == mc.OpCas {
		s, e = nextField(line, e)
		if r.Cas, ok = parseUint(line[s:e]); !ok {
			return 0, false
		}
	}
	r.Noreply, ok = noreplyTail(line, e)
	return int(size), ok
}

// args sets p.Req.Args to the trimmed rest of the line: text must follow
// the command word after a space, and be present when required.
func (p *Parser) args(rest []byte, required bool) bool {
	a := trimSpaces(rest)
	if hasCtl(a) || required && len(a) == 0 {
		return false
	}
	if len(a) > 0 {
		p.Req.Args = a[:len(a):len(a)]
	}
	return true
}

// noreplyTail parses what may end a line: nothing, or "noreply", then only
// spaces.
func noreplyTail(line []byte, i int) (noreply, ok bool) {
	s, e := nextField(line, i)
	if s == e {
		return false, true
	}
	if string(line[s:e]) != "noreply" {
		return false, false
	}
	return true, onlySpaces(line[e:])
}
