package mc

import "net/netip"

// Request is one single-key request on its way to a server: what the
// engine builds from a parsed client command (one Request per key of a
// multi-key get), what route handles pass down the tree, and what an
// upstream protocol encodes. It says nothing about the wire: the ASCII,
// meta and binary protocols all map onto it.
//
// Slices are owned by whoever built the Request and must stay valid until
// the Callback given with it is answered; a route or upstream that needs
// them later copies them.
type Request struct {
	Op         Op
	Flags      uint64
	Exptime    int64
	HasExptime bool
	Cas        uint64
	Delta      uint64
	// Key is the key as the client sent it, routing prefix included,
	// decoded (a base64 key of the meta protocol is carried decoded, with
	// Base64Key set so that a reply can encode it again).
	Key []byte
	// Value is the data block of storage commands.
	Value []byte

	// Opaque is the client's token to echo in the reply (meta O flag,
	// binary opaque); nil when the client sent none. mcroute's own
	// matching of replies to requests never relies on it.
	Opaque []byte
	// Quiet: the client wants no reply unless the result is a failure or
	// a hit (meta q flag, binary quiet opcodes). Noreply commands of the
	// text protocol are quiet for every result; the engine handles both.
	Quiet bool
	// Base64Key: the client sent Key base64-encoded (meta b flag).
	Base64Key bool
	// MetaFlags are the client's meta flags that route handles pass
	// through untouched (raw, space separated); nil for text and binary.
	MetaFlags []byte
	// Shadow marks a copy sent by a shadow (ShadowRoute, PoolRoute
	// "shadows"): its reply is discarded, destinations drop it past
	// --target-max-shadow-requests pending, and it must never be spooled
	// to the asynclog. Copies made of a shadow request stay shadows.
	Shadow bool
	// RoutingKey, when not nil, replaces the routing key hashing handles
	// derive from Key (key without routing prefix, cut at "|#|"): set by
	// KeyParseRoute for the handles below it. It aliases Key or a buffer
	// of the handle that set it, and is valid as long as Key.
	RoutingKey []byte
	// ClientIP is the client's source address (IPv4 unmapped), set by the
	// engine with --retain-source-ip; invalid (the zero Addr) otherwise.
	// OriginalClientHashRoute hashes it.
	ClientIP netip.Addr
}

// Reply is a server's, or a route handle's, answer to a Request.
//
// Value, Msg and Opaque are borrowed: they are valid only during the
// OnReply call that delivers the Reply. A callback that keeps a reply must
// copy them.
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
	// for the result is used on the wire), or the text of a VERSION reply.
	Msg []byte
	// Opaque echoes Request.Opaque.
	Opaque []byte
}

// Callback receives the reply to a Request sent down a route or to a
// server.
type Callback interface {
	// OnReply is called exactly once per send, on the event loop that
	// sent, possibly before the send returns (for instant errors). rep and
	// its slices are valid only during the call.
	OnReply(rep *Reply)
}
