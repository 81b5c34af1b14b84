// Package tlsconn will be mcroute's TLS layer, in and out: a listener and
// a dialer that complete crypto/tls handshakes off the event loops, hand
// the kernel the session keys (kTLS) when it supports them, and otherwise
// bridge plaintext into the loop over a socket pair; plus the certificate
// and peer-IP checks of mutual TLS between routers.
//
// It owns TLS only: no protocol parsing, no routing. It is empty until the
// TLS issue is taken up; see ../shared/spec/gnet-and-tls.md §2 for the
// design it will follow.
package tlsconn
