// Package codec is the memcached text protocol: an incremental request
// parser for the server side (what clients send to mcroute), an incremental
// reply parser for the upstream side (what memcached sends back), and
// append-style encoders for both directions.
//
// codec owns bytes and grammar only. It must not touch sockets, timers,
// goroutines or routing, and it must not allocate per request in steady
// state: parsers reuse their own scratch buffers, encoders append to a
// caller's slice.
//
// # Requests (server side)
//
//	var p codec.Parser                 // one per client connection, zero value ready
//	for len(buf) > 0 {
//	    n, ok, err := p.Parse(buf)     // consumes n bytes; ok: p.Req is complete
//	    buf = buf[n:]
//	    if err != nil {
//	        pe := err.(*codec.ParseError)
//	        queueReply(pe.Reply)       // in order, behind earlier requests' replies
//	        if pe.Close { closeAfterReplies(); return } // ErrMalformed
//	        continue                   // ErrBadKey: the request was consumed
//	    }
//	    if !ok { break }               // all of buf consumed, need more input
//	    handle(&p.Req)                 // slices in p.Req valid until the next Parse
//	}
//
// The grammar is mcrouter's ASCII one (mcrouter-behaviour.md §5.1-5.2):
// lowercase commands, fields separated by one or more spaces, trailing
// spaces allowed, "\r\n" or bare "\n" after every line and data block.
// Meta commands, the binary protocol and anything else unknown are
// ErrMalformed. The parser also accepts verbosity, which mcrouter rejects;
// the caller decides what to answer (mc.OpVerbosity).
//
// The parser accepts input split at any byte and any number of pipelined
// requests. It copies only what must survive a split: an unfinished command
// line (into a scratch buffer), the key of a storage command whose data
// block is still to come and, when a value block spans reads, the value
// (into a reusable value buffer grown only as data arrives, never to a size
// the client merely claims). Everything else points into buf.
//
// Limits: a command line may be MaxLineLen bytes (MaxGetLineLen for
// get/gets/gat/gats, whose lines grow with the key count); a longer one is
// ErrMalformed, so a client cannot make the parser buffer without bound
// before the end of a line. A data block may be MaxValueLen bytes. A key
// over MaxKeyLen is ErrBadKey, returned once the whole request, data block
// included, has been consumed, so the connection can go on.
//
// # Replies (upstream side)
//
// ReplyParser works the same way over what memcached sends and yields one
// reply element at a time (a line, or a VALUE line with its data block). The
// upstream package knows which request each element belongs to; codec does
// not. Anything it cannot parse is ErrBadReply, after which the connection
// is unusable.
//
// # Encoders
//
// Append* functions write to a caller's slice and return it, like
// strconv.AppendInt; canned reply lines (End, Stored, …) are shared
// read-only slices. The upstream request encoders never write noreply:
// mcroute always wants the server's reply, and drops it itself when the
// client asked for none.
//
// # Ownership and goroutines
//
// A Parser or ReplyParser belongs to one connection and is used by the one
// goroutine (the event loop) that owns that connection. Slices it returns
// are borrowed: they point into the caller's buf or the parser's scratch
// space and are valid until the next call to Parse or Reset. A caller that
// needs them longer (for example across a later read) must copy them.
package codec
