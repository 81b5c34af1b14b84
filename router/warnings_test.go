package router

import (
	"strings"
	"testing"
)

// Config that mcrouter acts on and mcroute does not yet is served without
// it, and each such field is reported with its file and line.
func TestUnsupportedFieldsWarn(t *testing.T) {
	cfg, err := Build("w.json", []byte(`{
  "pools": {"A": {"servers": ["127.0.0.1:1"], "security_mech": "plain", "qos": {"class": 1}}},
  "route": {"type": "PoolRoute", "pool": "A",
    "split_shard_fanout": 2}
}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(cfg.Warnings, "\n")
	for _, want := range []string{
		`w.json:2: Pool A: "qos" is not supported yet and is ignored`,
		`w.json:4: PoolRoute: "split_shard_fanout" is not supported yet and is ignored`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "security_mech") {
		t.Errorf("plain security_mech is supported: %q", got)
	}
}

func TestRoutingChangingFieldsRefused(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"pools": {"A": {"servers": ["127.0.0.1:1"], "security_mech": "fizz"}}, "route": "PoolRoute|A"}`, "security_mech"},
		{`{"pools": {"A": {"servers": ["127.0.0.1:1:ascii:ktls12"]}}, "route": "PoolRoute|A"}`, "ktls12"},
		{`{"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": {"type": "PoolRoute", "pool": "A", "bucketize": true}}`, "bucketize"},
	} {
		_, err := Build("r.json", []byte(tc.cfg), Options{})
		if err == nil || !strings.Contains(err.Error(), "r.json:1:") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v", tc.cfg, err)
		}
	}
}
