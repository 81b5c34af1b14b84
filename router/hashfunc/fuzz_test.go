package hashfunc

import "testing"

// FuzzFurc checks furc's invariants on arbitrary keys and pool sizes: the
// index is below m, growing the pool by one moves a key only to the new
// bucket, and the Func forms agree with the raw functions.
func FuzzFurc(f *testing.F) {
	f.Add([]byte("sample"), uint32(100), "")
	f.Add([]byte(""), uint32(8388608), "s1")
	f.Add([]byte("foo:3:bar"), uint32(5), "x")
	f.Add(make([]byte, 700), uint32(4294967295), "salt")
	f.Fuzz(func(t *testing.T, key []byte, m uint32, salt string) {
		got := Furc(key, m)
		if m > 1 && got >= m || m <= 1 && got != 0 {
			t.Fatalf("Furc(%q, %d) = %d", key, m, got)
		}
		if m < 1<<32-1 {
			if next := Furc(key, m+1); next != got && next != m {
				t.Fatalf("Furc(%q, %d) = %d, Furc(m+1) = %d", key, m, got, next)
			}
		}
		n := int(m%1000) + 1 // small: WeightedCh3 keeps n weights
		salted := AppendSalted(nil, key, salt)
		for _, name := range []string{NameCh3, NameConstShard, NameCrc32, NameWeightedCh3} {
			fn, err := New(name, n, Options{Salt: salt, Weights: []float64{0.3, 0.9}})
			if err != nil {
				t.Fatal(err)
			}
			idx := fn.Index(key)
			var want int
			switch name {
			case NameCh3:
				want = Ch3(salted, n)
			case NameConstShard:
				want = ConstShard(salted, n)
			case NameCrc32:
				want = Crc32(salted, n)
			case NameWeightedCh3:
				w := make([]float64, n)
				for i := range w {
					w[i] = 0.5
				}
				copy(w, []float64{0.3, 0.9})
				want = WeightedCh3(salted, w)
			}
			if idx != want || idx < 0 || idx >= n {
				t.Fatalf("%s n=%d salt %q: Index = %d, raw = %d", name, n, salt, idx, want)
			}
		}
	})
}
