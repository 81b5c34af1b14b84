//go:build !race

package hashfunc

import (
	"strings"
	"testing"
)

// The race detector allocates on its own, so these run without -race only.

func TestZeroAllocs(t *testing.T) {
	key := []byte("user:12345:profile")
	long := []byte(strings.Repeat("k", 400))
	tags := rendezvousTags(10)
	weights := []float64{0.3, 0.1, 0.05, 0.2, 0.1, 0.4, 0, 0.3, 0.2, 0.1}
	funcs := []*Func{
		mustNew(t, NameCh3, 100, Options{Salt: "s1"}),
		mustNew(t, NameCh3, 100, Options{}),
		mustNew(t, NameCrc32, 100, Options{Salt: "salt"}),
		mustNew(t, NameWeightedCh3, 10, Options{Salt: "s1", Weights: weights}),
		mustNew(t, NameConstShard, 100, Options{Salt: "s1"}),
		mustNew(t, NameRendezvous, 10, Options{Salt: "s1", Tags: tags}),
		mustNew(t, NameWeightedRendezvous, 10, Options{Salt: "s1", Tags: tags, Weights: weights}),
	}
	cases := map[string]func(){
		"Furc":               func() { Furc(key, 1000) },
		"Furc max m":         func() { Furc(key, 1<<32-1) },
		"Ch3":                func() { Ch3(key, MaxCh3PoolSize) },
		"Crc32":              func() { Crc32(key, 100) },
		"WeightedCh3":        func() { WeightedCh3(key, weights) },
		"WeightedCh3 long":   func() { WeightedCh3(long, weights) },
		"SpookyHash32":       func() { SpookyHash32(long, 0) },
		"Rendezvous":         func() { funcs[5].Index(key) },
		"WeightedRendezvous": func() { funcs[6].Index(key) },
	}
	for _, f := range funcs {
		f := f
		cases["Func "+f.String()] = func() { f.Index(key) }
		cases["Func long "+f.String()] = func() { f.Index(long) }
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(200, fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}
