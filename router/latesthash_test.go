package router

import (
	"strings"
	"testing"
)

// hash_func "Latest" in a HashRoute or a PoolRoute's hash object makes a
// LatestRoute (a failover over the picked children), as in mcrouter.
func TestHashFuncLatest(t *testing.T) {
	pool := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2","127.0.0.1:3"]}}`
	for _, cfg := range []string{
		`{` + pool + `,"route":{"type":"HashRoute","children":"Pool|A","hash_func":"Latest","failover_count":2}}`,
		`{` + pool + `,"route":{"type":"PoolRoute","pool":"A","hash":{"hash_func":"Latest","failover_count":2}}}`,
		`{` + pool + `,"route":{"type":"PoolRoute","pool":"A","hash":"Latest"}}`,
	} {
		h := built(t, cfg)
		if !strings.HasPrefix(h.Name(), "failover") {
			t.Errorf("%s: built %s, want a failover route", cfg, h.Name())
		}
	}
}
