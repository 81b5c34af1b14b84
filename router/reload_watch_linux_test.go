//go:build linux

package router

import (
	"mcroute/fswatch/fswatchtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReloadWatchEditInPlace: a file written in place (truncate, write,
// close) is picked up without polling.
func TestReloadWatchEditInPlace(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	fswatchtest.WriteFile(t, file, poolConfig(1))
	g := startReloader(t, file, hour, nil)
	fswatchtest.WriteFile(t, file, poolConfig(2))
	g.waitServers(2)
}

// TestReloadWatchRename: a file replaced by rename is picked up.
func TestReloadWatchRename(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	fswatchtest.WriteFile(t, file, poolConfig(1))
	g := startReloader(t, file, hour, nil)
	fswatchtest.ReplaceFile(t, file, poolConfig(2))
	g.waitServers(2)
	fswatchtest.ReplaceFile(t, file, poolConfig(3))
	g.waitServers(3)
}

// TestReloadWatchImport: a change to an @imported file in another
// directory is picked up; a reload that adds an import moves the watches
// to it.
func TestReloadWatchImport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "main.json")
	pools := func(n int) string { // poolConfig's pools object
		s := poolConfig(n)
		return s[len(`{"pools": `):strings.Index(s, `, "route"`)]
	}
	fswatchtest.WriteFile(t, filepath.Join(dir, "sub", "pools.json"), pools(1))
	fswatchtest.WriteFile(t, file, `{"pools": "@import(sub/pools.json)", "route": "PoolRoute|A"}`)
	g := startReloader(t, file, hour, nil)
	fswatchtest.ReplaceFile(t, filepath.Join(dir, "sub", "pools.json"), pools(2))
	g.waitServers(2)

	// Re-arm: the new config imports a file in a directory nothing
	// watched so far.
	fswatchtest.WriteFile(t, filepath.Join(dir, "other", "pools.json"), pools(3))
	fswatchtest.ReplaceFile(t, file, `{"pools": "@import(other/pools.json)", "route": "PoolRoute|A"}`)
	g.waitServers(3)
	fswatchtest.WriteFile(t, filepath.Join(dir, "other", "pools.json"), pools(4))
	g.waitServers(4)
}

// TestReloadWatchConfigMapSwap: the layout of a Kubernetes ConfigMap
// volume, where an update makes a new directory and renames a new ..data
// link over the old one; the config file's own link never changes.
func TestReloadWatchConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	fswatchtest.WriteFile(t, filepath.Join(dir, "..v1", "c.json"), poolConfig(1))
	fswatchtest.Symlink(t, "..v1", filepath.Join(dir, "..data"))
	fswatchtest.Symlink(t, "..data/c.json", filepath.Join(dir, "c.json"))
	g := startReloader(t, filepath.Join(dir, "c.json"), hour, nil)

	for n, v := range []string{"..v2", "..v3"} {
		fswatchtest.WriteFile(t, filepath.Join(dir, v, "c.json"), poolConfig(n+2))
		fswatchtest.Symlink(t, v, filepath.Join(dir, "..data_tmp"))
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
		g.waitServers(n + 2)
	}
}

// TestReloadWatchDeployLink: the config sits under a "current" link to a
// release directory, switched by renaming a new link over it.
func TestReloadWatchDeployLink(t *testing.T) {
	dir := t.TempDir()
	fswatchtest.WriteFile(t, filepath.Join(dir, "releases", "1", "c.json"), poolConfig(1))
	fswatchtest.Symlink(t, "releases/1", filepath.Join(dir, "current"))
	g := startReloader(t, filepath.Join(dir, "current", "c.json"), hour, nil)

	fswatchtest.WriteFile(t, filepath.Join(dir, "releases", "2", "c.json"), poolConfig(2))
	fswatchtest.Symlink(t, "releases/2", filepath.Join(dir, "current.new"))
	if err := os.Rename(filepath.Join(dir, "current.new"), filepath.Join(dir, "current")); err != nil {
		t.Fatal(err)
	}
	g.waitServers(2)
	// And an edit inside the new release.
	fswatchtest.WriteFile(t, filepath.Join(dir, "releases", "2", "c.json"), poolConfig(3))
	g.waitServers(3)
}

// TestReloadWatchIdle: with the files unchanged, Run checks nothing after
// its first check, even while other files in the same directory change.
func TestReloadWatchIdle(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	fswatchtest.WriteFile(t, file, poolConfig(1))
	g := startReloader(t, file, hour, nil)
	if c := g.w.checks.Load(); c != 1 {
		t.Fatalf("%d checks at start, want 1", c)
	}
	fswatchtest.WriteFile(t, filepath.Join(dir, "unrelated.log"), "x")
	fswatchtest.ReplaceFile(t, filepath.Join(dir, "other.json"), "{}")
	if err := os.Remove(filepath.Join(dir, "unrelated.log")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // absence of checks: nothing to wait for
	if c := g.w.checks.Load(); c != 1 {
		t.Errorf("%d checks with the config unchanged, want 1", c)
	}
	// The watcher is alive: a touch of the file (same contents) is
	// checked, and is no reload.
	fswatchtest.WriteFile(t, file, poolConfig(1))
	deadline := time.Now().Add(10 * time.Second)
	for g.w.checks.Load() == 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if g.w.checks.Load() == 1 || g.r.Reloads.Load() != 0 {
		t.Errorf("touch: %d checks, %d reloads", g.w.checks.Load(), g.r.Reloads.Load())
	}
}

// TestReloadPollsWhenWatchesFail: an inotify instance that cannot add
// watches (here a pipe posing as one, as when fs.inotify.max_user_watches
// is reached) makes Run poll every Poll, and say so once.
func TestReloadPollsWhenWatchesFail(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	file := filepath.Join(t.TempDir(), "c.json")
	fswatchtest.WriteFile(t, file, poolConfig(1))
	g := startReloader(t, file, 10*time.Millisecond, func() (int, error) { return p[0], nil })
	fswatchtest.WriteFile(t, file, poolConfig(2))
	g.waitServers(2)
	for c := g.w.checks.Load(); g.w.checks.Load() < c+5; {
		time.Sleep(5 * time.Millisecond)
	}
	if n := strings.Count(g.logs(), "cannot watch them all with inotify"); n != 1 ||
		!strings.Contains(g.logs(), "polling them every 10ms") {
		t.Errorf("fallback logged %d times:\n%s", n, g.logs())
	}
}
