package router

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzBuild: any config text either builds or fails with an error; it
// never panics and never hangs. Seeds: the testdata configs and a few
// handles in every form.
func FuzzBuild(f *testing.F) {
	for _, glob := range []string{"../testdata/*.json", "jsonm/testdata/spec/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		`{"pools":{"A":{"servers":["127.0.0.1:1","[::1]:2"]}},"route":"PoolRoute|A"}`,
		`{"pools":{"A":{"servers":["h:1"],"weights":[0]}},"routes":[{"aliases":["/a/b/","/*/c/"],"route":{"type":"FailoverRoute","children":["PoolRoute|A","ErrorRoute|x"]}}]}`,
		`{"named_handles":{"x":"NullRoute"},"route":{"type":"AllMajorityRoute","children":["x","x",{"type":"ModifyKeyRoute","target":"x","set_routing_prefix":"/a/b/"}]}}`,
		`{"route":{"type":"OperationSelectorRoute","operation_policies":{"get":"NullRoute"},"default_policy":{"type":"LatencyInjectionRoute","child":"NullRoute","before_latency_ms":1}}}`,
		`{"route":{"type":"PrefixSelectorRoute","policies":{"a":"NullRoute"},"wildcard":"ErrorRoute"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		cfg, err := Build("fuzz.json", text, Options{
			DefaultRoute: "/a/b/",
			// Imports resolve against nothing: fuzz input cannot read files.
			ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist },
		})
		if err == nil && cfg.Root == nil {
			t.Fatal("built a config without a root")
		}
	})
}
