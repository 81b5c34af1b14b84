package hashfunc

import (
	"fmt"
	"hash/crc32"
)

// kind selects the algorithm of a Func. A switch on it, not an interface,
// keeps Index free of dynamic calls and boxing.
type kind uint8

const (
	kindInvalid kind = iota
	kindCh3
	kindCrc32
	kindWeightedCh3
	kindConstShard
	kindRendezvous
	kindWeightedRendezvous
)

// Names of the hash functions New knows; mcrouter spells `hash_func` values
// exactly like this (case-sensitive).
const (
	NameCh3                = "Ch3"
	NameCrc32              = "Crc32"
	NameWeightedCh3        = "WeightedCh3"
	NameConstShard         = "ConstShard"
	NameRendezvous         = "Rendezvous"
	NameWeightedRendezvous = "WeightedRendezvous"
)

var kindNames = [...]string{
	kindCh3:                NameCh3,
	kindCrc32:              NameCrc32,
	kindWeightedCh3:        NameWeightedCh3,
	kindConstShard:         NameConstShard,
	kindRendezvous:         NameRendezvous,
	kindWeightedRendezvous: NameWeightedRendezvous,
}

// DefaultWeight is the weight WeightedCh3 gives a server that has none in
// the config (mcrouter logs "CONFIG IS BROKEN" and uses 0.5).
const DefaultWeight = 0.5

// Options are the parts of a `hash` config node besides `hash_func`.
type Options struct {
	// Salt is appended to the routing key before hashing (`salt`).
	Salt string
	// Weights are the server weights of WeightedCh3 (each in [0, 1]; missing
	// ones default to DefaultWeight, extra ones are ignored) and of
	// WeightedRendezvous (exactly one per tag). Other functions ignore them.
	Weights []float64
	// Tags name the endpoints of Rendezvous and WeightedRendezvous, one per
	// server, in server order. Other functions ignore them.
	Tags []string
}

// UnknownFuncError is returned by New for a `hash_func` name it does not know.
type UnknownFuncError struct {
	Name string
}

func (e *UnknownFuncError) Error() string {
	return "Unknown hash function: " + e.Name
}

// Func is a hash function compiled from config for a pool of n servers: it
// maps a routing key to a server index in [0, n). Build it with New at config
// time; Index is then safe for concurrent use and does not allocate while
// routing key plus salt fit in 512 bytes.
type Func struct {
	kind      kind
	n         int
	m         uint32 // n as furc's m, for Ch3
	salt      string
	saltBytes []byte    // salt, for the incremental CRC-32
	weights   []float64 // WeightedCh3: exactly n; WeightedRendezvous: one per tag
	tagHashes []uint64  // Rendezvous, WeightedRendezvous
	uniform   bool      // WeightedRendezvous: all weights equal and positive
}

