package codec

import "mcroute/codec/mc"

// MaxKeyLen is the longest key mcrouter accepts over ASCII, routing prefix
// included (mcrouter-behaviour.md §5.1).
const MaxKeyLen = 250

// MaxValueLen caps a value block's length: larger claims are a malformed
// request, and nothing is allocated for them (mcrouter clamps at 1 GiB).
const MaxValueLen = 1 << 30

// Request is one parsed client request.
//
// All slices are borrowed from the Parser that produced the request (they
// point into the buffer passed to Parse or into the parser's scratch space)
// and are valid only until the next call to Parse or Reset on that parser.
// A caller that needs them longer must copy them.
type Request struct {
	Op mc.Op
	// Keys holds the keys in the order the client sent them. Retrieval
	// commands have one or more; set-like, delete, incr, decr and touch
	// exactly one; other commands none.
	Keys [][]byte
	// Flags is the client flags word of storage commands (uint64, as
	// mcrouter accepts).
	Flags uint64
	// Exptime is the exptime of storage commands, gat/gats and touch, and the
	// optional exptime of delete (0 when absent). It may be negative.
	Exptime int64
	// Cas is the cas unique of the cas command.
	Cas uint64
	// Delta is the amount of incr/decr.
	Delta uint64
	// Value is the data block of storage commands, without its terminator.
	Value []byte
	// Args is the raw argument text of stats, verbosity, flush_all,
	// flush_regex, shutdown and exec, trimmed of surrounding spaces, without
	// a trailing "noreply" (verbosity, flush_all); empty when there are
	// none. For verbosity, flush_all and shutdown it is the one numeric
	// argument.
	Args []byte
	// Noreply is set when the client asked for no reply.
	Noreply bool
	// HasExptime is set when delete carried an exptime, flush_all a delay.
	HasExptime bool
}

// Single returns the single-key request for key, one of r's keys: r's
// fields without its keys and Args. Its slices are r's (borrowed from the
// Parser); the caller copies what must outlive the next Parse.
func (r *Request) Single(key []byte) mc.Request {
	return mc.Request{
		Op: r.Op, Flags: r.Flags, Exptime: r.Exptime, HasExptime: r.HasExptime,
		Cas: r.Cas, Delta: r.Delta, Key: key, Value: r.Value,
	}
}

// Key returns the first key, or nil when the request has none.
func (r *Request) Key() []byte {
	if len(r.Keys) == 0 {
		return nil
	}
	return r.Keys[0]
}

// ParseError is a request the parser rejects. Reply is what mcroute writes
// to the client; when Close is set the connection is closed after it (after
// the replies of earlier pipelined requests), as mcrouter does.
type ParseError struct {
	Reply string
	Close bool
}

func (e *ParseError) Error() string { return e.Reply }

// The parse errors mcrouter generates (mcrouter-behaviour.md §5.1, §5.4).
var (
	// ErrMalformed: unknown command, bad syntax, bad number, missing key,
	// bad data block terminator. The connection is closed after the reply.
	ErrMalformed = &ParseError{Reply: "CLIENT_ERROR malformed request\r\n", Close: true}
	// ErrBadKey: a key longer than MaxKeyLen. The request is answered and
	// the connection stays open; the parser has consumed the whole request
	// (its data block included).
	ErrBadKey = &ParseError{Reply: "CLIENT_ERROR bad key\r\n"}
	// ErrBadReply: what a memcached server sent is not a reply
	// ReplyParser understands. The upstream connection is closed and the
	// requests waiting on it fail with Reply (a REMOTE_ERROR, §5.4).
	ErrBadReply = &ParseError{Reply: "SERVER_ERROR malformed reply\r\n", Close: true}
)

// ReplyKind is the kind of one element of a memcached reply.
type ReplyKind uint8

// Reply elements, as memcached writes them.
const (
	ReplyNone        ReplyKind = iota
	ReplyValue                 // VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n
	ReplyEnd                   // END
	ReplyStored                // STORED
	ReplyNotStored             // NOT_STORED
	ReplyExists                // EXISTS
	ReplyNotFound              // NOT_FOUND
	ReplyDeleted               // DELETED
	ReplyTouched               // TOUCHED
	ReplyOK                    // OK
	ReplyNumber                // <decimal> (incr/decr)
	ReplyError                 // ERROR
	ReplyClientError           // CLIENT_ERROR [<msg>]
	ReplyServerError           // SERVER_ERROR [<msg>]
	ReplyVersion               // VERSION <text>
	ReplyStat                  // STAT <name> <value>
	ReplyReset                 // RESET (stats reset)
	numReplyKinds
)

// Reply is one parsed reply element. Slices are borrowed from the
// ReplyParser and valid until its next Parse or Reset.
type Reply struct {
	Kind ReplyKind
	// Key, Flags, Data, Cas, HasCas: ReplyValue.
	Key    []byte
	Flags  uint64
	Data   []byte
	Cas    uint64
	HasCas bool
	// Number: ReplyNumber.
	Number uint64
	// Msg: the text after the first word and its space, verbatim, for
	// ReplyError, ReplyClientError, ReplyServerError and ReplyVersion
	// (empty when absent); the value of a ReplyStat (which may hold
	// spaces).
	Msg []byte
	// Name: the stat name of ReplyStat.
	Name []byte
}
