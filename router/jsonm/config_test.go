package jsonm

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestMultiClusterConfig preprocesses a realistic config: macros building
// prefix routes for two regions, pools from an @import of a second file
// that uses the main file's macros and the --config-params, a missing
// optional import, vars and the built-in global params. The result is
// compared with testdata/multicluster/want.json (go test -update rewrites
// it).
func TestMultiClusterConfig(t *testing.T) {
	const dir = "testdata/multicluster/"
	data, err := os.ReadFile(dir + "config.json")
	if err != nil {
		t.Fatal(err)
	}
	root, err := Parse(dir+"config.json", data)
	if err != nil {
		t.Fatal(err)
	}
	imported := map[string]string{}
	out, err := Preprocess(root, Options{
		Globals: Globals{
			DefaultRoute: "/east/a/",
			ConfigParams: map[string]string{"memcached-port": "11211"},
		}.Params(),
		Load:     FileLoader(dir+"config.json", os.ReadFile),
		Imported: imported,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := append(out.Marshal(true, true), '\n')
	if *update {
		if err := os.WriteFile(dir+"want.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(dir + "want.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("preprocessed config differs from want.json:\n%s", got)
	}

	if len(imported) != 1 || imported[dir+"pools.json"] == "" {
		t.Errorf("Imported = %v, want pools.json only", imported)
	}

	// Positions: values built by macros name the macro body and the call
	// that produced them; imported values name the imported file.
	policy := out.Get("routes").Index(1).Get("route").Get("default_policy")
	if w := policy.Where(); w != dir+"config.json:58 (via "+dir+"config.json:82)" {
		t.Errorf("default_policy at %s", w)
	}
	server := out.Get("pools").Get("east.a").Get("servers").Index(2)
	if w := server.Where(); w != dir+"config.json:12 (via "+dir+"config.json:70)" {
		t.Errorf("east.a server at %s", w)
	}
	if w := out.Get("pools").Get("west.a").Get("weights").Where(); w != dir+"pools.json:7 (via "+dir+"config.json:70)" {
		t.Errorf("west.a weights at %s", w)
	}
}

// TestSpecExamples preprocesses the example configs of the behaviour
// spec §1.8 (verbatim from mcrouter/test/): configs without macros come
// out unchanged, and the macro-built routes of the fallback example are
// what mcrouter builds.
func TestSpecExamples(t *testing.T) {
	load := func(name string) *Value {
		data, err := os.ReadFile("testdata/spec/" + name)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, name := range []string{"mcrouter_test_basic_2_1_1.json", "test_named_handles_obj.json"} {
		in := load(name)
		out, err := Preprocess(in, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := string(out.Marshal(true, false)), string(in.Marshal(true, false)); got != want {
			t.Errorf("%s changed:\n%s", name, got)
		}
	}

	out, err := Preprocess(load("routing_prefix_test_fallback_route.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Parse("want", []byte(`[
		{"aliases": ["/a/a/"], "route": "PoolRoute|aa"},
		{"aliases": ["/a/b/"], "route": "PoolRoute|ab"},
		{"aliases": ["/a/fallback/"], "route": "PoolRoute|aa"},
		{"aliases": ["/b/a/"], "route": "PoolRoute|ba"},
		{"aliases": ["/b/b/"], "route": "PoolRoute|bb"},
		{"aliases": ["/b/fallback/"], "route": "PoolRoute|ba"}]`))
	if !out.Get("routes").Equal(want) {
		t.Errorf("routes = %s", out.Get("routes").Marshal(false, false))
	}
	if out.Get("macros") != nil || out.Get("pools").Len() != 4 {
		t.Errorf("output = %s", out.Marshal(false, false))
	}
}