// New compiles the hash function called name (mcrouter's `hash_func`) for a
// pool of n servers. It checks everything mcrouter checks at config time:
//   - Ch3, ConstShard and WeightedCh3 need 1 <= n <= MaxCh3PoolSize;
//   - Crc32 needs n >= 1;
//   - WeightedCh3 weights must lie in [0, 1]; the first n are used and a
//     missing one is DefaultWeight;
//   - Rendezvous and WeightedRendezvous need one tag per server, and
//     WeightedRendezvous one weight per tag.
//
// An unknown name gives an *UnknownFuncError.
func New(name string, n int, opts Options) (*Func, error) {
	f := &Func{n: n, salt: opts.Salt, saltBytes: []byte(opts.Salt)}
	switch name {
	case NameCh3:
		f.kind = kindCh3
	case NameCrc32:
		f.kind = kindCrc32
	case NameWeightedCh3:
		f.kind = kindWeightedCh3
	case NameConstShard:
		f.kind = kindConstShard
	case NameRendezvous:
		f.kind = kindRendezvous
	case NameWeightedRendezvous:
		f.kind = kindWeightedRendezvous
	default:
		return nil, &UnknownFuncError{Name: name}
	}

	switch f.kind {
	case kindCh3, kindConstShard, kindWeightedCh3:
		if n < 1 || n > MaxCh3PoolSize {
			return nil, fmt.Errorf("hashfunc: %s: pool size %d out of range [1, %d]", name, n, MaxCh3PoolSize)
		}
		f.m = uint32(n)
	case kindCrc32:
		if n < 1 {
			return nil, fmt.Errorf("hashfunc: %s: pool size %d, want at least 1", name, n)
		}
	case kindRendezvous, kindWeightedRendezvous:
		if n < 1 {
			return nil, fmt.Errorf("hashfunc: %s: pool size %d, want at least 1", name, n)
		}
		if len(opts.Tags) != n {
			return nil, fmt.Errorf("hashfunc: %s: %d tags for %d servers; `tags` needs one per server", name, len(opts.Tags), n)
		}
		f.tagHashes = make([]uint64, n)
		for i, tag := range opts.Tags {
			f.tagHashes[i] = RendezvousTagHash(tag)
		}
	}

	switch f.kind {
	case kindWeightedCh3:
		f.weights = make([]float64, n)
		for i := range f.weights {
			if i >= len(opts.Weights) {
				f.weights[i] = DefaultWeight
				continue
			}
			w := opts.Weights[i]
			if !(w >= 0 && w <= 1) {
				return nil, fmt.Errorf("hashfunc: %s: weights[%d] is %v, want a number in [0, 1]", name, i, w)
			}
			f.weights[i] = w
		}
	case kindWeightedRendezvous:
		if len(opts.Weights) != len(opts.Tags) {
			return nil, fmt.Errorf("hashfunc: %s: %d weights for %d tags; `weights` needs one per tag", name, len(opts.Weights), len(opts.Tags))
		}
		f.weights = append([]float64(nil), opts.Weights...)
		f.uniform = uniformPositive(f.weights)
	}
	return f, nil
}

// Name returns the mcrouter name of the function, e.g. "Ch3".
func (f *Func) Name() string {
	if int(f.kind) < len(kindNames) && f.kind != kindInvalid {
		return kindNames[f.kind]
	}
	return ""
}

// N returns the pool size the function was built for.
func (f *Func) N() int { return f.n }

// Salt returns the salt appended to routing keys ("" when none).
func (f *Func) Salt() string { return f.salt }

// String describes the function the way mcrouter names a hash selector in
// route names: "hash|Ch3", or "hash|Ch3|salt=<salt>".
func (f *Func) String() string {
	if f.salt == "" {
		return "hash|" + f.Name()
	}
	return "hash|" + f.Name() + "|salt=" + f.salt
}

// Index returns the server index in [0, N()) for routingKey (the request key
// without routing prefix and without anything from the first "|#|" on). With
// a salt it hashes routingKey followed by the salt; that copy lives on the
// stack when it fits in 512 bytes. Index does not retain routingKey.
func (f *Func) Index(routingKey []byte) int {
	if f.kind == kindCrc32 {
		// hash/crc32 leaks its argument (it calls through a func variable),
		// so a stack copy would escape; CRC-32 can be continued instead:
		// crc(key‖salt) = Update(crc(key), salt).
		crc := crc32.ChecksumIEEE(routingKey)
		if len(f.saltBytes) > 0 {
			crc = crc32.Update(crc, crc32.IEEETable, f.saltBytes)
		}
		return int(uint64(crc&0x7fffffff) % uint64(f.n))
	}
	if f.salt == "" {
		return f.index(routingKey)
	}
	total := len(routingKey) + len(f.salt)
	if total > saltBufSize {
		return f.index(AppendSalted(make([]byte, 0, total), routingKey, f.salt))
	}
	var buf [saltBufSize]byte
	k := copy(buf[:], routingKey)
	copy(buf[k:], f.salt)
	return f.index(buf[:total])
}

// index hashes key, which may be a stack buffer: nothing here may let it
// escape (Crc32 is handled by Index).
func (f *Func) index(key []byte) int {
	switch f.kind {
	case kindCh3:
		return int(Furc(key, f.m))
	case kindWeightedCh3:
		return WeightedCh3(key, f.weights)
	case kindConstShard:
		if shard, ok := constShardID(key, f.n); ok {
			return shard
		}
		return int(Furc(key, f.m))
	case kindRendezvous:
		return Rendezvous(key, f.tagHashes)
	case kindWeightedRendezvous:
		return weightedRendezvous(key, f.tagHashes, f.weights, f.uniform)
	}
	return 0
}
