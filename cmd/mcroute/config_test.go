package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testdataArgs are the extra flags a testdata config needs; files that
// are only @import'ed by another config are not validated on their own.
var testdataArgs = map[string][]string{
	"multicluster.json":       {"-R", "/east/a/"},
	"multicluster-pools.json": nil, // imported by multicluster.json
	"shadowing.json":          {"--runtime-vars-file", "testdata/runtime-vars/shadowing.json"},
	"tiered.json":             {"-R", "/west/a/", "--big-value-split-threshold", "500000"},
}

// TestValidateTestdataConfigs: every config in testdata/ is one mcroute
// accepts, as a user would check it.
func TestValidateTestdataConfigs(t *testing.T) {
	bin := buildBinary(t)
	files, err := filepath.Glob("../../testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata configs: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		extra, listed := testdataArgs[name]
		if listed && extra == nil {
			continue
		}
		args := append([]string{"--validate-config", "--config", "file:testdata/" + name}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("mcroute %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestConfigErrorsNameTheFile: an error in an imported file names that
// file and line, and the import that brought it in; -R must be one of the
// routing prefixes.
func TestConfigErrorsNameTheFile(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("route.json", "// the route\n{\n  \"type\": \"NoSuchRoute\"\n}\n")
	main := write("main.json", "{\n  \"route\": \"@import(route.json)\"\n}\n")
	out, err := exec.Command(bin, "--validate-config", "--config", "file:"+main).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("exit %v, want 3\n%s", err, out)
	}
	want := filepath.Join(dir, "route.json") + ":3: Unknown RouteHandle: NoSuchRoute line: 3 (via " + main + ":2)"
	if !strings.Contains(string(out), want) {
		t.Errorf("%s\ndoes not contain %q", out, want)
	}

	routes := write("routes.json", `{"routes": {"/a/a/": "NullRoute"}}`)
	out, err = exec.Command(bin, "--validate-config", "--config", "file:"+routes, "-R", "/b/b/").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "invalid default route: /b/b/") {
		t.Errorf("-R not in routes: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "--validate-config", "--config", "file:"+routes, "-R", "a/a").CombinedOutput(); err != nil {
		t.Errorf("-R a/a: %v %s", err, out)
	}
}
