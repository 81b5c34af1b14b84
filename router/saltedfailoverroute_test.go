package router

import (
	"strings"
	"testing"
)

func TestSaltedFailoverRouteBuild(t *testing.T) {
	pools := `"pools":{"A":{"servers":["127.0.0.1:1","127.0.0.1:2","127.0.0.1:3"]}},`
	c, err := Build("", []byte(`{`+pools+`"route":{"type":"SaltedFailoverRoute","pool":"A",
		"hash":{"hash_func":"Ch3","salt":"s"},
		"failover_policy":{"type":"DeterministicOrderPolicy","max_tries":3,"max_error_tries":3}}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Root.(*rootRoute).def
	fr, ok := h.(*failoverRoute)
	if !ok {
		t.Fatalf("built %s", h.Name())
	}
	// [PoolRoute|A (salted hash, asynclog), Pool|A servers...]
	if len(fr.children) != 4 || fr.policy != policyDeterministic || fr.normal == nil {
		t.Fatalf("children %d, policy %v, normal %v", len(fr.children), fr.policy, fr.normal)
	}
	if n := fr.normal.Name(); n != "selection|hash|Ch3|salt=s" && !strings.Contains(n, "salt=s") {
		t.Errorf("normal route %q has no salt", n)
	}
	for i, d := range fr.children[1:] {
		if !strings.Contains(d.Name(), "|id="+string(rune('0'+i))+"|") {
			t.Errorf("failover child %d is %s", i+1, d.Name())
		}
	}
	for _, tc := range []struct{ cfg, want string }{
		{`{"type":"SaltedFailoverRoute"}`, "pool needs to be either a string or an object"},
		{`{"type":"SaltedFailoverRoute","pool":"A","shadows":{}}`, "shadows must be an array."},
		{`{"type":"SaltedFailoverRoute","pool":"A","shadow_policy":1}`, "shadow_policy must be a string."},
		{`{"type":"SaltedFailoverRoute","pool":"Nope"}`, "Nope"},
	} {
		if got := buildErr(t, `{`+pools+`"route":`+tc.cfg+`}`); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %q", tc.cfg, got, tc.want)
		}
	}
}
