//go:build linux

package router

import (
	"mcroute/fswatch/fswatchtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRuntimeVarsWatch: with an hour's poll (so the backstop cannot be
// what finds it), a file written in place, then one renamed over, is
// picked up; a bad file is logged and the values in force stay.
func TestRuntimeVarsWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rv.json")
	g := startRuntimeVars(t, path, `{"key_fractions": {"foo": 0.1}}`, hour, nil)
	fswatchtest.WriteFile(t, path, `{"key_fractions": {"foo": 0.2}}`)
	g.waitRange(0.2)
	fswatchtest.ReplaceFile(t, path, `{"key_fraction_range_foo": [0.1, 0.3]}`)
	g.waitRange(0.3)
	c := g.v.checks.Load()
	fswatchtest.ReplaceFile(t, path, `{`)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(g.logs(), "keeping the values in force"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("bad file not logged (%d checks, %d before)\n%s", g.v.checks.Load(), c, g.logs())
		}
	}
	g.waitRange(0.3)
	if !strings.Contains(g.logs(), "runtime vars reloaded from "+path) {
		t.Errorf("reload not logged:\n%s", g.logs())
	}
}

// TestRuntimeVarsWatchIdle: with the file unchanged, Watch checks nothing
// after its first check, even while other files in its directory change.
func TestRuntimeVarsWatchIdle(t *testing.T) {
	dir := t.TempDir()
	g := startRuntimeVars(t, filepath.Join(dir, "rv.json"), `{}`, hour, nil)
	if c := g.v.checks.Load(); c != 1 {
		t.Fatalf("%d checks at start, want 1", c)
	}
	fswatchtest.WriteFile(t, filepath.Join(dir, "unrelated"), "x")
	if err := os.Remove(filepath.Join(dir, "unrelated")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // absence of checks: nothing to wait for
	if c := g.v.checks.Load(); c != 1 {
		t.Errorf("%d checks with the file unchanged, want 1", c)
	}
	if !g.first {
		t.Error("not watched with inotify")
	}
}
