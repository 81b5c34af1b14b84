package bench

import (
	"bytes"
)

// opKind is the command of a request the generator sends.
type opKind uint8

const (
	opSet opKind = iota
	opGet
	numOps
)

// errKind says why a request did not succeed. Each failed request counts once,
// under the first problem found.
type errKind uint8

const (
	errNone errKind = iota
	// the server answered ERROR, CLIENT_ERROR or SERVER_ERROR
	errServerError
	// a well-formed line that is not a valid answer to this command
	// (NOT_STORED to a set, STORED to a get, …)
	errUnexpected
	// VALUE for a key that was not asked for, or more often than asked
	errWrongKey
	// --verify: the value, its length or its flags differ from what was written
	errBadValue
	// a reply that does not parse; the connection is dropped
	errMalformed
	// bytes arrived while no request was outstanding; the connection is dropped
	errUnsolicited
	// no reply within the reply timeout
	errNoReply
	// the connection failed or was dropped with the request outstanding
	errConnLost
	// open loop: due before the end of the run but never sent (backlog)
	errNotSent
	numErrKinds
)

var errKindNames = [numErrKinds]string{
	errNone:        "none",
	errServerError: "server error reply",
	errUnexpected:  "unexpected reply",
	errWrongKey:    "value for a key not requested",
	errBadValue:    "value differs from what was written",
	errMalformed:   "malformed reply",
	errUnsolicited: "reply with no request outstanding",
	errNoReply:     "no reply (timeout)",
	errConnLost:    "connection lost with request outstanding",
	errNotSent:     "not sent by the end of the run (open-loop backlog)",
}

func (k errKind) String() string { return errKindNames[k] }

// maxLine is the longest reply line accepted (a VALUE line with a 250-byte
// key is under 300 bytes).
const maxLine = 4096

// checker verifies the reply to one request at a time, strictly: every line
// must end in \r\n, a set must get STORED, a get must get VALUE blocks for
// keys it asked for (in any order, each at most as often as asked; twemproxy
// reassembles multi-key gets per server, not in request order) and then END,
// and with verify on each value must be exactly the bytes written. It works
// one reply element (a line, or a VALUE line with its data) at a time over
// whatever the connection has read, so a reply may arrive split anywhere.
//
// A checker belongs to one connection's reading goroutine and never
// allocates.
type checker struct {
	prefix []byte
	verify bool
	vals   *values

	op    opKind
	keys  []int64 // keys of the current request; borrowed from the ring
	seen  []bool  // seen[i]: keys[i] was answered
	hits  int
	kind  errKind // first problem with the current request
	line  []byte  // the line that caused kind; points into the read buffer
	fatal bool    // the stream cannot be trusted any more
}

func newChecker(prefix []byte, verify bool, vals *values, maxKeys int) checker {
	return checker{prefix: prefix, verify: verify, vals: vals, seen: make([]bool, maxKeys)}
}

// begin starts checking the reply to a request.
func (c *checker) begin(op opKind, keys []int64) {
	c.op, c.keys = op, keys
	clear(c.seen[:len(keys)])
	c.hits, c.kind, c.line, c.fatal = 0, errNone, nil, false
}

func (c *checker) fail(k errKind, line []byte) {
	if c.kind == errNone {
		c.kind, c.line = k, line
	}
}

func (c *checker) failFatal(k errKind, line []byte) {
	c.fail(k, line)
	c.fatal = true
}

// step consumes one reply element from the front of buf. It returns the bytes
// consumed (0 when the element is not complete yet; need is then the element's
// full length if known, else 0) and whether the reply to the current request
// is complete. After step, c.fatal means the connection must be dropped.
func (c *checker) step(buf []byte) (n, need int, done bool) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) > maxLine {
			c.failFatal(errMalformed, buf[:64])
		}
		return 0, 0, false
	}
	if i == 0 || buf[i-1] != '\r' {
		c.failFatal(errMalformed, buf[:i])
		return i + 1, 0, true
	}
	line := buf[:i-1]
	n = i + 1
	switch {
	case c.op == opGet && bytes.HasPrefix(line, []byte("VALUE ")):
		return c.value(buf, line, n)
	case c.op == opGet && string(line) == "END":
		return n, 0, true
	case c.op == opSet && string(line) == "STORED":
		return n, 0, true
	case string(line) == "ERROR" || bytes.HasPrefix(line, []byte("CLIENT_ERROR")) || bytes.HasPrefix(line, []byte("SERVER_ERROR")):
		c.fail(errServerError, line)
		return n, 0, true
	default:
		c.fail(errUnexpected, line)
		return n, 0, true
	}
}

// value handles "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n"; line is
// the first line without its \r\n and n its length with it.
func (c *checker) value(buf, line []byte, n int) (int, int, bool) {
	rest := line[len("VALUE "):]
	key, rest, ok1 := bytes.Cut(rest, []byte(" "))
	flagsB, rest, ok2 := bytes.Cut(rest, []byte(" "))
	sizeB, casB, hasCas := bytes.Cut(rest, []byte(" "))
	flags, ok3 := parseUint(flagsB, 1<<32-1)
	size, ok4 := parseUint(sizeB, 1<<30)
	ok5 := true
	if hasCas {
		_, ok5 = parseUint(casB, 1<<64-1)
	}
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || len(key) == 0 {
		c.failFatal(errMalformed, line)
		return n, 0, true
	}
	total := n + int(size) + 2
	if len(buf) < total {
		return 0, total, false
	}
	if buf[total-2] != '\r' || buf[total-1] != '\n' {
		c.failFatal(errMalformed, line)
		return total, 0, true
	}
	data := buf[n : n+int(size)]
	slot := -1
	if k, ok := c.keyNumber(key); ok {
		for i, want := range c.keys {
			if want == k && !c.seen[i] {
				slot = i
				break
			}
		}
	}
	if slot < 0 {
		c.fail(errWrongKey, line)
		return total, 0, false
	}
	c.seen[slot] = true
	c.hits++
	if c.verify && (flags != 0 || !bytes.Equal(data, c.vals.of(c.keys[slot]))) {
		c.fail(errBadValue, line)
	}
	return total, 0, false
}

// keyNumber parses a key name made by appendKey back into its number.
func (c *checker) keyNumber(key []byte) (int64, bool) {
	if !bytes.HasPrefix(key, c.prefix) {
		return 0, false
	}
	v, ok := parseUint(key[len(c.prefix):], 1<<63-1)
	return int64(v), ok
}

// parseUint parses a non-empty decimal number no larger than max.
func parseUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
