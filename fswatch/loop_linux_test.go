//go:build linux

package fswatch

import (
	"mcroute/fswatch/fswatchtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLoopEvents: with an hour's poll, each change of a watched file is
// checked (an event, not the backstop), and the loop says inotify covers
// the files.
func TestLoopEvents(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(t.TempDir(), "b")
	fswatchtest.WriteFile(t, a, "1")
	g := startLoop(t, []string{a, b}, hour, nil, nil)
	if c := g.checks.Load(); c != 1 {
		t.Fatalf("%d checks at start, want 1", c)
	}
	fswatchtest.WriteFile(t, a, "2")
	g.waitChecks(2, "a written")
	c := g.checks.Load()
	fswatchtest.ReplaceFile(t, b, "created by rename") // in another directory
	g.waitChecks(c+1, "b created")
	for len(g.armed) > 0 {
		if !<-g.armed {
			t.Fatal("armed without inotify")
		}
	}
}

// TestLoopIdle: with the files unchanged, Run checks nothing after its
// first check, even while other files in the same directory change.
func TestLoopIdle(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	fswatchtest.WriteFile(t, f, "1")
	g := startLoop(t, []string{f}, hour, nil, nil)
	fswatchtest.WriteFile(t, filepath.Join(dir, "unrelated.log"), "x")
	fswatchtest.ReplaceFile(t, filepath.Join(dir, "other"), "y")
	if err := os.Remove(filepath.Join(dir, "unrelated.log")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // absence of checks: nothing to wait for
	if c := g.checks.Load(); c != 1 {
		t.Errorf("%d checks with the file unchanged, want 1", c)
	}
	fswatchtest.WriteFile(t, f, "1") // a touch: checked
	g.waitChecks(2, "touch")
}

// TestLoopPollsWhenWatchesFail: an inotify instance that cannot add
// watches (a pipe posing as one, as when fs.inotify.max_user_watches is
// reached) makes Run poll every Poll, and say so once.
func TestLoopPollsWhenWatchesFail(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	g := startLoop(t, []string{filepath.Join(t.TempDir(), "f")}, 10*time.Millisecond, func() (int, error) { return p[0], nil }, nil)
	g.waitChecks(5, "polling")
	if n := strings.Count(g.logs(), "cannot watch them all with inotify"); n != 1 ||
		!strings.Contains(g.logs(), "polling them every 10ms") {
		t.Errorf("fallback logged %d times:\n%s", n, g.logs())
	}
}
