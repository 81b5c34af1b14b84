package router

import (
	"fmt"
	"strings"
	"testing"

	"mcroute/router/hashfunc"
)

// leafIndex returns the index (in servers "127.0.0.1:<1000+i>") of the
// destination h sends key to.
func leafIndex(t *testing.T, h Handle, key string) int {
	t.Helper()
	idx := -1
	h.Traverse(req("get", key), 0, func(h Handle, d int) {
		if dst, ok := h.(*destination); ok {
			idx = dst.srv.Port - 1000
		}
	})
	if idx < 0 {
		t.Fatalf("no destination for %q", key)
	}
	return idx
}

func servers(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf(`"127.0.0.1:%d"`, 1000+i)
	}
	return "[" + strings.Join(s, ",") + "]"
}

func tags(n int) ([]string, string) {
	s := make([]string, n)
	q := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("shard%d", i)
		q[i] = `"` + s[i] + `"`
	}
	return s, "[" + strings.Join(q, ",") + "]"
}

// TestHashRouteFuncs: every hash_func hashfunc supports, configured
// through HashRoute's JSON (and PoolRoute's "hash"), picks the server the
// function itself picks for the routing key (+ salt).
func TestHashRouteFuncs(t *testing.T) {
	const n = 5
	tagList, tagJSON := tags(n)
	weights := []float64{0.3, 1, 0, 0.8, 0.5}
	pool := `"pools":{"A":{"servers":` + servers(n) + `}}`
	cases := []struct {
		name  string
		route string
		fn    string
		opts  hashfunc.Options
	}{
		{"default Ch3", `"HashRoute|Pool|A"`, "Ch3", hashfunc.Options{}},
		{"Ch3 salt", `{"type":"HashRoute","children":"Pool|A","salt":"s1"}`, "Ch3", hashfunc.Options{Salt: "s1"}},
		{"Crc32", `{"type":"HashRoute","children":"Pool|A","hash_func":"Crc32"}`, "Crc32", hashfunc.Options{}},
		{"Crc32 salt", `{"type":"HashRoute","children":"Pool|A","hash_func":"Crc32","salt":"xyz"}`, "Crc32", hashfunc.Options{Salt: "xyz"}},
		{"ConstShard", `{"type":"HashRoute","children":"Pool|A","hash_func":"ConstShard"}`, "ConstShard", hashfunc.Options{}},
		{"WeightedCh3", `{"type":"HashRoute","children":"Pool|A","hash_func":"WeightedCh3","weights":[0.3,1,0,0.8,0.5]}`, "WeightedCh3", hashfunc.Options{Weights: weights}},
		{"WeightedCh3 missing weights", `{"type":"HashRoute","children":"Pool|A","hash_func":"WeightedCh3","weights":[1,1]}`, "WeightedCh3", hashfunc.Options{Weights: []float64{1, 1}}},
		{"Rendezvous", `{"type":"HashRoute","children":"Pool|A","hash_func":"Rendezvous","tags":` + tagJSON + `}`, "Rendezvous", hashfunc.Options{Tags: tagList}},
		{"WeightedRendezvous", `{"type":"HashRoute","children":"Pool|A","hash_func":"WeightedRendezvous","tags":` + tagJSON + `,"weights":[0.3,1,0,0.8,0.5]}`, "WeightedRendezvous", hashfunc.Options{Tags: tagList, Weights: weights}},
		{"PoolRoute hash string", `{"type":"PoolRoute","pool":"A","hash":"Crc32"}`, "Crc32", hashfunc.Options{}},
		{"PoolRoute hash object", `{"type":"PoolRoute","pool":"A","hash":{"hash_func":"ConstShard","salt":"q"}}`, "ConstShard", hashfunc.Options{Salt: "q"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := built(t, `{`+pool+`,"route":`+tc.route+`}`)
			fn, err := hashfunc.New(tc.fn, n, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			hits := make([]int, n)
			for i := 0; i < 2000; i++ {
				key := fmt.Sprintf("key:%d:%d", i%7, i)
				if i%3 == 0 {
					key = "/r/c/" + key + "|#|suffix" // hashed: routing key only
				}
				got := leafIndex(t, h, key)
				if want := fn.Index(RoutingKey([]byte(key))); got != want {
					t.Fatalf("%q → server %d, %s says %d", key, got, tc.fn, want)
				}
				hits[got]++
			}
			if tc.fn == "WeightedCh3" || tc.fn == "WeightedRendezvous" {
				if len(tc.opts.Weights) > 2 && tc.opts.Weights[2] == 0 && hits[2] != 0 {
					t.Errorf("weight-0 server got %d keys", hits[2])
				}
			}
		})
	}
}

// TestPoolWeightZero: a pool with "weights" switches PoolRoute to
// WeightedCh3; a server of weight 0 never gets a key.
func TestPoolWeightZero(t *testing.T) {
	h := built(t, `{"pools":{"A":{"servers":`+servers(4)+`,"weights":[1,0,1,0.5]}},"route":"PoolRoute|A"}`)
	fn, _ := hashfunc.New("WeightedCh3", 4, hashfunc.Options{Weights: []float64{1, 0, 1, 0.5}})
	hits := make([]int, 4)
	for i := 0; i < 10000; i++ {
		key := fmt.Sprintf("user:%d", i)
		got := leafIndex(t, h, key)
		if want := fn.Index([]byte(key)); got != want {
			t.Fatalf("%q → %d, WeightedCh3 says %d", key, got, want)
		}
		hits[got]++
	}
	if hits[1] != 0 {
		t.Errorf("weight-0 server got %d of 10000 keys", hits[1])
	}
	for _, i := range []int{0, 2, 3} {
		if hits[i] < 1000 {
			t.Errorf("server %d got only %d keys: %v", i, hits[i], hits)
		}
	}
	// Salted, in the route's "hash" object.
	h = built(t, `{"pools":{"A":{"servers":`+servers(3)+`,"weights":[0,1,1]}},"route":{"type":"PoolRoute","pool":"A","hash":{"salt":"x"}}}`)
	for i := 0; i < 2000; i++ {
		if leafIndex(t, h, fmt.Sprintf("k%d", i)) == 0 {
			t.Fatalf("weight-0 server got k%d", i)
		}
	}
}

func TestHashRouteBuildErrors(t *testing.T) {
	pool := `"pools":{"A":{"servers":` + servers(3) + `}}`
	for _, tc := range []struct{ route, want string }{
		{`{"type":"HashRoute","children":"Pool|A","hash_func":"Md5"}`, "Unknown hash function: Md5"},
		{`{"type":"HashRoute","children":"Pool|A","hash_func":"Rendezvous"}`, "tags"},
		{`{"type":"HashRoute","children":"Pool|A","hash_func":"WeightedCh3","weights":[2]}`, "weights"},
		{`{"type":"HashRoute","children":"Pool|A","salt":7}`, "salt"},
	} {
		msg := buildErr(t, `{`+pool+`,
"route":`+tc.route+`}`)
		if !strings.Contains(msg, "t.json:2") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want line 2 and %q", tc.route, msg, tc.want)
		}
	}
	if got := built(t, `{"route":{"type":"HashRoute","children":[]}}`).Name(); !strings.HasPrefix(got, "error|") {
		t.Errorf("empty HashRoute built %s, want an ErrorRoute", got)
	}
}
