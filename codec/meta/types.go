package meta

import "mcroute/codec"

// Kind is the kind of one element of a meta reply.
type Kind uint8

// Reply elements, as memcached ≥ 1.6 writes them on a connection that
// speaks meta (plus the ASCII lines of the commands that stay ASCII).
const (
	KindNone        Kind = iota
	KindHD               // HD <flags>*: success without a value
	KindVA               // VA <size> <flags>*\r\n<data>\r\n
	KindEN               // EN <flags>*: miss (mg)
	KindNF               // NF <flags>*: not found (md, ma, ms with C)
	KindNS               // NS <flags>*: not stored
	KindEX               // EX <flags>*: cas mismatch
	KindMN               // MN: the answer to mn, a fence
	KindOK               // OK: flush_all, sent as ASCII
	KindVersion          // VERSION <text>: version, sent as ASCII
	KindError            // ERROR [<msg>]
	KindClientError      // CLIENT_ERROR [<msg>]
	KindServerError      // SERVER_ERROR [<msg>]
	numKinds
)

var kindNames = [numKinds]string{"none", "HD", "VA", "EN", "NF", "NS", "EX", "MN", "OK",
	"VERSION", "ERROR", "CLIENT_ERROR", "SERVER_ERROR"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Reply is one parsed reply element. Key, Data and Msg are borrowed from the
// ReplyParser and valid until its next Parse or Reset.
type Reply struct {
	Kind Kind
	// Opaque is the O flag's token (always a decimal uint32: mcroute sends
	// nothing else); HasOpaque is set when the server returned one. Error
	// lines never carry it.
	Opaque    uint32
	HasOpaque bool
	// Flags is the client flags word (f), Cas the cas unique (c), TTL the
	// remaining time to live (t, -1 for none), each with its Has bit.
	Flags    uint64
	Cas      uint64
	TTL      int64
	HasFlags bool
	HasCas   bool
	HasTTL   bool
	// Key is the k flag's token (the key, base64 when the b flag came
	// back too); nil when absent.
	Key []byte
	// Base64 is set when the b flag came back: Key is base64.
	Base64 bool
	// Data is the data block of KindVA: a value for mg, the decimal new
	// value for ma.
	Data []byte
	// Msg is the text after the first word and its space for KindError,
	// KindClientError, KindServerError and KindVersion.
	Msg []byte
}

// ErrBadReply is what ReplyParser.Parse returns for input that is not a
// meta reply: codec's ErrBadReply, so that the upstream handles both
// protocols' garbage the same way (close, fail the waiting requests with
// REMOTE_ERROR).
var ErrBadReply = codec.ErrBadReply

// Limits, shared with the ASCII codec.
const (
	MaxKeyLen   = codec.MaxKeyLen
	MaxLineLen  = codec.MaxReplyLineLen
	MaxValueLen = codec.MaxValueLen
)
