package upstream

import "mcroute/codec"

// Request is one single-key request on its way to a server. The engine
// fills it from a parsed client request (one Request per key of a multi-key
// get) and the router passes it down the route tree.
//
// Slices are owned by whoever built the Request and must stay valid until
// Send returns; Send copies what it needs, so a Request may be reused as soon
// as every Send that used it has returned.
type Request struct {
	Op         codec.Op
	Flags      uint64
	Exptime    int64
	HasExptime bool
	Cas        uint64
	Delta      uint64
	// Key is the key as the client sent it, routing prefix included.
	Key []byte
	// Value is the data block of storage commands.
	Value []byte
}

// Reply is a server's (or a route's) answer to a Request.
//
// Value and Msg are borrowed: they are valid only during the OnReply call
// that delivers the Reply. A callback that keeps a reply must copy them.
type Reply struct {
	Result Result
	Flags  uint64
	Cas    uint64
	// HasCas is set when the server sent a cas unique (gets, gats).
	HasCas bool
	// Number is the new value after incr/decr (Result ResFound).
	Number uint64
	// Value is the data of a get-like hit.
	Value []byte
	// Msg is the error message of an error result (empty: the canned text
	// for the result is used on the wire).
	Msg []byte
}

// Callback receives the reply to a Send.
type Callback interface {
	// OnReply is called exactly once per Send, on the event loop that called
	// Send, possibly before Send returns (for instant errors). rep and its
	// slices are valid only during the call.
	OnReply(rep *Reply)
}

// Error replies with mcrouter's wording (mcrouter-behaviour.md §5.4).
var (
	msgReplyTimeout = []byte("Reply timeout")
	msgConnTimeout  = []byte("Timed out when trying to connect to server. Ex: AsyncSocketException: connect timed out, type = Timed out")
	msgConnRefused  = []byte("AsyncSocketException: connect failed, type = Socket not open, errno = 111 (Connection refused)")
	msgConnClosed   = []byte("AsyncSocketException: Network error, type = End of file")
	msgBadReply     = []byte("Failed to parse reply from server")
	msgBusy         = []byte("307 busy")
	msgShutdown     = []byte("Connection closed: mcroute is shutting down")
)
