package upstream

import (
	"bytes"

	"mcroute/codec"
	"mcroute/codec/mc"
)

// maxKeyLen is memcached's ASCII key limit (KEY_MAX_LENGTH).
const maxKeyLen = 250

// verdict is what the protocol pipeline decided about one reply element.
type verdict uint8

const (
	// matchOK: the element answered (part of) the head request, or was
	// the END of a get line whose keys are all answered.
	matchOK verdict = iota
	// matchClose: the element was delivered, but the connection cannot be
	// trusted to be in step any more; the Conn has already been taken
	// down (see Conn.down) and the rest of its requests fail.
	matchClose
	// matchBad: the element cannot belong to the head request. Nothing was
	// delivered for it; the connection must be dropped.
	matchBad
)

// asciiProto is the memcached ASCII text protocol on one connection: it
// validates and encodes requests (coalescing consecutive gets into one
// line) and matches parsed replies to the pending queue. A second protocol
// (meta, chosen per pool) would be a sibling type with the same methods;
// Conn calls them on a concrete field, so the request path boxes nothing.
//
// Matching rules (see also the package doc):
//   - a get line's replies are VALUE elements for its keys, in order,
//     each key at most once per VALUE, then END; keys skipped before a
//     VALUE are misses; END answers every remaining key as a miss;
//   - any other request takes exactly one line, of a kind its command can
//     produce (expected);
//   - an error line on a get line, a CLIENT_ERROR or ERROR on a storage
//     command, and a bare ERROR on anything are delivered to their request
//     (every key of the line), then the connection is closed: memcached
//     may or may not have consumed the rest of what we sent;
//   - anything else is a desync: nothing more is delivered on this
//     connection.
type asciiProto struct {
	// The get line being built in the Conn's write buffer, still without
	// its "\r\n".
	batchOpen    bool
	batchOp      mc.Op
	batchExptime int64
	batchLen     int

	// awaitEnd: every key of the head get line is answered, its END not
	// yet read.
	awaitEnd bool

	rp codec.ReplyParser
}

// hasKey reports whether op sends a key.
func hasKey(op mc.Op) bool {
	return op.IsGet() || op.IsStorage() || op == mc.OpDelete || op == mc.OpIncr || op == mc.OpDecr || op == mc.OpTouch
}

// validKey reports whether key may be written for op: 1 to 250 bytes,
// none of them a space or a control character. A key memcached would
// reject makes it answer with more or fewer lines than asked for, so it
// is never sent.
func (p *asciiProto) validKey(op mc.Op, key []byte) bool {
	if !hasKey(op) {
		return true
	}
	if len(key) == 0 || len(key) > maxKeyLen {
		return false
	}
	for _, b := range key {
		if b <= ' ' || b == 0x7f {
			return false
		}
	}
	return true
}

// encode appends req (with key as its key) to dst. It is called before
// the request's entry is pushed on q. Consecutive get-like requests with
// the same op and exptime share one line, up to maxBatch keys.
func (p *asciiProto) encode(dst []byte, req *mc.Request, key []byte, q *queue, maxBatch int) []byte {
	if req.Op.IsGet() {
		if !p.batchOpen || p.batchOp != req.Op || p.batchExptime != req.Exptime || p.batchLen >= maxBatch {
			dst = p.endBatch(dst, q)
			dst = codec.AppendGetStart(dst, req.Op, req.Exptime)
			p.batchOpen, p.batchOp, p.batchExptime, p.batchLen = true, req.Op, req.Exptime, 0
		}
		p.batchLen++
		return codec.AppendKey(dst, key)
	}
	dst = p.endBatch(dst, q)
	return codec.AppendRequest(dst, req, key)
}

// endBatch terminates the get line under construction, if any; its last
// key is the newest entry of q.
func (p *asciiProto) endBatch(dst []byte, q *queue) []byte {
	if !p.batchOpen {
		return dst
	}
	p.batchOpen = false
	q.back().batchEnd = true
	return append(dst, '\r', '\n')
}

// reset forgets the line under construction and any partial reply: the
// connection is gone.
func (p *asciiProto) reset() {
	p.batchOpen = false
	p.awaitEnd = false
	p.rp.Reset()
}

