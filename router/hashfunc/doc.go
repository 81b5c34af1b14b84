// Package hashfunc implements mcrouter's key hash functions, bit for bit:
// MurmurHash64A, furc_hash (Ch3), Crc32, SpookyHash V2, WeightedCh3,
// ConstShard, Rendezvous and WeightedRendezvous. Given the same routing key,
// salt, pool size, weights and tags, every function here picks the same index
// as mcrouter does, so an existing mcrouter config maps each key to the same
// server under mcroute. The golden vectors in testdata/hash-vectors.json come
// from mcrouter's own tests and guard this.
//
// What it owns:
//   - pure functions from bytes to a number or an index, and
//   - [Func], the compiled form of a `hash_func` config node (name, pool size,
//     salt, weights, tags), checked once by [New] at config time and then used
//     on the hot path through [Func.Index].
//
// What it must not do:
//   - no I/O, no logging, no clocks, no randomness, no global mutable state;
//   - no routing: it does not strip routing prefixes or `|#|` suffixes (the
//     caller passes the routing key), never picks a child route, and never
//     turns an index into a reply. Pseudo hash functions that are really
//     routing decisions (`Latest`, `LoadBalancer`, and `WeightedCh3Rv` with its
//     runtime-vars weights) belong to the router, not here;
//   - no allocation on the hot path: Furc, Ch3, Crc32, WeightedCh3,
//     Rendezvous and Func.Index do not allocate for routing keys of ordinary
//     size (key plus salt up to 512 bytes); tests assert it.
//
// Every function is safe for concurrent use; a *Func is immutable after New.
package hashfunc
