package upstream

import (
	"mcroute/codec/mc"
	"mcroute/codec/meta"
)

// protoKind selects a Conn's protocol pipeline. It is fixed when the Conn
// is created, from its Destination's protocol; Conn switches on it, so
// the request path calls concrete methods and boxes nothing.
type protoKind uint8

const (
	protoASCII protoKind = iota // asciiProto
	protoMeta                   // metaProto
)

// protoKindOf maps a DestKey protocol to its pipeline.
func protoKindOf(protocol string) protoKind {
	if protocol == ProtocolMeta {
		return protoMeta
	}
	return protoASCII
}

// metaProto is memcached's meta protocol (memcached ≥ 1.6) on one
// connection, the sibling of asciiProto with the same job split: it
// validates keys, encodes requests (codec/meta) and matches parsed replies
// to the pending queue.
//
// Every meta request carries an opaque token (O), a per-connection counter
// stored in its queue entry; 0 is never used, and marks the requests that
// meta.SentAsASCII writes in the ASCII protocol on the same connection
// (version, flush_all, delete with an exptime), whose replies carry no
// token. No request is sent quiet (q): an error line carries no token, so
// with quiet requests in flight it could not be tied to one. Gets are not
// coalesced (one mg per key); they still leave in one write per flush.
//
// Matching rules (see also the package doc). memcached answers in order,
// so a reply answers the head entry; the token only checks that:
//   - a reply other than an error line must carry the head's token (none
//     for a request sent as ASCII) and be of a kind meta.ToReply accepts
//     for the head's op; otherwise it is a desync: nothing is delivered
//     for it and the connection is dropped;
//   - SERVER_ERROR is a complete answer to anything; CLIENT_ERROR to
//     anything but a storage command (ms), where memcached may read the
//     data block as a command next: delivered, then the connection is
//     dropped; a bare ERROR is delivered, then the connection is dropped.
//     An mg is one line with one reply (no END), so an error line answers
//     it as it answers any other one-line command.
type metaProto struct {
	seq uint32 // the last opaque token used
	rp  meta.ReplyParser
}

// validKey reports whether key may be written for op (meta.ValidKey: the
// ASCII rule).
func (p *metaProto) validKey(op mc.Op, key []byte) bool {
	return !hasKey(op) || meta.ValidKey(key)
}

// encode appends req (with key as its key) to dst and returns the token
// the reply must carry: 0 for a request sent as ASCII.
func (p *metaProto) encode(dst []byte, req *mc.Request, key []byte) ([]byte, uint32) {
	if meta.SentAsASCII(req) {
		return meta.AppendRequest(dst, req, key, 0), 0
	}
	p.seq++
	if p.seq == 0 {
		p.seq = 1
	}
	if req.Quiet {
		// Never quiet on the wire (see metaProto). Cold: mcroute's
		// clients' noreply is handled by the engine.
		r := *req
		r.Quiet = false
		return meta.AppendRequest(dst, &r, key, p.seq), p.seq
	}
	return meta.AppendRequest(dst, req, key, p.seq), p.seq
}

// reset forgets any partial reply: the connection is gone. The token
// counter goes on (a late reply on an old socket is never read anyway).
func (p *metaProto) reset() { p.rp.Reset() }

// match matches one parsed reply element to c's queue, delivering what it
// answers.
func (p *metaProto) match(c *Conn, r *meta.Reply) verdict {
	q := &c.q
	if q.n == 0 {
		return matchBad
	}
	head := q.front()
	op := head.op
	switch r.Kind {
	case meta.KindServerError, meta.KindClientError, meta.KindError:
		rep, _ := meta.ToReply(op, r)
		if r.Kind == meta.KindError || r.Kind == meta.KindClientError && op.IsStorage() {
			c.answerThenDrop(1, rep)
			return matchClose
		}
		c.answer(rep)
		return matchOK
	}
	if r.HasOpaque != (head.opaque != 0) || r.Opaque != head.opaque {
		return matchBad
	}
	rep, ok := meta.ToReply(op, r)
	if !ok {
		return matchBad
	}
	c.answer(rep)
	return matchOK
}
