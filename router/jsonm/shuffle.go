package jsonm

import "errors"

// Seeded @shuffle must give the order mcrouter gives, so this is
// std::shuffle(first, last, std::minstd_rand(seed)) as libstdc++ (GCC 10
// and later) implements it, with its uniform_int_distribution.

// minstd is std::minstd_rand: x = x * 48271 mod (2^31 - 1).
type minstd struct{ x uint64 }

const (
	minstdM   = 2147483647
	minstdMin = 1
	minstdMax = minstdM - 1
)

func newMinstd(seed uint32) *minstd {
	x := uint64(seed) % minstdM
	if x == 0 {
		x = 1
	}
	return &minstd{x: x}
}

func (g *minstd) next() uint64 {
	g.x = g.x * 48271 % minstdM
	return g.x
}

// uniform is libstdc++'s uniform_int_distribution<unsigned long>{a, b}(g)
// for a generator whose range (max-min) is not 2^32-1: down-scaling with
// rejection.
func (g *minstd) uniform(a, b uint64) (uint64, error) {
	const urngRange = minstdMax - minstdMin
	urange := b - a
	switch {
	case urngRange > urange:
		erange := urange + 1
		scaling := urngRange / erange
		past := erange * scaling
		var r uint64
		for {
			r = g.next() - minstdMin
			if r < past {
				break
			}
		}
		return a + r/scaling, nil
	case urngRange == urange:
		return a + g.next() - minstdMin, nil
	}
	return 0, errors.New("array too large to shuffle")
}

// stdShuffle is libstdc++'s std::shuffle, which draws two swap positions
// from one random number while the range allows.
func stdShuffle(s []*Value, g *minstd) error {
	n := uint64(len(s))
	if n == 0 {
		return nil
	}
	const urngRange = minstdMax - minstdMin
	if urngRange/n >= n {
		i := uint64(1)
		if n%2 == 0 {
			j, err := g.uniform(0, 1)
			if err != nil {
				return err
			}
			s[i], s[j] = s[j], s[i]
			i++
		}
		for i != n {
			swapRange := i + 1
			// __gen_two_uniform_ints(swapRange, swapRange+1, g)
			x, err := g.uniform(0, swapRange*(swapRange+1)-1)
			if err != nil {
				return err
			}
			p1, p2 := x/(swapRange+1), x%(swapRange+1)
			s[i], s[p1] = s[p1], s[i]
			i++
			s[i], s[p2] = s[p2], s[i]
			i++
		}
		return nil
	}
	for i := uint64(1); i < n; i++ {
		j, err := g.uniform(0, i)
		if err != nil {
			return err
		}
		s[i], s[j] = s[j], s[i]
	}
	return nil
}
