package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// KeyPattern is how a connection picks key numbers, after memtier_benchmark's
// --key-pattern letters.
type KeyPattern byte

// The key patterns.
const (
	// PatternRandom: uniform over [KeyMin, KeyMax].
	PatternRandom KeyPattern = 'R'
	// PatternGaussian: normal around KeyMedian with KeyStddev (defaults: the
	// middle of the range and a sixth of its width), clamped to the range.
	PatternGaussian KeyPattern = 'G'
	// PatternSequential: each connection walks the whole range in order,
	// wrapping, starting at its own offset so connections are not in
	// lockstep.
	PatternSequential KeyPattern = 'S'
	// PatternParallel: the range is split into one slice per connection and
	// each connection walks its own slice in order, wrapping; with Requests
	// set to the slice size every key is visited exactly once (a preload).
	PatternParallel KeyPattern = 'P'
)

// ParseKeyPattern parses memtier's "SET:GET" form, e.g. "R:R" or "P:R".
func ParseKeyPattern(s string) (set, get KeyPattern, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok || len(a) != 1 || len(b) != 1 {
		return 0, 0, fmt.Errorf("key pattern %q: want SET:GET, each one of R, G, S, P", s)
	}
	set, get = KeyPattern(a[0]), KeyPattern(b[0])
	for _, p := range []KeyPattern{set, get} {
		switch p {
		case PatternRandom, PatternGaussian, PatternSequential, PatternParallel:
		default:
			return 0, 0, fmt.Errorf("key pattern %q: %q is not one of R, G, S, P", s, p)
		}
	}
	return set, get, nil
}

// keyGen yields key numbers for one connection. It is owned by the
// connection's sending goroutine and never allocates.
type keyGen struct {
	pattern        KeyPattern
	min, max       int64
	lo, hi, next   int64 // S and P: the walked range and the next key
	median, stddev float64
	rng            *rand.Rand
}

// newKeyGen builds the generator for connection conn of conns.
func newKeyGen(p KeyPattern, min, max int64, median, stddev float64, conn, conns int, rng *rand.Rand) keyGen {
	g := keyGen{pattern: p, min: min, max: max, lo: min, hi: max, rng: rng}
	span := max - min + 1
	switch p {
	case PatternGaussian:
		g.median, g.stddev = median, stddev
		if g.median == 0 {
			g.median = float64(min) + float64(max-min)/2
		}
		if g.stddev == 0 {
			g.stddev = float64(max-min) / 6
		}
	case PatternSequential:
		g.next = min + int64(float64(span)*float64(conn)/float64(conns))
	case PatternParallel:
		g.lo = min + int64(float64(span)*float64(conn)/float64(conns))
		g.hi = min + int64(float64(span)*float64(conn+1)/float64(conns)) - 1
		if g.hi < g.lo { // more connections than keys
			g.lo = min + int64(conn)%span
			g.hi = g.lo
		}
		g.next = g.lo
	}
	return g
}

// Next returns the next key number.
func (g *keyGen) Next() int64 {
	switch g.pattern {
	case PatternGaussian:
		v := math.Round(g.rng.NormFloat64()*g.stddev + g.median)
		if v < float64(g.min) {
			return g.min
		}
		if v > float64(g.max) {
			return g.max
		}
		return int64(v)
	case PatternSequential, PatternParallel:
		k := g.next
		g.next++
		if g.next > g.hi {
			g.next = g.lo
		}
		return k
	default:
		return g.min + g.rng.Int64N(g.max-g.min+1)
	}
}

// sliceLen is how many keys a P connection walks before it wraps.
func (g *keyGen) sliceLen() int64 { return g.hi - g.lo + 1 }
