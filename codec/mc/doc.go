// Package mc is mcroute's vocabulary: the words every layer speaks and no
// layer owns. Op names a command, Request is one single-key request as it
// travels from the engine through the route tree to a server, Reply is its
// answer, Result classifies that answer the way mcrouter's carbon::Result
// does, and Callback is how an answer comes back.
//
// The types are protocol-neutral: nothing here assumes the ASCII protocol.
// Fields that only the meta and binary protocols fill (Opaque, Quiet,
// Base64Key, MetaFlags) are carried through untouched.
//
// # What it must not do
//
// mc holds types and pure functions only: no parsing, no encoding, no
// sockets, no routing, no state. It imports nothing of mcroute, so that
// codec, router, upstream and engine can all depend on it without cycles.
//
// # Lifetimes and goroutines
//
// A Request's slices belong to whoever built it and stay valid until its
// Callback is answered; a Reply's slices are valid only during OnReply.
// Callbacks run on the event loop that sent the request.
package mc
