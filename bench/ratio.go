package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Ratio is memtier's --ratio=SET:GET: how many sets per how many gets.
type Ratio struct {
	Sets, Gets int
}

// ParseRatio parses "SET:GET", e.g. "1:10", "1:0" (sets only), "0:1".
func ParseRatio(s string) (Ratio, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return Ratio{}, fmt.Errorf("ratio %q: want SET:GET, e.g. 1:10", s)
	}
	sets, err1 := strconv.Atoi(a)
	gets, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || sets < 0 || gets < 0 || sets+gets == 0 || sets+gets > 1_000_000 {
		return Ratio{}, fmt.Errorf("ratio %q: want two non-negative integers, not both 0, summing to at most 1000000", s)
	}
	return Ratio{Sets: sets, Gets: gets}, nil
}

func (r Ratio) String() string { return strconv.Itoa(r.Sets) + ":" + strconv.Itoa(r.Gets) }

// ratioSched decides, request by request, whether the next one is a set.
// Over every period of Sets+Gets requests it issues exactly Sets sets, spread
// as evenly as the integers allow and starting with a set (so with 1:10 the
// first request writes what later gets read).
type ratioSched struct {
	sets, period, i int
}

func newRatioSched(r Ratio) ratioSched { return ratioSched{sets: r.Sets, period: r.Sets + r.Gets} }

func (s *ratioSched) nextIsSet() bool {
	set := (s.i*s.sets)%s.period < s.sets
	s.i++
	if s.i == s.period {
		s.i = 0
	}
	return set
}
