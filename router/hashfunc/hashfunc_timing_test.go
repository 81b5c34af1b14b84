package hashfunc

import (
	"strconv"
	"testing"
)

// Short keys, as routing keys usually are.
var benchKeys = func() [][]byte {
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte("user:" + strconv.Itoa(i*7919) + ":profile")
	}
	return keys
}()

func benchIndex(b *testing.B, fn func(key []byte) int) {
	b.ReportAllocs()
	sink := 0
	for i := 0; b.Loop(); i++ {
		sink += fn(benchKeys[i&1023])
	}
	_ = sink
}

func BenchmarkFurc(b *testing.B) {
	for _, m := range []uint32{10, 1000, 100000, MaxCh3PoolSize, 1<<32 - 1} {
		b.Run("m="+strconv.FormatUint(uint64(m), 10), func(b *testing.B) {
			benchIndex(b, func(k []byte) int { return int(Furc(k, m)) })
		})
	}
}

func BenchmarkMurmur64A(b *testing.B) {
	benchIndex(b, func(k []byte) int { return int(Murmur64A(k, furcSeed)) })
}

func BenchmarkSpookyHash32(b *testing.B) {
	benchIndex(b, func(k []byte) int { return int(SpookyHash32(k, 0)) })
}

func BenchmarkFuncIndex(b *testing.B) {
	weights := make([]float64, 100)
	for i := range weights {
		weights[i] = float64(i%10+1) / 10
	}
	tags := rendezvousTags(100)
	for _, c := range []struct {
		name string
		opts Options
	}{
		{NameCh3, Options{}},
		{NameCh3, Options{Salt: "s1"}},
		{NameCrc32, Options{}},
		{NameWeightedCh3, Options{Weights: weights}},
		{NameWeightedCh3, Options{Weights: weights, Salt: "s1"}},
		{NameConstShard, Options{}},
		{NameRendezvous, Options{Tags: tags}},
		{NameWeightedRendezvous, Options{Tags: tags, Weights: weights}},
	} {
		f := mustNew(b, c.name, 100, c.opts)
		b.Run(f.String()+"/n=100", func(b *testing.B) { benchIndex(b, f.Index) })
	}
}

func BenchmarkCrc32(b *testing.B) {
	benchIndex(b, func(k []byte) int { return Crc32(k, 100) })
}

func BenchmarkWeightedCh3(b *testing.B) {
	for _, w := range []float64{1.0, 0.5, 0.1} {
		weights := make([]float64, 100)
		for i := range weights {
			weights[i] = w
		}
		b.Run("w="+strconv.FormatFloat(w, 'g', -1, 64), func(b *testing.B) {
			benchIndex(b, func(k []byte) int { return WeightedCh3(k, weights) })
		})
	}
}
