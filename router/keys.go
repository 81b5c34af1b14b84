package router

import (
	"bytes"

	"mcroute/codec/mc"
)

// RoutingPrefixLen returns the length of key's routing prefix
// ("/region/cluster/"), or 0 when it has none: a key has a routing prefix
// only if it starts with '/' and contains two more '/' (mcrouter-behaviour.md
// §1.6).
func RoutingPrefixLen(key []byte) int {
	if len(key) == 0 || key[0] != '/' {
		return 0
	}
	i := bytes.IndexByte(key[1:], '/')
	if i < 0 {
		return 0
	}
	j := bytes.IndexByte(key[i+2:], '/')
	if j < 0 {
		return 0
	}
	return i + 2 + j + 1
}

var hashStop = []byte("|#|")

// RoutingKey returns the part of key that is hashed: the key without its
// routing prefix, up to (excluding) the first "|#|". The result aliases key.
func RoutingKey(key []byte) []byte {
	k := key[RoutingPrefixLen(key):]
	if i := bytes.Index(k, hashStop); i >= 0 {
		return k[:i]
	}
	return k
}

// routingKeyOf returns the routing key hashing handles use for req: the
// one KeyParseRoute set (req.RoutingKey), else RoutingKey(req.Key).
func routingKeyOf(req *mc.Request) []byte {
	if req.RoutingKey != nil {
		return req.RoutingKey
	}
	return RoutingKey(req.Key)
}