// match matches one parsed reply element to c's queue, delivering what it
// answers.
func (p *asciiProto) match(c *Conn, r *codec.Reply) verdict {
	q := &c.q
	if p.awaitEnd {
		if r.Kind == codec.ReplyEnd {
			p.awaitEnd = false
			return matchOK
		}
		return matchBad
	}
	if q.n == 0 {
		return matchBad
	}
	op := q.front().op
	if op.IsGet() {
		return p.matchGet(c, r)
	}
	switch r.Kind {
	case codec.ReplyServerError:
		// memcached swallows a storage command's data block before a
		// SERVER_ERROR (too large, out of memory): one line, in step.
		res, msg := errorResult(r)
		c.answer(mc.Reply{Result: res, Msg: msg})
		return matchOK
	case codec.ReplyClientError:
		res, msg := errorResult(r)
		if op.IsStorage() {
			// "bad data chunk", "bad command line format": the data block
			// may be read as a command next.
			c.answerThenDrop(1, mc.Reply{Result: res, Msg: msg})
			return matchClose
		}
		// incr on a non-number, bad delta...: a complete answer.
		c.answer(mc.Reply{Result: res, Msg: msg})
		return matchOK
	case codec.ReplyError:
		// The command was not understood: whatever follows it is suspect.
		res, msg := errorResult(r)
		c.answerThenDrop(1, mc.Reply{Result: res, Msg: msg})
		return matchClose
	}
	res, ok := expected(op, r.Kind)
	if !ok {
		return matchBad
	}
	rep := mc.Reply{Result: res, Number: r.Number}
	if r.Kind == codec.ReplyVersion {
		rep.Value = r.Msg
	}
	c.answer(rep)
	return matchOK
}

// matchGet matches an element to the get line at the head of the queue.
func (p *asciiProto) matchGet(c *Conn, r *codec.Reply) verdict {
	q := &c.q
	switch r.Kind {
	case codec.ReplyValue:
		// The key must be one of the line's unanswered keys; look before
		// delivering anything, so a stray VALUE answers nobody.
		hit := -1
		for i := 0; i < q.n; i++ {
			e := q.at(i)
			if bytes.Equal(e.key, r.Key) {
				hit = i
				break
			}
			if e.batchEnd {
				break
			}
		}
		if hit < 0 {
			return matchBad
		}
		for ; hit > 0; hit-- {
			c.answer(mc.Reply{Result: mc.ResNotFound})
		}
		p.awaitEnd = q.front().batchEnd
		c.answer(mc.Reply{Result: mc.ResFound, Flags: r.Flags, Cas: r.Cas, HasCas: r.HasCas, Value: r.Data})
		return matchOK
	case codec.ReplyEnd:
		for q.n > 0 {
			end := q.front().batchEnd
			c.answer(mc.Reply{Result: mc.ResNotFound})
			if end {
				break
			}
		}
		return matchOK
	case codec.ReplyError, codec.ReplyClientError, codec.ReplyServerError:
		// memcached stopped in the middle of the line; whether an END
		// follows is not certain. Every remaining key gets the error,
		// then the connection is dropped.
		n := 0
		for i := 0; i < q.n; i++ {
			n++
			if q.at(i).batchEnd {
				break
			}
		}
		res, msg := errorResult(r)
		c.answerThenDrop(n, mc.Reply{Result: res, Msg: msg})
		return matchClose
	}
	return matchBad
}

// expected maps a one-line reply to its result when memcached can send it
// for op.
func expected(op mc.Op, k codec.ReplyKind) (mc.Result, bool) {
	switch {
	case op == mc.OpCas:
		switch k {
		case codec.ReplyStored:
			return mc.ResStored, true
		case codec.ReplyExists:
			return mc.ResExists, true
		case codec.ReplyNotFound:
			return mc.ResNotFound, true
		case codec.ReplyNotStored:
			return mc.ResNotStored, true
		}
	case op.IsStorage():
		switch k {
		case codec.ReplyStored:
			return mc.ResStored, true
		case codec.ReplyNotStored:
			return mc.ResNotStored, true
		}
	case op == mc.OpDelete:
		switch k {
		case codec.ReplyDeleted:
			return mc.ResDeleted, true
		case codec.ReplyNotFound:
			return mc.ResNotFound, true
		}
	case op == mc.OpIncr || op == mc.OpDecr:
		switch k {
		case codec.ReplyNumber:
			return mc.ResFound, true
		case codec.ReplyNotFound:
			return mc.ResNotFound, true
		}
	case op == mc.OpTouch:
		switch k {
		case codec.ReplyTouched:
			return mc.ResTouched, true
		case codec.ReplyNotFound:
			return mc.ResNotFound, true
		}
	case op == mc.OpVersion:
		if k == codec.ReplyVersion {
			return mc.ResOK, true
		}
	case op == mc.OpFlushAll || op == mc.OpVerbosity:
		if k == codec.ReplyOK {
			return mc.ResOK, true
		}
	}
	return 0, false
}

// errorResult maps a memcached error line to mcrouter's result: SERVER_ERROR
// is REMOTE_ERROR (BUSY for "307 ..."), CLIENT_ERROR is CLIENT_ERROR, a bare
// ERROR is REMOTE_ERROR without message.
func errorResult(r *codec.Reply) (mc.Result, []byte) {
	switch r.Kind {
	case codec.ReplyClientError:
		return mc.ResClientError, r.Msg
	case codec.ReplyServerError:
		if bytes.HasPrefix(r.Msg, []byte("307 ")) || bytes.Equal(r.Msg, []byte("307")) {
			return mc.ResBusy, r.Msg
		}
		return mc.ResRemoteError, r.Msg
	}
	return mc.ResRemoteError, nil
}
